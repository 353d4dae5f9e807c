// Identity holes a hostile outside test found: a reused Idempotency-Key, a contact typed first, a known
// person's contacts read or overwritten through a public submission. Typing a contact proves nothing.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_API_KEY, type TestApp } from '../support/app.ts';
import { addSlots, bearer, createPsychologist, postAs, submitApplication } from '../support/fixtures.ts';

let t: TestApp;
let slotIds: string[];
let psychologist: { id: string; name: string };

beforeAll(async () => {
  t = await createTestApp();
  psychologist = await createPsychologist(t, { name: 'Ирина Идентова' });
  slotIds = (await addSlots(t, psychologist.id, ['09.12 10:00', '09.12 11:00', '09.12 12:00'])).map(
    (s) => s.id,
  );
});
afterAll(async () => t.close());

const application = (handle: string, name = 'Мария') => ({
  name,
  age: 30,
  contact: { type: 'telegram', value: handle },
  preferences: {},
  request_text: `личный запрос ${handle}`,
});

function post(url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url, payload, headers });
}

/**
 * The tickets whose submission typed this @handle. A typed handle is a claim: it stays on the ticket
 * (`typed_contact`) and on its record's contact key, never as the record's Telegram username.
 */
async function ticketsOf(handle: string) {
  return t.deps.db
    .selectFrom('hraniteli_tickets as t')
    .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
    .select(['t.ticket_id'])
    .where((eb) =>
      eb.or([
        eb(sql<string>`t.typed_contact->>'telegram'`, '=', `@${handle}`),
        eb('c.contact_key', '=', `telegram:@${handle}`),
      ]),
    )
    .execute();
}

