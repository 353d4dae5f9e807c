// Booking, confirmation, cancellation, rescheduling, rating and history through real HTTP requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import {
  addSlots,
  bearer,
  createPsychologist,
  submitApplication,
  type PsychologistFixture,
  postAs,
} from '../support/fixtures.ts';
import { invariantViolations } from '../../src/db/invariants.ts';

let t: TestApp;
let anna: PsychologistFixture;
let boris: PsychologistFixture;

beforeAll(async () => {
  t = await createTestApp();
  anna = await createPsychologist(t, { name: 'Анна Букина', telegram_id: '5001' });
  boris = await createPsychologist(t, { name: 'Борис Слотов', sex: 'male', telegram_id: '5002' });
});
afterAll(async () => {
  expect(await invariantViolations(t.deps.db)).toEqual([]);
  await t.close();
});

async function outboxFor(ticketId: string) {
  return t.deps.db.selectFrom('outbox').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute();
}

async function book(
  leadNumber: string,
  slot: { id: string },
  psychologistId: string,
  extra: Record<string, unknown> = {},
) {
  return t.admin({
    method: 'POST',
    url: '/process-diagnostic-session-request',
    payload: {
      client_id: leadNumber,
      psychologist_id: psychologistId,
      slot_id: slot.id,
      payment_info: { amount: 2500, status: 'pending' },
      ...extra,
    },
  });
}

