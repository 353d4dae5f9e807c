// R1 of quality.md: 200 concurrent bookings of one slot through every path that books, as real HTTP
// requests against a listening server. Exactly one wins, the rest get 409, nothing answers 5xx, and the
// invariant check passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_API_KEY, type TestApp } from '../support/app.ts';
import { addSlots, createPsychologist, submitApplication } from '../support/fixtures.ts';
import { invariantViolations } from '../../src/db/invariants.ts';

const RACERS = 200;
let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => t.close());

async function race(requests: { url: string; body: unknown; token?: string }[]): Promise<number[]> {
  const responses = await Promise.all(
    requests.map((r) =>
      fetch(`${base}${r.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${r.token ?? TEST_API_KEY}` },
        body: JSON.stringify(r.body),
      }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }),
    ),
  );
  return responses;
}

function tally(statuses: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

async function activeSessionsOn(slotId: string): Promise<number> {
  const rows = await t.deps.db
    .selectFrom('hraniteli_sessions')
    .select('id')
    .where('slot_id', '=', slotId)
    .where('status', 'in', ['pending', 'confirmed'])
    .execute();
  return rows.length;
}

/** Creates `n` clients with their own open tickets quickly, through the service-key submission path. */
async function clients(n: number, overrides: Record<string, unknown> = {}) {
  const made = [];
  for (let i = 0; i < n; i++) made.push(await submitApplication(t, overrides));
  return made;
}

describe('no double booking under 200 concurrent requests', () => {
  it('process-diagnostic-session-request: one success, 199 × 409', async () => {
    const p = await createPsychologist(t);
    const [slot] = await addSlots(t, p.id, ['09.12 10:00']);
    const people = await clients(RACERS);
    const statuses = await race(
      people.map((c) => ({
        url: '/process-diagnostic-session-request',
        token: c.client_token,
        body: {
          client_id: c.lead_number,
          psychologist_id: p.id,
          slot_id: slot!.id,
          payment_info: { amount: 0, status: 'pending' },
        },
      })),
    );
    expect(tally(statuses)).toEqual({ 200: 1, 409: RACERS - 1 });
    expect(await activeSessionsOn(slot!.id)).toBe(1);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });

  it('confirm-session-by-client on a shared candidate slot: one success, 199 × 409', async () => {
    const p = await createPsychologist(t, { name: 'Гонка Подтверждений', sex: 'male', queries: ['Гонки'] });
    const [slot] = await addSlots(t, p.id, ['10.12 10:00']);
    const people = await clients(RACERS, {
      selected_slots: ['10.12 10:00'],
      preferences: { specializations: ['Гонки'] },
    });
    expect(people.every((c) => c.matched_psychologists[0]?.id === p.id)).toBe(true);
    const statuses = await race(
      people.map((c) => ({
        url: '/confirm-session-by-client',
        token: c.client_token,
        body: { ticket_id: c.ticket_id, slot_time: '10.12 10:00' },
      })),
    );
    expect(tally(statuses)).toEqual({ 200: 1, 409: RACERS - 1 });
    expect(await activeSessionsOn(slot!.id)).toBe(1);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });

  it('reschedule-session of 200 sessions onto one slot: one success, 199 × 409', async () => {
    const p = await createPsychologist(t);
    const times: string[] = [];
    for (let i = 0; i < RACERS; i++) {
      const day = 14 + Math.floor(i / 20);
      times.push(`${day}.12 ${String(i % 20).padStart(2, '0')}:00`);
    }
    const own = await addSlots(t, p.id, times);
    const [target] = await addSlots(t, p.id, ['13.12 21:30']);
    const people = await clients(RACERS);
    for (const [i, c] of people.entries()) {
      const res = await t.admin({
        method: 'POST',
        url: '/admin/sessions',
        payload: { slot_id: own[i]!.id, lead_number: c.lead_number, ticket_id: c.ticket_id },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const statuses = await race(
      people.map((c) => ({
        url: '/reschedule-session',
        token: c.client_token,
        body: { ticket_id: c.ticket_id, new_slot_time: '13.12 21:30' },
      })),
    );
    expect(tally(statuses)).toEqual({ 200: 1, 409: RACERS - 1 });
    expect(await activeSessionsOn(target!.id)).toBe(1);
    const freed = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('id')
      .where(
        'id',
        'in',
        own.map((s) => s.id),
      )
      .where('state', '=', 'free')
      .execute();
    expect(freed).toHaveLength(1);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });

  it('POST /admin/sessions: one success, 199 × 409', async () => {
    const p = await createPsychologist(t);
    const [slot] = await addSlots(t, p.id, ['11.12 10:00']);
    const people = await clients(RACERS);
    const statuses = await race(
      people.map((c) => ({
        url: '/admin/sessions',
        body: { slot_id: slot!.id, lead_number: c.lead_number },
      })),
    );
    expect(tally(statuses)).toEqual({ 201: 1, 409: RACERS - 1 });
    expect(await activeSessionsOn(slot!.id)).toBe(1);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });
});