describe('Idempotency-Key is bound to the route and the body', () => {
  it('another body with a used key is refused with 422 and reveals nothing of the first', async () => {
    const victim = await post('/submit-application', application('@idem_victim'), {
      'idempotency-key': 'shared-key-1',
    });
    expect(victim.statusCode).toBe(200);
    const attack = await post('/submit-application', application('@idem_attacker', 'Чужой'), {
      'idempotency-key': 'shared-key-1',
    });
    expect(attack.statusCode).toBe(422);
    expect(attack.json().error.type).toBe('idempotency_key_reused');
    expect(attack.body).not.toContain(victim.json().ticket_id);
    expect(attack.body).not.toContain(victim.json().lead_number);
    expect(await ticketsOf('idem_attacker')).toHaveLength(0);
  });

  it('the same body replays the first answer with a token no broader than the first one', async () => {
    const body = application('@idem_retry');
    const first = await post('/submit-application', body, { 'idempotency-key': 'retry-key-1' });
    const again = await post('/submit-application', body, { 'idempotency-key': 'retry-key-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json().ticket_id).toBe(first.json().ticket_id);
    // The person submits a second ticket; the replayed token still reaches the first ticket only.
    const second = await post('/submit-application', body);
    const other = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${second.json().ticket_id}`,
      headers: bearer(again.json().client_token),
    });
    expect(other.statusCode).toBe(403);
    expect(await ticketsOf('idem_retry')).toHaveLength(2);
  });

  it('two different bodies racing on one key: one is stored, the other refused', async () => {
    const [a, b] = await Promise.all([
      post('/submit-application', application('@idem_race_a'), { 'idempotency-key': 'race-key-1' }),
      post('/submit-application', application('@idem_race_b'), { 'idempotency-key': 'race-key-1' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 422]);
    const stored = (await ticketsOf('idem_race_a')).length + (await ticketsOf('idem_race_b')).length;
    expect(stored).toBe(1);
  });

  it('a key replays only on the route it was used on', async () => {
    const body = application('@idem_route');
    const first = await post('/submit-application', body, { 'idempotency-key': 'route-key-1' });
    const helpHand = await post('/register-ticket-for-help-hand', body, { 'idempotency-key': 'route-key-1' });
    expect(helpHand.statusCode).toBe(200);
    expect(helpHand.json().ticket_id).not.toBe(first.json().ticket_id);
  });

  it('keys expire after 24 hours', async () => {
    const clock = t.clock;
    const start = clock.now();
    await post('/submit-application', application('@idem_old'), { 'idempotency-key': 'old-key-1' });
    clock.set(new Date(start.getTime() + 24 * 60 * 60_000 + 1000));
    try {
      const later = await post('/submit-application', application('@idem_new'), {
        'idempotency-key': 'old-key-1',
      });
      expect(later.statusCode).toBe(200);
      expect(await ticketsOf('idem_new')).toHaveLength(1);
    } finally {
      clock.set(start);
    }
  });
});

describe('a contact typed into a form proves nothing', () => {
  it('the first submitter of a contact gets a token for that ticket only', async () => {
    const squatter = await submitApplication(t, application('@first_victim', 'Захватчик'));
    const real = await submitApplication(t, application('@first_victim', 'Настоящая'));
    // Each submission has a record of its own; the real person proves the account in the bot (here the
    // service key vouches), so @first_victim names their record and history from now on.
    expect(real.lead_number).not.toBe(squatter.lead_number);
    const linked = await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: '7100001', ticket_id: real.ticket_id, username: 'first_victim' },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    // The real person books a session on their own ticket.
    const booking = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { lead_number: real.lead_number, ticket_id: real.ticket_id, slot_id: slotIds[0] },
    });
    expect(booking.statusCode, booking.body).toBe(201);
    const asSquatter = bearer(squatter.client_token);
    for (const url of [
      `/get-ticket-info?ticket_id=${real.ticket_id}`,
      `/get-ticket-info?client_id=${real.lead_number}&link_id=${real.ticket_id}`,
      '/client-sessions-history?client_telegram=first_victim',
    ]) {
      const res = await t.app.inject({ url, headers: asSquatter });
      expect(res.statusCode, url).toBe(403);
      expect(res.body).not.toContain('Настоящая');
    }
    const cancel = await postAs(t, squatter.client_token, '/cancel-session', {
      ticket_id: real.ticket_id,
      cancellation_reason: 'захват',
    });
    expect(cancel.statusCode).toBe(403);
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select('status')
      .where('ticket_id', '=', real.ticket_id)
      .executeTakeFirstOrThrow();
    expect(session.status).toBe('pending');
  });

  it('a brand-new person’s submission token is scoped to the ticket, not the whole person', async () => {
    const fresh = await submitApplication(t, application('@brand_new_person'));
    const own = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${fresh.ticket_id}`,
      headers: bearer(fresh.client_token),
    });
    expect(own.statusCode).toBe(200);
    const history = await t.app.inject({
      url: '/client-sessions-history?client_telegram=brand_new_person',
      headers: bearer(fresh.client_token),
    });
    expect(history.statusCode).toBe(403);
  });
});