describe('process-diagnostic-session-request', () => {
  it('books a free slot for the client’s open ticket, with a video link and notifications; payment stays the operators’', async () => {
    const [slot, unproven] = await addSlots(t, anna.id, ['08.12 14:00', '08.12 14:30']);
    const app = await submitApplication(t, { contact: { type: 'telegram', value: '555000111' } });
    // The person opened the ticket in the bot from account 555000111 (the service key vouches here):
    // a proven chat, so the booking's message goes there.
    const linked = await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: '555000111', ticket_id: app.ticket_id },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhook/process-diagnostic-session-request-test-contur',
      headers: bearer(app.client_token),
      payload: {
        client_id: app.lead_number,
        psychologist_id: anna.id,
        slot_id: slot!.id,
        payment_info: { amount: 2500, status: 'completed' },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      success: true,
      ticket_id: app.ticket_id,
      session: {
        date: '08.12',
        time: '14:00',
        start_iso: '2026-12-08T11:00:00.000Z',
        psychologist: 'Анна Букина',
        client_name: 'Мария',
        status: 'pending',
      },
    });
    expect(body.session.meeting_link).toMatch(/^https:\/\/meet\.jit\.si\/hrani-[A-Za-z0-9]{20,}$/);

    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('id', '=', body.session.id)
      .executeTakeFirstOrThrow();
    // A client cannot declare what was paid: payment_info is the operators' to record.
    expect(session).toMatchObject({ payment_amount: null, payment_status: null, kind: 'diagnostic' });
    expect(session.remind_at?.toISOString()).toBe('2026-12-08T09:00:00.000Z');
    expect(session.feedback_due_at?.toISOString()).toBe('2026-12-08T13:00:00.000Z');
    const slotRow = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('state')
      .where('id', '=', slot!.id)
      .executeTakeFirstOrThrow();
    expect(slotRow.state).toBe('booked');
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('ticket_id', '=', app.ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket).toMatchObject({ status: 'booked', psychologist_id: anna.id });

    const messages = await outboxFor(app.ticket_id);
    const byRecipient = Object.fromEntries(messages.filter((m) => m.session_id).map((m) => [m.recipient, m]));
    expect(byRecipient.client).toMatchObject({ chat_id: '555000111', status: 'skipped' });
    expect(byRecipient.client!.text).toContain('08.12 в 14:00');
    expect(byRecipient.client!.text).toContain(body.session.meeting_link);
    expect(byRecipient.psychologist).toMatchObject({ chat_id: '5001' });
    expect(byRecipient.psychologist!.text).toContain('Мария');
    expect(byRecipient.admin).toMatchObject({ chat_id: '-100500' });

    // A Telegram id only typed into a form is never a destination: that booking's client message has no chat.
    const typed = await submitApplication(t, { contact: { type: 'telegram', value: '555000222' } });
    expect((await book(typed.lead_number, unproven!, anna.id)).statusCode).toBe(200);
    const typedMessages = (await outboxFor(typed.ticket_id)).filter((m) => m.session_id);
    expect(typedMessages.find((m) => m.recipient === 'client')).toMatchObject({ chat_id: null });
    expect(
      await t.deps.db.selectFrom('outbox').select('id').where('chat_id', '=', '555000222').execute(),
    ).toEqual([]);
  });

  it('answers 409 slot_taken for a booked slot and stores nothing', async () => {
    const [slot] = await addSlots(t, anna.id, ['08.12 15:00']);
    const first = await submitApplication(t);
    const second = await submitApplication(t);
    expect((await book(first.lead_number, slot!, anna.id)).statusCode).toBe(200);
    const before = await t.deps.db.selectFrom('hraniteli_sessions').select('id').execute();
    const res = await book(second.lead_number, slot!, anna.id);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.type).toBe('slot_taken');
    expect(await t.deps.db.selectFrom('hraniteli_sessions').select('id').execute()).toHaveLength(
      before.length,
    );
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('status')
      .where('ticket_id', '=', second.ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket.status).not.toBe('booked');
  });

  it('answers 404 for unknown client, psychologist and slot, and 400 for a slot of another psychologist', async () => {
    const [slot] = await addSlots(t, anna.id, ['08.12 16:00']);
    const app = await submitApplication(t);
    const unknownLead = await book('zz9999', slot!, anna.id);
    expect(unknownLead.statusCode).toBe(404);
    expect(unknownLead.json().error.type).toBe('client_not_found');
    // The client is looked up with the slot: an unknown one is named even when the slot is unknown too.
    const nobody = await book(
      '00000000-0000-4000-8000-000000000000',
      { id: slot!.id.replace(/.$/, '0') },
      anna.id,
    );
    expect(nobody.json().error.type).toBe('client_not_found');
    expect((await book(app.lead_number, slot!, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect(
      (await book(app.lead_number, { id: '00000000-0000-4000-8000-000000000000' }, anna.id)).statusCode,
    ).toBe(404);
    const wrong = await book(app.lead_number, slot!, boris.id);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0].field).toBe('slot_id');
    // The client as a UUID, or as a lead number typed in capitals with spaces, is the same client.
    const client = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select('id')
      .where('lead_number', '=', app.lead_number)
      .executeTakeFirstOrThrow();
    expect(
      (await book(client.id, { id: '00000000-0000-4000-8000-000000000000' }, anna.id)).json().error.type,
    ).toBe('slot_not_found');
    const typed = await book(` ${app.lead_number.toUpperCase()} `, slot!, anna.id);
    expect(typed.statusCode, typed.body).toBe(200);
    expect(typed.json().ticket_id).toBe(app.ticket_id);
  });

  it('validates the body, naming the field', async () => {
    const res = await t.admin({
      method: 'POST',
      url: '/process-diagnostic-session-request',
      payload: {
        client_id: 'ab1234',
        psychologist_id: anna.id,
        slot_id: 'not-a-uuid',
        payment_info: { amount: -1, status: 'paid' },
      },
    });
    expect(res.statusCode).toBe(400);
    const fields = res.json().error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['slot_id', 'payment_info.amount', 'payment_info.status']));
  });

  it('keeps one active session per ticket: a second booking for the same ticket is a 409', async () => {
    const [first, second] = await addSlots(t, anna.id, ['09.12 18:00', '09.12 19:00']);
    const app = await submitApplication(t);
    expect((await book(app.lead_number, first!, anna.id, { ticket_id: app.ticket_id })).statusCode).toBe(200);
    const res = await book(app.lead_number, second!, anna.id, { ticket_id: app.ticket_id });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.type).toBe('ticket_has_active_session');
    const slot = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('state')
      .where('id', '=', second!.id)
      .executeTakeFirstOrThrow();
    expect(slot.state).toBe('free');
  });

  it('refuses a slot that starts within MIN_LEAD_MINUTES', async () => {
    const [soon] = await addSlots(t, anna.id, ['07.12 12:30']);
    const app = await submitApplication(t);
    const res = await book(app.lead_number, soon!, anna.id);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.type).toBe('slot_unavailable');
  });

  it('lets a client token book only for its own client', async () => {
    const [slot] = await addSlots(t, anna.id, ['08.12 17:00']);
    const mine = await submitApplication(t);
    const other = await submitApplication(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/process-diagnostic-session-request',
      headers: bearer(mine.client_token),
      payload: {
        client_id: other.lead_number,
        psychologist_id: anna.id,
        slot_id: slot!.id,
        payment_info: { amount: 0, status: 'pending' },
      },
    });
    expect(res.statusCode).toBe(403);
    const noCredentials = await t.app.inject({
      method: 'POST',
      url: '/process-diagnostic-session-request',
      payload: {
        client_id: other.lead_number,
        psychologist_id: anna.id,
        slot_id: slot!.id,
        payment_info: { amount: 0, status: 'pending' },
      },
    });
    expect(noCredentials.statusCode).toBe(401);
  });
});

