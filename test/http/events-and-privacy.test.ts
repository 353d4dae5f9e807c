// /notify-update (the database webhook) and the privacy guarantees: client A cannot reach client B's
// data, and no personal value sent by the tests ever reaches the logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_API_KEY, withTestApp, type TestApp } from '../support/app.ts';
import {
  addSlots,
  bearer,
  createPsychologist,
  submitApplication,
  type PsychologistFixture,
  postAs,
} from '../support/fixtures.ts';
import { invariantViolations } from '../../src/db/invariants.ts';

const WEBHOOK_SECRET = 'db-webhook-secret-1234567890';
let t: TestApp;
let p: PsychologistFixture;

beforeAll(async () => {
  t = await createTestApp({ SUPABASE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  p = await createPsychologist(t, { name: 'Ника Событийная', telegram_id: '6001' });
});
afterAll(async () => {
  expect(await invariantViolations(t.deps.db)).toEqual([]);
  await t.close();
});

const event = (slotId: string, state: string, old: string, updatedAt?: string) => ({
  type: 'UPDATE',
  table: 'hraniteli_slots',
  schema: 'public',
  record: { id: slotId, state, ...(updatedAt ? { updated_at: updatedAt } : {}) },
  old_record: { id: slotId, state: old },
});

const notifyUpdate = (
  payload: unknown,
  headers: Record<string, string> = { 'x-webhook-secret': WEBHOOK_SECRET },
) => t.app.inject({ method: 'POST', url: '/webhook/notify-update', headers, payload: payload as object });

describe('notify-update', () => {
  it('needs the service key or the webhook secret', async () => {
    expect(
      (await notifyUpdate(event('00000000-0000-4000-8000-000000000000', 'booked', 'free'), {})).statusCode,
    ).toBe(401);
    expect(
      (
        await notifyUpdate(event('00000000-0000-4000-8000-000000000000', 'booked', 'free'), {
          authorization: 'Bearer wrong',
        })
      ).statusCode,
    ).toBe(401);
    const viaBearer = await notifyUpdate(event('00000000-0000-4000-8000-000000000000', 'booked', 'free'), {
      authorization: `Bearer ${WEBHOOK_SECRET}`,
    });
    expect(viaBearer.statusCode).toBe(200);
    expect(viaBearer.json()).toEqual({ success: true, action: 'ignored' });
  });

  it('with the service key and no webhook secret set, a slot change is processed', async () => {
    await withTestApp({}, async (keyed) => {
      const nika = await createPsychologist(keyed, { name: 'Ника Ключевая', telegram_id: '6002' });
      const [slot] = await addSlots(keyed, nika.id, ['09.12 14:00']);
      const app = await submitApplication(keyed);
      const booked = await keyed.admin({
        method: 'POST',
        url: '/admin/sessions',
        payload: { slot_id: slot!.id, lead_number: app.lead_number },
      });
      expect(booked.statusCode, booked.body).toBe(201);
      await keyed.deps.db
        .updateTable('hraniteli_slots')
        .set({ state: 'free' })
        .where('id', '=', slot!.id)
        .execute();
      const send = (headers: Record<string, string>) =>
        keyed.app.inject({
          method: 'POST',
          url: '/webhook/notify-update',
          headers,
          payload: event(slot!.id, 'free', 'booked'),
        });
      const viaHeader = await send({ 'x-api-key': TEST_API_KEY });
      expect(viaHeader.statusCode, viaHeader.body).toBe(200);
      expect(viaHeader.json()).toEqual({ success: true, action: 'cancellation' });
      const viaBearer = await send({ authorization: `Bearer ${TEST_API_KEY}` });
      expect(viaBearer.statusCode, viaBearer.body).toBe(200);
      expect(viaBearer.json().action).toBe('ignored');
      const session = await keyed.deps.db
        .selectFrom('hraniteli_sessions')
        .select('status')
        .where('id', '=', booked.json().session.id)
        .executeTakeFirstOrThrow();
      expect(session.status).toBe('cancelled');
      expect((await send({ 'x-api-key': 'wrong-key-0123456789' })).statusCode).toBe(401);
    });
    // With the secret set the key still works.
    const res = await notifyUpdate(event('00000000-0000-4000-8000-000000000000', 'booked', 'free'), {
      'x-api-key': TEST_API_KEY,
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('runs the booking process once for a slot booked outside; a repeated delivery acts once', async () => {
    const [slot] = await addSlots(t, p.id, ['09.12 10:00']);
    const app = await submitApplication(t);
    // A session created without notifications, as a row written directly into the database would be.
    const session = await t.deps.db
      .insertInto('hraniteli_sessions')
      .values({
        ticket_id: app.ticket_id,
        client_id: (await clientId(app.lead_number))!,
        psychologist_id: p.id,
        slot_id: slot!.id,
        kind: 'diagnostic',
        start_at: slot!.start_iso,
        duration_minutes: 60,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('hraniteli_slots')
      .set({ state: 'booked' })
      .where('id', '=', slot!.id)
      .execute();

    const payload = event(slot!.id, 'booked', 'free', '2026-12-07T09:00:01.123+00:00');
    const first = await notifyUpdate(payload);
    expect(first.json()).toEqual({ success: true, action: 'booking' });
    const second = await notifyUpdate(payload);
    expect(second.statusCode).toBe(200);
    expect(second.json().action).toBe('ignored');
    const messages = await t.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('session_id', '=', session.id)
      .execute();
    expect(messages.map((m) => m.recipient).sort()).toEqual(['admin', 'client', 'psychologist']);
    const row = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('id', '=', session.id)
      .executeTakeFirstOrThrow();
    expect(row.meeting_link).toMatch(/^https:\/\/meet\.jit\.si\//);
    expect(row.remind_at?.toISOString()).toBe('2026-12-09T05:00:00.000Z');
  });

  it('does not repeat the booking notifications our own endpoint already wrote', async () => {
    const [slot] = await addSlots(t, p.id, ['09.12 11:00']);
    const app = await submitApplication(t);
    const booked = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: app.lead_number },
    });
    const sessionId = booked.json().session.id;
    const before = await t.deps.db
      .selectFrom('outbox')
      .select('id')
      .where('session_id', '=', sessionId)
      .execute();
    const res = await notifyUpdate(event(slot!.id, 'booked', 'free'));
    expect(res.json().action).toBe('booking');
    const after = await t.deps.db
      .selectFrom('outbox')
      .select('id')
      .where('session_id', '=', sessionId)
      .execute();
    expect(after).toHaveLength(before.length);
  });

  it('alerts the operators when a slot is flipped to booked by hand with no session', async () => {
    const [slot] = await addSlots(t, p.id, ['09.12 12:00']);
    await t.deps.db
      .updateTable('hraniteli_slots')
      .set({ state: 'booked' })
      .where('id', '=', slot!.id)
      .execute();
    const res = await notifyUpdate(event(slot!.id, 'booked', 'free', '2026-12-07T09:05:00+00:00'));
    expect(res.json().action).toBe('ignored');
    const alerts = await t.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('dedupe_key', 'like', 'slot-booked-by-hand:%')
      .execute();
    expect(alerts.some((a) => a.text.includes('09.12 12:00'))).toBe(true);
    await t.deps.db
      .updateTable('hraniteli_slots')
      .set({ state: 'free' })
      .where('id', '=', slot!.id)
      .execute();
  });

  it('runs the cancellation process when a booked slot is freed outside', async () => {
    const [slot] = await addSlots(t, p.id, ['09.12 13:00']);
    const app = await submitApplication(t);
    const booked = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: app.lead_number },
    });
    await t.deps.db
      .updateTable('hraniteli_slots')
      .set({ state: 'free' })
      .where('id', '=', slot!.id)
      .execute();
    const payload = event(slot!.id, 'free', 'booked');
    expect((await notifyUpdate(payload)).json().action).toBe('cancellation');
    expect((await notifyUpdate(payload)).json().action).toBe('ignored');
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('id', '=', booked.json().session.id)
      .executeTakeFirstOrThrow();
    expect(session).toMatchObject({ status: 'cancelled', remind_at: null });
    const cancellations = await t.deps.db
      .selectFrom('outbox')
      .select('recipient')
      .where('session_id', '=', session.id)
      .where('dedupe_key', 'like', 'cancellation:%')
      .execute();
    expect(cancellations).toHaveLength(3);
  });

  it('acknowledges other changes without acting and validates the payload', async () => {
    expect(
      (await notifyUpdate({ type: 'UPDATE', table: 'hraniteli_clients', record: { id: 'x' } })).json().action,
    ).toBe('ignored');
    const bad = await notifyUpdate({ type: 'TRUNCATE', table: 'hraniteli_slots' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('type');
  });

  async function clientId(lead: string) {
    return (
      await t.deps.db
        .selectFrom('hraniteli_clients')
        .select('id')
        .where('lead_number', '=', lead)
        .executeTakeFirst()
    )?.id;
  }
});

describe('object-level authorization (API1)', () => {
  it('gives client A’s token 403 on every client endpoint for client B’s ticket', async () => {
    const [slot] = await addSlots(t, p.id, ['10.12 10:00']);
    const a = await submitApplication(t);
    const b = await submitApplication(t, { contact: { type: 'telegram', value: '@victim_b' } });
    // B's account is proven (the service key vouches), so @victim_b really names B's history.
    await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: '6101', ticket_id: b.ticket_id },
    });
    await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: b.lead_number },
    });
    const attempts = [
      {
        method: 'POST',
        url: '/confirm-session-by-client',
        payload: { ticket_id: b.ticket_id, slot_time: '10.12 10:00' },
      },
      {
        method: 'POST',
        url: '/cancel-session',
        payload: { ticket_id: b.ticket_id, cancellation_reason: 'чужая' },
      },
      {
        method: 'POST',
        url: '/reschedule-session',
        payload: { ticket_id: b.ticket_id, new_slot_time: '10.12 10:00' },
      },
      { method: 'POST', url: '/rate-session', payload: { ticket_id: b.ticket_id, rating: 1 } },
      {
        method: 'POST',
        url: '/process-diagnostic-session-request',
        payload: {
          client_id: b.lead_number,
          psychologist_id: p.id,
          slot_id: slot!.id,
          payment_info: { amount: 0, status: 'pending' },
        },
      },
      { method: 'GET', url: `/get-ticket-info?ticket_id=${b.ticket_id}` },
      { method: 'GET', url: `/get-ticket-info?client_id=${b.lead_number}&link_id=${b.ticket_id}` },
      { method: 'GET', url: '/client-sessions-history?client_telegram=victim_b' },
    ] as const;
    for (const attempt of attempts) {
      const res = await t.app.inject({ ...attempt, headers: bearer(a.client_token) } as never);
      expect(res.statusCode, attempt.url).toBe(403);
    }
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select('status')
      .where('ticket_id', '=', b.ticket_id)
      .executeTakeFirstOrThrow();
    expect(session.status).toBe('pending');
  });
});