describe('a public submission neither reveals nor overwrites a known person', () => {
  it('shows only what the submission typed and keeps the stored name, phone and e-mail', async () => {
    const known = await post('/diagnostic-session-request', {
      client_name: 'Анна Известная',
      client_telegram: '@known_person',
      client_phone: '+7 916 555-44-33',
      client_email: 'anna.known@example.org',
      request_text: 'мой запрос',
    });
    expect(known.statusCode).toBe(200);
    // The known person has proven the account in the bot (the service key vouches here).
    const linked = await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: '7100002', ticket_id: known.json().ticket_id, username: 'known_person' },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    const probe = await submitApplication(t, application('@known_person', 'Самозванец'));
    // Typing the known person's username files the probe under a record of its own.
    expect(probe.lead_number).not.toBe(known.json().lead_number);
    for (const url of [
      `/get-ticket-info?ticket_id=${known.json().ticket_id}`,
      `/get-ticket-info?client_id=${known.json().lead_number}&link_id=${known.json().ticket_id}`,
      '/client-sessions-history?client_telegram=known_person',
    ]) {
      const res = await t.app.inject({ url, headers: bearer(probe.client_token) });
      expect(res.statusCode, url).toBe(403);
      expect(res.body).not.toContain('Известная');
      expect(res.body).not.toContain('5554433');
    }
    const info = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${probe.ticket_id}`,
      headers: bearer(probe.client_token),
    });
    expect(info.statusCode).toBe(200);
    const ticket = info.json().ticket;
    expect(ticket.client_name).toBe('Самозванец');
    expect(ticket.client_telegram).toBe('@known_person');
    expect(ticket.client_phone).toBeNull();
    expect(ticket.client_email).toBeNull();
    // The probe's own ticket id is random 7 digits and may hold "555" itself.
    expect(info.body.replaceAll(probe.ticket_id, '')).not.toContain('555');
    expect(info.body).not.toContain('anna.known');

    const stored = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select(['name', 'phone', 'email', 'telegram_id', 'telegram_username'])
      .where('lead_number', '=', known.json().lead_number)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({
      name: 'Анна Известная',
      phone: '+79165554433',
      email: 'anna.known@example.org',
      telegram_id: '7100002',
      telegram_username: 'known_person',
    });
    // The probe's record holds what the probe typed and no account: the typed username is only a claim.
    const probeRecord = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select(['name', 'phone', 'email', 'telegram_id', 'telegram_username', 'contact_key'])
      .where('lead_number', '=', probe.lead_number)
      .executeTakeFirstOrThrow();
    expect(probeRecord).toEqual({
      name: 'Самозванец',
      phone: null,
      email: null,
      telegram_id: null,
      telegram_username: null,
      contact_key: 'telegram:@known_person',
    });
    // Operators see what the new submission typed on its ticket.
    const view = await t.admin({ url: `/admin/tickets/${probe.ticket_id}` });
    expect(view.statusCode).toBe(200);
    expect(view.json().ticket.typed_contact).toMatchObject({ name: 'Самозванец', telegram: '@known_person' });
  });

  it('a ticket token never reads the stored contacts, also through a booking or a ticket with nothing typed', async () => {
    const known = await post('/diagnostic-session-request', {
      client_name: 'Вера Настоящая',
      client_telegram: '@booking_victim',
      client_phone: '+7 916 777-66-55',
      request_text: 'мой запрос',
    });
    expect(known.statusCode).toBe(200);
    const probe = await submitApplication(t, application('@booking_victim', 'Подставной'));
    expect(probe.lead_number).not.toBe(known.json().lead_number);
    const [slot] = await addSlots(t, psychologist.id, ['11.12 15:00']);
    // Naming the known person's lead number books nothing on their record.
    const planted = await postAs(t, probe.client_token, '/process-diagnostic-session-request', {
      client_id: known.json().lead_number,
      psychologist_id: psychologist.id,
      slot_id: slot!.id,
      payment_info: { amount: 0, status: 'pending' },
    });
    expect(planted.statusCode).toBe(403);
    expect(planted.body).not.toContain('Настоящая');
    const booked = await postAs(t, probe.client_token, '/process-diagnostic-session-request', {
      client_id: probe.lead_number,
      psychologist_id: psychologist.id,
      slot_id: slot!.id,
      ticket_id: probe.ticket_id,
      payment_info: { amount: 0, status: 'pending' },
    });
    expect(booked.statusCode, booked.body).toBe(200);
    expect(booked.json().session.client_name).toBe('Подставной');
    expect(booked.body).not.toContain('Настоящая');
    // A ticket that carries nothing typed, filed under the known person's record before records were keyed
    // by proof (made before typed contacts were kept), shows no stored contacts to its ticket token either.
    const knownRecord = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select('id')
      .where('lead_number', '=', known.json().lead_number)
      .executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('hraniteli_tickets')
      .set({ typed_contact: null, client_id: knownRecord.id })
      .where('ticket_id', '=', probe.ticket_id)
      .execute();
    await t.deps.db
      .updateTable('hraniteli_sessions')
      .set({ client_id: knownRecord.id })
      .where('ticket_id', '=', probe.ticket_id)
      .execute();
    // The token such a submission was handed back then: this ticket of that record.
    const legacyToken = await t.deps.tokens.issue(
      { clientId: knownRecord.id, ticketId: probe.ticket_id },
      t.clock.now(),
    );
    const info = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${probe.ticket_id}`,
      headers: bearer(legacyToken),
    });
    expect(info.statusCode, info.body).toBe(200);
    expect(info.body).not.toContain('Настоящая');
    expect(info.body).not.toContain('7776655');
    expect(info.json().ticket).toMatchObject({
      client_name: null,
      client_phone: null,
      client_telegram: null,
    });
    const asService = await t.admin({ url: `/get-ticket-info?ticket_id=${probe.ticket_id}` });
    expect(asService.json().ticket.client_name).toBe('Вера Настоящая');
  });

  it('the stored-record form answers anonymous callers without the client id or personal columns', async () => {
    const mine = await submitApplication(t, { ...application('@record_owner'), promocode: 'SECRET10' });
    const res = await t.app.inject({
      url: `/get-ticket-info?client_id=${mine.lead_number}&link_id=${mine.ticket_id}`,
    });
    expect(res.statusCode).toBe(200);
    const record = res.json();
    expect(record.ticket_id).toBe(mine.ticket_id);
    expect(record.client_id).toBeNull();
    expect(record.status).toBe('matched');
    for (const column of [
      'request_text',
      'raw_payload',
      'preferences',
      'utm',
      'promocode',
      'typed_contact',
    ]) {
      expect(record[column], column).toBeNull();
    }
    expect(res.body).not.toContain('record_owner');
    expect(res.body).not.toContain('SECRET10');
  });

  it('get-ticket-info shows the session status of the active or latest session', async () => {
    const mine = await submitApplication(t, application('@status_reader'));
    const booking = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { lead_number: mine.lead_number, ticket_id: mine.ticket_id, slot_id: slotIds[1] },
    });
    expect(booking.statusCode, booking.body).toBe(201);
    const info = await t.app.inject({ url: `/get-ticket-info?ticket_id=${mine.ticket_id}` });
    expect(info.json().ticket.session_status).toBe('pending');
    expect(info.headers['cache-control']).toContain('no-store');
  });
});