describe('confirm-session-by-client', () => {
  it('confirms a pending session at that time; again is a no-op 200', async () => {
    const [slot] = await addSlots(t, anna.id, ['09.12 10:00']);
    const app = await submitApplication(t);
    expect((await book(app.lead_number, slot!, anna.id)).statusCode).toBe(200);
    const confirm = () =>
      postAs(t, app.client_token, '/confirm-session-by-client', {
        ticket_id: app.ticket_id,
        slot_time: '09.12 10:00',
      });
    const first = await confirm();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ success: true, message: 'Сессия подтверждена' });
    const second = await confirm();
    expect(second.statusCode).toBe(200);
    expect(second.json().message).toBe('Сессия уже подтверждена');
    const confirmedMessages = (await outboxFor(app.ticket_id)).filter((m) =>
      m.dedupe_key.startsWith('confirmed:'),
    );
    expect(confirmedMessages.map((m) => m.recipient).sort()).toEqual(['client', 'psychologist']);
  });

  it('books and confirms one of the ticket’s candidate slots when there is no session', async () => {
    await addSlots(t, boris.id, ['10.12 11:00', '10.12 12:00']);
    const app = await submitApplication(t, {
      selected_slots: ['10.12 11:00', '10.12 12:00'],
      preferences: { gender: 'male' },
    });
    expect(app.matched_psychologists.map((p) => p.id)).toEqual([boris.id]);
    const res = await postAs(t, app.client_token, '/confirm-session-by-client', {
      ticket_id: app.ticket_id,
      slot_time: '2026-12-10T09:00:00Z',
    });
    expect(res.statusCode, res.body).toBe(200);
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', app.ticket_id)
      .executeTakeFirstOrThrow();
    expect(session.status).toBe('confirmed');
    expect(session.start_at.toISOString()).toBe('2026-12-10T09:00:00.000Z');
  });

  it('answers 404 for a time with no slot, 409 for a taken one, 409 for a cancelled session, 400 for a bad time', async () => {
    const [slot] = await addSlots(t, boris.id, ['11.12 11:00']);
    const app = await submitApplication(t, {
      selected_slots: ['11.12 11:00'],
      preferences: { gender: 'male' },
    });
    const rival = await submitApplication(t);
    const confirm = (time: string) =>
      postAs(t, app.client_token, '/confirm-session-by-client', {
        ticket_id: app.ticket_id,
        slot_time: time,
      });
    expect((await confirm('11.12 23:00')).statusCode).toBe(404);
    const bad = await confirm('31.02 10:00');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('slot_time');
    expect((await book(rival.lead_number, slot!, boris.id)).statusCode).toBe(200);
    const taken = await confirm('11.12 11:00');
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.type).toBe('slot_taken');

    const [own] = await addSlots(t, boris.id, ['11.12 15:00']);
    expect((await book(app.lead_number, own!, boris.id, { ticket_id: app.ticket_id })).statusCode).toBe(200);
    const cancel = await postAs(t, app.client_token, '/cancel-session', {
      ticket_id: app.ticket_id,
      cancellation_reason: 'заболела',
    });
    expect(cancel.statusCode).toBe(200);
    const again = await confirm('11.12 15:00');
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toContain('cancelled');
  });
});