describe('tokens from a submission with someone else’s contact', () => {
  it('reach only the ticket just created, never the person’s earlier tickets or history', async () => {
    const [slot] = await addSlots(t, p.id, ['10.12 12:00']);
    const owner = await submitApplication(t, {
      contact: { type: 'telegram', value: '@contact_owner' },
      request_text: 'личное владельца',
    });
    // The owner's account is proven (the service key vouches; the record takes the typed @username).
    const linked = await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: '6102', ticket_id: owner.ticket_id },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: owner.lead_number },
    });
    // Anyone can type a known contact into the form: it proves nothing, so the submission gets a record
    // of its own and never joins the owner's.
    const other = await submitApplication(t, { contact: { type: 'telegram', value: '@contact_owner' } });
    expect(other.lead_number).not.toBe(owner.lead_number);
    const otherRecord = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select(['telegram_id', 'telegram_username'])
      .where('lead_number', '=', other.lead_number)
      .executeTakeFirstOrThrow();
    expect(otherRecord).toEqual({ telegram_id: null, telegram_username: null });
    // The username names the owner's history (to the service) …
    const ownerHistory = await t.admin({ url: '/client-sessions-history?client_telegram=contact_owner' });
    expect(ownerHistory.json().sessions).toHaveLength(1);
    expect(ownerHistory.json().sessions[0].ticket_id).toBe(owner.ticket_id);
    // … and none of it reaches the token of the submission that typed it.
    const asOther = bearer(other.client_token);
    const ownTicket = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${other.ticket_id}`,
      headers: asOther,
    });
    expect(ownTicket.statusCode).toBe(200);
    for (const url of [
      `/get-ticket-info?ticket_id=${owner.ticket_id}`,
      `/get-ticket-info?client_id=${owner.lead_number}&link_id=${owner.ticket_id}`,
      '/client-sessions-history?client_telegram=contact_owner',
    ]) {
      const res = await t.app.inject({ url, headers: asOther });
      expect(res.statusCode, url).toBe(403);
      expect(res.body).not.toContain('личное владельца');
    }
    const cancel = await postAs(t, other.client_token, '/cancel-session', {
      ticket_id: owner.ticket_id,
      cancellation_reason: 'чужая',
    });
    expect(cancel.statusCode).toBe(403);
    // Being first to type a contact proves nothing either: the first token reaches its own ticket only.
    const history = await t.app.inject({
      url: '/client-sessions-history?client_telegram=contact_owner',
      headers: bearer(owner.client_token),
    });
    expect(history.statusCode).toBe(403);
  });
});

describe('personal data never reaches the logs', () => {
  it('logs none of the names, contacts and request texts the requests carried', async () => {
    const secrets = {
      name: 'Евлампия Конфиденциальная',
      phone: '+79161234599',
      telegram: 'very_private_handle',
      email: 'private.person@example.org',
      request: 'Мне очень тяжело после развода',
    };
    const app = await submitApplication(t, {
      name: secrets.name,
      contact: { type: 'telegram', value: `@${secrets.telegram}` },
      request_text: secrets.request,
    });
    await t.app.inject({
      method: 'POST',
      url: '/diagnostic-session-request',
      payload: {
        client_name: secrets.name,
        client_phone: secrets.phone,
        client_email: secrets.email,
        request_text: secrets.request,
      },
    });
    await t.app.inject({
      url: `/client-sessions-history?client_telegram=${secrets.telegram}`,
      headers: bearer(app.client_token),
    });
    await t.app.inject({ url: `/get-ticket-info?ticket_id=${app.ticket_id}&client_id=${secrets.telegram}` });
    await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      payload: { name: secrets.name, age: 5, contact: { type: 'phone', value: secrets.phone } },
    });
    const logs = t.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain('/client-sessions-history');
    for (const value of [...Object.values(secrets), '9161234599']) expect(logs).not.toContain(value);
  });
});
