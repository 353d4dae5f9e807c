// R1 of quality.md: 200 concurrent bookings of one slot through every path that books, as real HTTP
// requests against a listening server: the four booking endpoints (exactly one wins, the rest get 409),
// the web form's submission and the bot's buttons (every request is answered 200, one of them books).
// Nothing answers 5xx, and the invariant check passes after each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_API_KEY, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { addSlots, createPsychologist, submitApplication } from '../support/fixtures.ts';
import { botEnv, buttonPress, WEBHOOK_SECRET } from '../support/telegram.ts';
import { invariantViolations } from '../../src/db/invariants.ts';

const RACERS = 200;
let t: TestApp;
let base: string;
const telegram = new FakeTelegram();

beforeAll(async () => {
  await telegram.start();
  t = await createTestApp(botEnv(telegram.url));
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await t.close();
  await telegram.stop();
});

interface RaceRequest {
  url: string;
  body: unknown;
  /** A client token; the service key when absent. */
  token?: string;
  /** Instead of the credentials above (a browser's form sends none, Telegram its secret header). */
  headers?: Record<string, string>;
}

/** Sends every request at once; the statuses, and the JSON answers in the same order. */
async function raceAnswers(requests: RaceRequest[]): Promise<{ status: number; body: unknown }[]> {
  return Promise.all(
    requests.map((r) =>
      fetch(`${base}${r.url}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(r.headers ?? { authorization: `Bearer ${r.token ?? TEST_API_KEY}` }),
        },
        body: JSON.stringify(r.body),
      }).then(async (res) => ({ status: res.status, body: await res.json().catch(() => null) })),
    ),
  );
}

async function race(requests: RaceRequest[]): Promise<number[]> {
  return (await raceAnswers(requests)).map((a) => a.status);
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

  it('the web form’s submission choosing one time: every application stored, one booked, 199 told it was taken', async () => {
    const p = await createPsychologist(t, { name: 'Гонка Формова', queries: ['Формы'] });
    const [slot] = await addSlots(t, p.id, ['12.12 10:00']);
    const answers = await raceAnswers(
      Array.from({ length: RACERS }, (_, i) => ({
        url: '/tilda-zayavka',
        headers: {},
        body: {
          ticket_id: `race${i}`,
          name: 'Гонщица',
          age: '30',
          contactType: 'Telegram',
          contact: `@web_racer${i}`,
          selectedPsychologistsNames: [p.name],
          slots: [`${slot!.date} ${slot!.time}`],
        },
      })),
    );
    expect(tally(answers.map((a) => a.status))).toEqual({ 200: RACERS });
    const bodies = answers.map((a) => a.body as { booked: boolean; reason?: string });
    expect(bodies.filter((b) => b.booked)).toHaveLength(1);
    expect(new Set(bodies.filter((b) => !b.booked).map((b) => b.reason))).toEqual(new Set(['slot_taken']));
    const stored = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .where('form_ticket_id', 'like', 'race%')
      .execute();
    expect(stored).toHaveLength(RACERS);
    expect(await activeSessionsOn(slot!.id)).toBe(1);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });

  /** `n` clients whose tickets are tied to Telegram accounts, as the bot link does. */
  async function telegramClients(n: number, firstId: number) {
    const people = await clients(n);
    for (const [i, c] of people.entries()) {
      const linked = await t.admin({
        method: 'POST',
        url: '/process-link',
        payload: { user_id: String(firstId + i), ticket_id: c.ticket_id },
      });
      expect(linked.statusCode, linked.body).toBe(200);
    }
    return people.map((c, i) => ({ ...c, telegramId: firstId + i }));
  }

  const press = (telegramId: number, data: string): RaceRequest => ({
    url: '/telegram/webhook',
    headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
    body: buttonPress({ id: telegramId, first_name: 'Гонщик' }, data),
  });

  it('the bot’s offered-time button pressed by 200 people at once: one session, 199 offered other times', async () => {
    const p = await createPsychologist(t, { name: 'Гонка Кнопкина' });
    const [slot, other] = await addSlots(t, p.id, ['12.12 11:00', '12.12 12:00']);
    const people = await telegramClients(RACERS, 8_800_000);
    const data = t.deps.callbacks.pack({ action: 'book', slotId: slot!.id });
    const statuses = await race(people.map((c) => press(c.telegramId, data)));
    expect(tally(statuses)).toEqual({ 200: RACERS });
    expect(await activeSessionsOn(slot!.id)).toBe(1);
    expect(await activeSessionsOn(other!.id)).toBe(0);
    const retries = await t.deps.db
      .selectFrom('outbox')
      .select('chat_id')
      .where('dedupe_key', 'like', `slot-taken:${slot!.id}:%`)
      .execute();
    expect(retries).toHaveLength(RACERS - 1);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });

  it('the bot’s move-to-this-time button of 200 sessions onto one slot: one moves, the others stay', async () => {
    const p = await createPsychologist(t, { name: 'Гонка Переносова' });
    const times = Array.from({ length: RACERS }, (_, i) => {
      const day = 14 + Math.floor(i / 20);
      return `${day}.12 ${String(i % 20).padStart(2, '0')}:30`;
    });
    const own = await addSlots(t, p.id, times);
    const [target] = await addSlots(t, p.id, ['13.12 22:30']);
    const people = await telegramClients(RACERS, 8_900_000);
    for (const [i, c] of people.entries()) {
      const res = await t.admin({
        method: 'POST',
        url: '/admin/sessions',
        payload: { slot_id: own[i]!.id, lead_number: c.lead_number, ticket_id: c.ticket_id },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const data = t.deps.callbacks.pack({ action: 'move', slotId: target!.id });
    const statuses = await race(people.map((c) => press(c.telegramId, data)));
    expect(tally(statuses)).toEqual({ 200: RACERS });
    expect(await activeSessionsOn(target!.id)).toBe(1);
    const stillBooked = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('id')
      .where(
        'id',
        'in',
        own.map((s) => s.id),
      )
      .where('state', '=', 'booked')
      .execute();
    expect(stillBooked).toHaveLength(RACERS - 1);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });
});