describe('cancel-session', () => {
  it('cancels the active session, frees the slot, reopens the ticket, drops reminders and notifies', async () => {
    const [slot] = await addSlots(t, anna.id, ['12.12 10:00']);
    const app = await submitApplication(t, { contact: { type: 'telegram', value: '777000111' } });
    const booked = await book(app.lead_number, slot!, anna.id);
    const res = await postAs(t, app.client_token, '/cancel-session', {
      ticket_id: app.ticket_id,
      cancellation_reason: 'Планы изменились',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, message: 'Сессия отменена' });
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('id', '=', booked.json().session.id)
      .executeTakeFirstOrThrow();
    expect(session).toMatchObject({
      status: 'cancelled',
      cancellation_reason: 'Планы изменились',
      remind_at: null,
      feedback_due_at: null,
    });
    const slotRow = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('state')
      .where('id', '=', slot!.id)
      .executeTakeFirstOrThrow();
    expect(slotRow.state).toBe('free');
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('status')
      .where('ticket_id', '=', app.ticket_id)
      .executeTakeFirstOrThrow();
    expect(['matched', 'new']).toContain(ticket.status);
    const cancellations = (await outboxFor(app.ticket_id)).filter((m) =>
      m.dedupe_key.startsWith('cancellation:'),
    );
    expect(cancellations.map((m) => m.recipient).sort()).toEqual(['admin', 'client', 'psychologist']);
    expect(cancellations.find((m) => m.recipient === 'psychologist')!.text).toContain('Планы изменились');

    const again = await postAs(t, app.client_token, '/cancel-session', {
      ticket_id: app.ticket_id,
      cancellation_reason: 'ещё раз',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.type).toBe('no_active_session');
  });

  it('requires a reason and a known ticket', async () => {
    const app = await submitApplication(t);
    const noReason = await postAs(t, app.client_token, '/cancel-session', {
      ticket_id: app.ticket_id,
      cancellation_reason: '',
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.details[0].field).toBe('cancellation_reason');
    const unknown = await t.admin({
      method: 'POST',
      url: '/cancel-session',
      payload: { ticket_id: '1000000', cancellation_reason: 'x' },
    });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('reschedule-session', () => {
  it('moves the session to the new slot in one step: same id, pending, old slot free, new link and messages', async () => {
    const [from, to] = await addSlots(t, anna.id, ['14.12 10:00', '15.12 10:00']);
    const app = await submitApplication(t, { contact: { type: 'telegram', value: '888000111' } });
    const booked = (await book(app.lead_number, from!, anna.id)).json();
    await postAs(t, app.client_token, '/confirm-session-by-client', {
      ticket_id: app.ticket_id,
      slot_time: '14.12 10:00',
    });
    const res = await postAs(t, app.client_token, '/reschedule-session', {
      ticket_id: app.ticket_id,
      new_slot_time: '15.12 10:00',
    });
    expect(res.statusCode, res.body).toBe(200);
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('id', '=', booked.session.id)
      .executeTakeFirstOrThrow();
    expect(session).toMatchObject({ slot_id: to!.id, status: 'pending' });
    expect(session.meeting_link).not.toBe(booked.session.meeting_link);
    expect(session.remind_at?.toISOString()).toBe('2026-12-15T05:00:00.000Z');
    const states = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select(['id', 'state'])
      .where('id', 'in', [from!.id, to!.id])
      .execute();
    expect(Object.fromEntries(states.map((s) => [s.id, s.state]))).toEqual({
      [from!.id]: 'free',
      [to!.id]: 'booked',
    });
    const moved = (await outboxFor(app.ticket_id)).filter((m) =>
      m.dedupe_key.includes('2026-12-15T07:00:00.000Z'),
    );
    expect(moved.map((m) => m.recipient).sort()).toEqual(['admin', 'client', 'psychologist']);
    expect(moved.find((m) => m.recipient === 'client')!.text).toContain('перенесена');
  });

  it('answers 409 when the new slot is taken and 404 when the psychologist has no slot then', async () => {
    const [mine, taken] = await addSlots(t, anna.id, ['16.12 10:00', '16.12 11:00']);
    const app = await submitApplication(t);
    const rival = await submitApplication(t);
    await book(app.lead_number, mine!, anna.id);
    await book(rival.lead_number, taken!, anna.id);
    const move = (time: string) =>
      postAs(t, app.client_token, '/reschedule-session', { ticket_id: app.ticket_id, new_slot_time: time });
    const res = await move('16.12 11:00');
    expect(res.statusCode).toBe(409);
    expect(res.json().error.type).toBe('slot_taken');
    expect((await move('16.12 20:00')).statusCode).toBe(404);
    const slot = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('state')
      .where('id', '=', mine!.id)
      .executeTakeFirstOrThrow();
    expect(slot.state).toBe('booked');
  });
});

describe('rate-session and client-sessions-history', () => {
  it('rates the latest past session, overwrites on a second rating, keeps history, alerts on low ratings', async () => {
    const [slot] = await addSlots(t, anna.id, ['08.12 19:00']);
    const app = await submitApplication(t, { contact: { type: 'telegram', value: '@history_user' } });
    // The person proved the account in the bot (the service key vouches here; the record takes the typed
    // @username): only a proven username names a history.
    const linked = await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: '5550333', ticket_id: app.ticket_id },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    await book(app.lead_number, slot!, anna.id);
    const rate = (rating: number, feedback: string) =>
      postAs(t, app.client_token, '/rate-session', { ticket_id: app.ticket_id, rating, feedback });
    const early = await rate(5, 'ещё не было');
    expect(early.statusCode).toBe(409);
    t.clock.set('2026-12-08T18:00:00.000Z');
    try {
      expect((await rate(5, 'Спасибо')).statusCode).toBe(200);
      // Repeated low ratings of one session alert the operators once, not once per post.
      expect((await rate(1, 'Плохо')).statusCode).toBe(200);
      expect((await rate(2, 'Передумала')).statusCode).toBe(200);
      const bad = await rate(6, 'x');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details[0].field).toBe('rating');
    } finally {
      t.clock.set('2026-12-07T09:00:00.000Z');
    }
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', app.ticket_id)
      .executeTakeFirstOrThrow();
    expect(session).toMatchObject({ rating: 2, feedback: 'Передумала', status: 'pending' });
    const history = await t.deps.db
      .selectFrom('session_ratings')
      .select('rating')
      .where('session_id', '=', session.id)
      .execute();
    expect(history.map((h) => h.rating).sort()).toEqual([1, 2, 5]);
    const alerts = (await outboxFor(app.ticket_id)).filter((m) => m.dedupe_key.startsWith('low-rating:'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain('1/5');

    // The whole history needs a proven identity: the submission's ticket token is not enough.
    const scoped = await t.app.inject({
      url: '/client-sessions-history?client_telegram=%40History_User',
      headers: bearer(app.client_token),
    });
    expect(scoped.statusCode).toBe(403);
    const res = await t.admin({ url: '/client-sessions-history?client_telegram=%40History_User' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      sessions: [
        {
          ticket_id: app.ticket_id,
          psychologist_name: 'Анна Букина',
          slot_time: '08.12 19:00',
          status: 'pending',
          rating: 2,
          feedback: 'Передумала',
        },
      ],
    });
    const other = await submitApplication(t);
    expect(
      (
        await t.app.inject({
          url: '/client-sessions-history?client_telegram=history_user',
          headers: bearer(other.client_token),
        })
      ).statusCode,
    ).toBe(403);
    expect((await t.admin({ url: '/client-sessions-history?client_telegram=nobody_here' })).json()).toEqual({
      sessions: [],
    });
    // A username only typed into a form names nobody's history, even with a booked session behind it.
    const [typedSlot] = await addSlots(t, anna.id, ['08.12 20:00']);
    const typed = await submitApplication(t, { contact: { type: 'telegram', value: '@typed_history' } });
    expect((await book(typed.lead_number, typedSlot!, anna.id)).statusCode).toBe(200);
    expect((await t.admin({ url: '/client-sessions-history?client_telegram=typed_history' })).json()).toEqual(
      {
        sessions: [],
      },
    );
  });
});

describe('operator sessions', () => {
  it('books through POST /admin/sessions with the same 409 on a taken slot', async () => {
    const [slot] = await addSlots(t, boris.id, ['17.12 10:00']);
    const a = await submitApplication(t);
    const b = await submitApplication(t);
    const first = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: a.lead_number },
    });
    expect(first.statusCode, first.body).toBe(201);
    const second = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: b.lead_number },
    });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.type).toBe('slot_taken');
  });

  it('marks sessions completed / missed / cancelled by the state machine', async () => {
    const [slot] = await addSlots(t, boris.id, ['08.12 20:00']);
    const app = await submitApplication(t);
    const booked = (await book(app.lead_number, slot!, boris.id)).json();
    const mark = (status: string) =>
      t.admin({ method: 'POST', url: `/admin/sessions/${booked.session.id}/status`, payload: { status } });
    const tooEarly = await mark('completed');
    expect(tooEarly.statusCode).toBe(409);
    t.clock.set('2026-12-08T19:00:00.000Z');
    try {
      expect((await mark('completed')).statusCode).toBe(200);
      const p = await t.deps.db
        .selectFrom('hraniteli_psychologists')
        .select('number_of_clients_provided')
        .where('id', '=', boris.id)
        .executeTakeFirstOrThrow();
      expect(p.number_of_clients_provided).toBe(1);
      expect((await mark('missed')).json().session.status).toBe('missed');
      const cancelled = await mark('cancelled');
      expect(cancelled.statusCode).toBe(409);
      expect(cancelled.json().message).toContain('missed');
      const ticket = await t.deps.db
        .selectFrom('hraniteli_tickets')
        .select('status')
        .where('ticket_id', '=', app.ticket_id)
        .executeTakeFirstOrThrow();
      expect(ticket.status).toBe('closed');
    } finally {
      t.clock.set('2026-12-07T09:00:00.000Z');
    }
  });

  it('moves a ticket and assigns a psychologist with PATCH /admin/tickets/:ticket_id', async () => {
    const app = await submitApplication(t, {
      preferences: { specializations: ['никто-не-работает-с-этим'] },
    });
    const res = await t.admin({
      method: 'PATCH',
      url: `/admin/tickets/${app.ticket_id}`,
      payload: { psychologist: 'анна  букина', note: 'вручную' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().ticket).toMatchObject({ psychologist_id: anna.id, status: 'matched', note: 'вручную' });
    const closed = await t.admin({
      method: 'PATCH',
      url: `/admin/tickets/${app.ticket_id}`,
      payload: { status: 'cancelled' },
    });
    expect(closed.json().ticket.status).toBe('cancelled');
    const bad = await t.admin({
      method: 'PATCH',
      url: `/admin/tickets/${app.ticket_id}`,
      payload: { status: 'booked' },
    });
    expect(bad.statusCode).toBe(400);
  });
});