describe('what a client may declare', () => {
  it('payment_info is recorded from the service key only; a client’s answer says it was not', async () => {
    const mine = await submitApplication(t, application('@payment_client'));
    const book = (headers: Record<string, string>, slotId: string) =>
      t.app.inject({
        method: 'POST',
        url: '/process-diagnostic-session-request',
        headers,
        payload: {
          client_id: mine.lead_number,
          psychologist_id: psychologist.id,
          slot_id: slotId,
          ticket_id: mine.ticket_id,
          payment_info: { amount: 1, status: 'completed' },
        },
      });
    const asClient = await book(bearer(mine.client_token), slotIds[2]!);
    expect(asClient.statusCode, asClient.body).toBe(200);
    const row = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select(['id', 'payment_amount', 'payment_status'])
      .where('ticket_id', '=', mine.ticket_id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ payment_amount: null, payment_status: null });
    // Not dropped silently: the client's answer names what was not recorded and why.
    expect(asClient.json().warnings).toEqual([
      { field: 'payment_info', code: 'payment_not_recorded', message: expect.stringContaining('operators') },
    ]);
    const cancelled = await postAs(t, mine.client_token, '/cancel-session', {
      ticket_id: mine.ticket_id,
      cancellation_reason: 'другое время',
    });
    expect(cancelled.statusCode).toBe(200);
    const asService = await book({ 'x-api-key': TEST_API_KEY }, slotIds[2]!);
    expect(asService.statusCode, asService.body).toBe(200);
    const paid = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select(['payment_amount', 'payment_status'])
      .where('id', '=', asService.json().session.id)
      .executeTakeFirstOrThrow();
    expect(paid).toEqual({ payment_amount: 1, payment_status: 'completed' });
    expect(asService.json()).not.toHaveProperty('warnings');
  });
});
