// Free-slot listing, submissions (application, helping hand, diagnostic request), matching rules and
// the ticket lookup, through real HTTP requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import {
  addSlots,
  bearer,
  createPsychologist,
  submitApplication,
  type PsychologistFixture,
} from '../support/fixtures.ts';

let t: TestApp;
let olga: PsychologistFixture; // female, 2000, anxiety + relationships, debt 5
let pavel: PsychologistFixture; // male, 3500, burnout, debt 9
let vera: PsychologistFixture; // female, 1500, anxiety, debt 9, helping hand
let sleepy: PsychologistFixture; // inactive

beforeAll(async () => {
  t = await createTestApp();
  olga = await createPsychologist(t, {
    name: 'Ольга Матчева',
    sex: 'female',
    min_price: 2000,
    max_price: 3000,
    queries: ['Тревога', 'Отношения'],
    debt: 5,
  });
  pavel = await createPsychologist(t, {
    name: 'Павел Матчев',
    sex: 'male',
    min_price: 3500,
    max_price: 5000,
    queries: ['Выгорание'],
    debt: 9,
  });
  vera = await createPsychologist(t, {
    name: 'Вера Матчева',
    sex: 'female',
    min_price: 1500,
    max_price: 2500,
    queries: ['тревога'],
    debt: 9,
    help_hand: true,
  });
  sleepy = await createPsychologist(t, {
    name: 'Спящий Неактивный',
    sex: 'male',
    min_price: 1000,
    max_price: 2000,
    queries: ['Тревога'],
    is_active: false,
  });
  await addSlots(t, olga.id, ['08.12 10:00', '08.12 11:00', '09.12 10:00']);
  await addSlots(t, pavel.id, ['08.12 10:00', '08.12 12:00'], { price: 4000 });
  await addSlots(t, vera.id, ['08.12 10:00', '10.12 18:00']);
  await addSlots(t, sleepy.id, ['08.12 10:00']);
});
afterAll(async () => t.close());

describe('get-available-slots', () => {
  const get = (query: string) => t.app.inject({ url: `/get-available-slots?${query}` });

  it('lists free slots of active psychologists by time then name, with both time forms', async () => {
    const res = await get('from=2026-12-08&to=2026-12-08');
    expect(res.statusCode).toBe(200);
    const slots = res.json().slots as {
      date: string;
      time: string;
      psychologist: string;
      price: number;
      start_iso: string;
    }[];
    expect(slots.map((s) => `${s.time} ${s.psychologist}`)).toEqual([
      '10:00 Вера Матчева',
      '10:00 Ольга Матчева',
      '10:00 Павел Матчев',
      '11:00 Ольга Матчева',
      '12:00 Павел Матчев',
    ]);
    expect(slots[0]).toMatchObject({
      date: '08.12',
      start_iso: '2026-12-08T07:00:00.000Z',
      price: 1500,
      duration_minutes: 60,
    });
    expect(slots[2]!.price).toBe(4000);
    expect(JSON.stringify(res.json())).not.toMatch(/telegram|contact|phone/);
  });

  it('filters by psychologist name (case, spaces, ё), gender, price and specializations', async () => {
    const byName = await get(`psychologist=${encodeURIComponent('  ОЛЬГА   матчёва ')}`);
    expect(byName.json().slots.map((s: { psychologist: string }) => s.psychologist)).toEqual([
      'Ольга Матчева',
      'Ольга Матчева',
      'Ольга Матчева',
    ]);
    const male = await get('gender=male');
    expect(new Set(male.json().slots.map((s: { psychologist: string }) => s.psychologist))).toEqual(
      new Set(['Павел Матчев']),
    );
    const cheap = await get('price_max=2000');
    expect(new Set(cheap.json().slots.map((s: { psychologist: string }) => s.psychologist))).toEqual(
      new Set(['Ольга Матчева', 'Вера Матчева']),
    );
    const burnout = await get(`specializations=${encodeURIComponent('выгорание,Семья')}`);
    expect(new Set(burnout.json().slots.map((s: { psychologist: string }) => s.psychologist))).toEqual(
      new Set(['Павел Матчев']),
    );
    expect((await get(`psychologist_id=${pavel.id}`)).json().slots).toHaveLength(2);
  });

  it('adds the client’s local time for userTimeOffsetMsk', async () => {
    const res = await get(`psychologist_id=${vera.id}&userTimeOffsetMsk=4.5`);
    expect(res.json().slots[1]).toMatchObject({
      date: '10.12',
      time: '18:00',
      local_date: '10.12',
      local_time: '22:30',
    });
    const west = await get(`psychologist_id=${vera.id}&userTimeOffsetMsk=-1`);
    expect(west.json().slots[1]).toMatchObject({ local_time: '17:00' });
  });

  it('leaves out slots starting within MIN_LEAD_MINUTES and booked ones', async () => {
    await addSlots(t, olga.id, ['07.12 12:30', '07.12 14:00']);
    const today = await get('from=2026-12-07&to=2026-12-07');
    expect(today.json().slots.map((s: { time: string }) => s.time)).toEqual(['14:00']);
  });

  it('answers 400 naming the field for bad filters and 404 for an unknown psychologist', async () => {
    for (const [query, field] of [
      ['from=2026-02-30', 'from'],
      ['to=yesterday', 'to'],
      ['price_max=-5', 'price_max'],
      ['userTimeOffsetMsk=abc', 'userTimeOffsetMsk'],
      ['gender=robot', 'gender'],
      ['psychologist_id=42', 'psychologist_id'],
      ['from=2026-12-10&to=2026-12-01', 'to'],
    ] as const) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.details[0].field, query).toBe(field);
    }
    expect((await get('psychologist=Никто%20Такой')).statusCode).toBe(404);
  });
});

describe('submit-application matching', () => {
  it('matches by gender, price and specializations, ordered by coefficient, with candidate slots stored', async () => {
    const res = await submitApplication(t, {
      preferences: { gender: 'Женщина', price_max: 2500, specializations: ['ТРЕВОГА'] },
      selected_slots: [],
    });
    expect(res.matched_psychologists.map((p) => p.name)).toEqual(['Вера Матчева', 'Ольга Матчева']);
    expect(res.matched_psychologists[0]).toMatchObject({ id: vera.id, price: 1500 });
    expect(res.matched_psychologists[0]!.slots.map((s) => `${s.date} ${s.time}`)).toEqual([
      '08.12 10:00',
      '10.12 18:00',
    ]);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('ticket_id', '=', res.ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket.status).toBe('matched');
    expect(ticket.type).toBe('application');
    expect(ticket.matched_psychologists).toEqual([vera.id, olga.id]);
    expect(ticket.candidate_slot_ids).toHaveLength(2 + 3 + 1);
    expect(res.bot_link).toBe(`https://t.me/hraniteli_test_bot?start=${res.ticket_id}`);
    expect(res.ticket_id).toMatch(/^\d{7}$/);
    expect(res.lead_number).toMatch(/^[a-z]{2}\d{4}$/);
  });

  it('keeps only psychologists free at the selected times (ids or "DD.MM HH:mm"), more fitting slots first on equal coefficient', async () => {
    const olgaSlots = (await t.admin({ url: `/admin/slots?psychologist=${olga.id}` })).json().slots as {
      id: string;
      date: string;
      time: string;
    }[];
    const olga11 = olgaSlots.find((s) => s.date === '08.12' && s.time === '11:00')!;
    const res = await submitApplication(t, {
      selected_slots: ['08.12 10:00', olga11.id],
      preferences: { gender: 'any', price_max: 10000 },
    });
    // Pavel and Vera share the highest coefficient (debt 9); Olga has two fitting slots but debt 5.
    expect(res.matched_psychologists.map((p) => [p.name, p.slots.length])).toEqual([
      ['Вера Матчева', 1],
      ['Павел Матчев', 1],
      ['Ольга Матчева', 2],
    ]);
  });

  it('orders by the remaining coefficient, which drops as sessions are assigned this month', async () => {
    const [slot] = await addSlots(t, pavel.id, ['21.12 10:00']);
    for (let i = 0; i < 5; i++) {
      const [s] = i === 0 ? [slot] : await addSlots(t, pavel.id, [`2${i + 1}.12 10:00`]);
      const c = await submitApplication(t);
      const booked = await t.admin({
        method: 'POST',
        url: '/admin/sessions',
        payload: { slot_id: s!.id, lead_number: c.lead_number },
      });
      expect(booked.statusCode).toBe(201);
    }
    const coeff = await t.deps.db
      .selectFrom('hraniteli_psychologists')
      .select('debt')
      .where('id', '=', pavel.id)
      .executeTakeFirstOrThrow();
    expect(coeff.debt).toBe(9);
    const res = await submitApplication(t, {
      selected_slots: ['08.12 10:00'],
      preferences: { gender: 'any', price_max: 10000 },
    });
    expect(res.matched_psychologists.map((p) => p.name)).toEqual([
      'Вера Матчева',
      'Ольга Матчева',
      'Павел Матчев',
    ]);
  });

  it('stays `new` with no matches, and still stores the ticket and tells the operators', async () => {
    const res = await submitApplication(t, { preferences: { gender: 'male', price_max: 1000 } });
    expect(res.matched_psychologists).toEqual([]);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('status')
      .where('ticket_id', '=', res.ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket.status).toBe('new');
    const admin = await t.deps.db
      .selectFrom('outbox')
      .selectAll()
      .where('dedupe_key', '=', `ticket-created:${res.ticket_id}`)
      .executeTakeFirstOrThrow();
    expect(admin).toMatchObject({ recipient: 'admin', chat_id: '-100500' });
    expect(admin.text).toContain(res.lead_number);
  });

  it('gives a second submission with the same contact a record and lead number of its own', async () => {
    // Typing a contact proves nothing (SPEC §3 Identity): the second submission is never filed under the
    // first one's record; both records keep what was typed, so operators can see "possibly the same person".
    const first = await submitApplication(t, { contact: { type: 'phone', value: '8 (900) 555-11-22' } });
    const second = await submitApplication(t, { contact: { type: 'whatsapp', value: '+7 900 555 11 22' } });
    expect(second.lead_number).not.toBe(first.lead_number);
    expect(second.ticket_id).not.toBe(first.ticket_id);
    const records = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select(['id', 'lead_number', 'phone', 'contact_key', 'telegram_id', 'telegram_username'])
      .where('lead_number', 'in', [first.lead_number, second.lead_number])
      .orderBy('created_at')
      .orderBy('lead_number')
      .execute();
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({
        phone: '+79005551122',
        contact_key: 'phone:+79005551122',
        telegram_id: null,
        telegram_username: null,
      });
    }
    for (const submitted of [first, second]) {
      const record = records.find((r) => r.lead_number === submitted.lead_number)!;
      const tickets = await t.deps.db
        .selectFrom('hraniteli_tickets')
        .select('ticket_id')
        .where('client_id', '=', record.id)
        .execute();
      expect(tickets).toEqual([{ ticket_id: submitted.ticket_id }]);
    }
  });

  it('gives each of concurrent first submissions with the same contact its own record, none lost', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        submitApplication(t, { contact: { type: 'phone', value: '+7 901 777 00 11' } }),
      ),
    );
    expect(new Set(results.map((r) => r.lead_number)).size).toBe(10);
    expect(new Set(results.map((r) => r.ticket_id)).size).toBe(10);
    const clients = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select(['id', 'lead_number'])
      .where('phone', '=', '+79017770011')
      .execute();
    expect(clients).toHaveLength(10);
    expect(new Set(clients.map((c) => c.lead_number))).toEqual(new Set(results.map((r) => r.lead_number)));
    const tickets = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select(['ticket_id', 'client_id'])
      .where(
        'client_id',
        'in',
        clients.map((c) => c.id),
      )
      .execute();
    expect(new Set(tickets.map((row) => row.ticket_id))).toEqual(new Set(results.map((r) => r.ticket_id)));
    expect(new Set(tickets.map((row) => row.client_id)).size).toBe(10);
  });

  it('keeps a form’s own 7-digit ticket id when free, otherwise stores it as form_ticket_id', async () => {
    const own = await submitApplication(t, { ticket_id: '4242424' });
    expect(own.ticket_id).toBe('4242424');
    const again = await submitApplication(t, { ticket_id: '4242424' });
    expect(again.ticket_id).not.toBe('4242424');
    const short = await submitApplication(t, { ticket_id: '9cnzeq' });
    const row = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select(['form_ticket_id'])
      .where('ticket_id', '=', short.ticket_id)
      .executeTakeFirstOrThrow();
    expect(row.form_ticket_id).toBe('9cnzeq');
  });

  it('writes a new person, the ticket and the operators’ message together, also when the form’s id was taken', async () => {
    const first = await submitApplication(t, { ticket_id: '5353535' });
    const second = await submitApplication(t, { ticket_id: '5353535' });
    expect(first.ticket_id).toBe('5353535');
    expect(second.ticket_id).not.toBe('5353535');
    expect(second.lead_number).not.toBe(first.lead_number);
    // The form id names the first ticket submitted under it; the later one keeps it only in its raw payload.
    const formIdOf = new Map([
      [first.ticket_id, '5353535'],
      [second.ticket_id, null],
    ]);
    const raw = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('raw_payload')
      .where('ticket_id', '=', second.ticket_id)
      .executeTakeFirstOrThrow();
    expect(raw.raw_payload).toMatchObject({ ticket_id: '5353535' });
    for (const submitted of [first, second]) {
      const client = await t.deps.db
        .selectFrom('hraniteli_clients')
        .select('id')
        .where('lead_number', '=', submitted.lead_number)
        .executeTakeFirstOrThrow();
      const tickets = await t.deps.db
        .selectFrom('hraniteli_tickets')
        .select(['ticket_id', 'form_ticket_id', 'bot_link'])
        .where('client_id', '=', client.id)
        .execute();
      expect(tickets).toEqual([
        {
          ticket_id: submitted.ticket_id,
          form_ticket_id: formIdOf.get(submitted.ticket_id),
          bot_link: `https://t.me/hraniteli_test_bot?start=${submitted.ticket_id}`,
        },
      ]);
      const messages = await t.deps.db
        .selectFrom('outbox')
        .select(['dedupe_key', 'recipient', 'client_id'])
        .where('ticket_id', '=', submitted.ticket_id)
        .execute();
      expect(messages).toEqual([
        { dedupe_key: `ticket-created:${submitted.ticket_id}`, recipient: 'admin', client_id: client.id },
      ]);
    }
  });

  it('returns the first answer for a retried submission with the same Idempotency-Key', async () => {
    const payload = {
      name: 'Повтор',
      age: 33,
      contact: { type: 'telegram', value: '@retry_user' },
      selected_slots: [],
      preferences: {},
    };
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/submit-application',
        headers: { 'idempotency-key': 'form-abc-1' },
        payload,
      });
    const [a, b] = await Promise.all([send(), send()]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.json().ticket_id).toBe(a.json().ticket_id);
    const c = await send();
    expect(c.json().ticket_id).toBe(a.json().ticket_id);
    const client = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select('id')
      // The typed @username is a claim: it stays on the record's contact key, never as its account.
      .where('contact_key', '=', 'telegram:@retry_user')
      .executeTakeFirstOrThrow();
    const tickets = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .where('client_id', '=', client.id)
      .execute();
    expect(tickets).toHaveLength(1);
  });

  it('accepts Tilda’s urlencoded posts with nested fields and numeric strings', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload:
        'name=%D0%A2%D0%B8%D0%BB%D1%8C%D0%B4%D0%B0&age=27&contact[type]=Telegram&contact[value]=%40tilda_user&preferences[gender]=any&utm_source=vk&utm_campaign=null&promocode=',
    });
    expect(res.statusCode, res.body).toBe(200);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('ticket_id', '=', res.json().ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket.utm).toEqual({ source: 'vk' });
    expect(ticket.promocode).toBeNull();
    expect((ticket.raw_payload as { utm_source: string }).utm_source).toBe('vk');
  });

  it('rejects bad input naming the field and stores nothing', async () => {
    const before = await t.deps.db.selectFrom('hraniteli_tickets').select('ticket_id').execute();
    const base = { name: 'Плохо', age: 30, contact: { type: 'telegram', value: '@bad_input' } };
    for (const [payload, field] of [
      [{ ...base, age: 7 }, 'age'],
      [{ ...base, age: 'abc' }, 'age'],
      [{ ...base, name: '' }, 'name'],
      [{ ...base, contact: { type: 'pigeon', value: 'x' } }, 'contact.type'],
      [{ ...base, contact: { type: 'phone', value: 'позвоните мне' } }, 'contact.value'],
      [{ ...base, preferences: { gender: 'robot' } }, 'preferences.gender'],
      [{ ...base, preferences: { price_max: -1 } }, 'preferences.price_max'],
      [{ ...base, selected_slots: ['31.02 10:00'] }, 'selected_slots.0'],
      [{ ...base, ticket_id: 'has spaces' }, 'ticket_id'],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/submit-application', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(
        res.json().error.details.map((d: { field: string }) => d.field),
        JSON.stringify(payload),
      ).toContain(field);
    }
    const after = await t.deps.db.selectFrom('hraniteli_tickets').select('ticket_id').execute();
    expect(after).toHaveLength(before.length);
  });
});

describe('register-ticket-for-help-hand', () => {
  it('creates an hh_ ticket matched only against helping-hand psychologists, price ignored', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/register-ticket-for-help-hand',
      payload: {
        name: 'Рука',
        age: 22,
        contact: { type: 'telegram', value: '@help_me' },
        price_session: 'free',
        preferences: { price_max: 0 },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.ticket_id).toMatch(/^hh_[a-z0-9]{7}$/);
    expect(body.matched_psychologists.map((p: { name: string }) => p.name)).toEqual(['Вера Матчева']);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('ticket_id', '=', body.ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket).toMatchObject({ type: 'help_hand', price_session: 'free', status: 'matched' });
    expect(ticket.help_hand_next_check_at?.toISOString()).toBe('2026-12-14T09:00:00.000Z');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/register-ticket-for-help-hand',
      payload: {
        name: 'Рука',
        age: 22,
        contact: { type: 'telegram', value: '@help_me' },
        price_session: '999',
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('price_session');
  });
});

describe('diagnostic-session-request', () => {
  it('creates a diagnostic ticket and answers with a message, ids, token and bot link at both paths', async () => {
    for (const url of ['/webhook/diagnostic-session-request', '/diagnostic-session-request']) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        payload: {
          client_name: 'Диагноз',
          client_email: `diag${url.length}@example.com`,
          request_text: 'Тревожно',
          utm: { source: 'google' },
        },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        success: true,
        bot_link: `https://t.me/hraniteli_test_bot?start=${body.ticket_id}`,
      });
      expect(typeof body.message).toBe('string');
      expect(typeof body.client_token).toBe('string');
      const ticket = await t.deps.db
        .selectFrom('hraniteli_tickets')
        .selectAll()
        .where('ticket_id', '=', body.ticket_id)
        .executeTakeFirstOrThrow();
      expect(ticket).toMatchObject({
        type: 'diagnostic',
        status: 'new',
        request_text: 'Тревожно',
        utm: { source: 'google' },
      });
    }
  });

  it('needs at least one valid contact and a request text', async () => {
    const none = await t.app.inject({
      method: 'POST',
      url: '/diagnostic-session-request',
      payload: { client_name: 'Без', request_text: 'x' },
    });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.details[0].field).toBe('client_phone');
    const badEmail = await t.app.inject({
      method: 'POST',
      url: '/diagnostic-session-request',
      payload: { client_name: 'Без', client_email: 'nope', request_text: 'x' },
    });
    expect(badEmail.json().error.details[0].field).toBe('client_email');
    const long = await t.app.inject({
      method: 'POST',
      url: '/diagnostic-session-request',
      payload: { client_name: 'Без', client_phone: '+79001112233', request_text: 'x'.repeat(5001) },
    });
    expect(long.json().error.details[0].field).toBe('request_text');
  });
});

describe('get-ticket-info', () => {
  it('shows personal fields only to the service and the ticket’s own client', async () => {
    const app = await submitApplication(t, {
      name: 'Секретная Клиентка',
      contact: { type: 'phone', value: '+79995554433' },
      request_text: 'очень личное',
    });
    const pub = await t.app.inject({ url: `/get-ticket-info?ticket_id=${app.ticket_id}` });
    expect(pub.statusCode).toBe(200);
    expect(pub.json().ticket).toMatchObject({
      id: app.ticket_id,
      client_name: null,
      client_phone: null,
      client_telegram: null,
      client_email: null,
      request_text: null,
      status: 'matched',
    });
    expect(pub.body).not.toContain('Секретная');
    const own = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${app.ticket_id}`,
      headers: bearer(app.client_token),
    });
    expect(own.json().ticket).toMatchObject({
      client_name: 'Секретная Клиентка',
      client_phone: '+79995554433',
      request_text: 'очень личное',
    });
    const other = await submitApplication(t);
    expect(
      (
        await t.app.inject({
          url: `/get-ticket-info?ticket_id=${app.ticket_id}`,
          headers: bearer(other.client_token),
        })
      ).statusCode,
    ).toBe(403);
    expect((await t.app.inject({ url: '/get-ticket-info?ticket_id=1234567' })).statusCode).toBe(404);
  });

  it('shows the psychologist, slot time and price of the session', async () => {
    const [slot] = await addSlots(t, olga.id, ['18.12 16:00'], { price: 2200 });
    const app = await submitApplication(t);
    await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: app.lead_number },
    });
    const res = await t.app.inject({
      url: `/webhook/get-ticket-info-test-contur?ticket_id=${app.ticket_id}`,
    });
    expect(res.json().ticket).toMatchObject({
      status: 'booked',
      psychologist_name: 'Ольга Матчева',
      slot_time: '18.12 16:00',
      slot_time_iso: '2026-12-18T13:00:00.000Z',
      price: 2200,
    });
  });

  it('answers the seed’s GET with a JSON body (client_id + link_id) with the stored record', async () => {
    const app = await submitApplication(t, { request_text: 'личный запрос' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/get-ticket-info',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ client_id: app.lead_number, link_id: app.ticket_id }),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      ticket_id: app.ticket_id,
      type: 'application',
      status: 'matched',
      request_text: null,
      raw_payload: null,
    });
    const withKey = await t.admin({
      method: 'GET',
      url: `/get-ticket-info?client_id=${app.lead_number}&link_id=${app.ticket_id}`,
    });
    expect(withKey.json().request_text).toBe('личный запрос');
    const wrongLead = await t.app.inject({
      url: `/get-ticket-info?client_id=zz0000&link_id=${app.ticket_id}`,
    });
    expect(wrongLead.statusCode).toBe(404);
    const bad = await t.app.inject({
      method: 'GET',
      url: '/get-ticket-info',
      headers: { 'content-type': 'application/json' },
      payload: '{oops',
    });
    expect(bad.statusCode).toBe(400);
  });
});

// Runs last: it adds a psychologist that the matching tests above would otherwise see.
describe('listing freshness', () => {
  const get = (query: string) => t.app.inject({ url: `/get-available-slots?${query}` });

  it('never shows a slot booked or added through this instance, however recently the listing was read', async () => {
    const fresh = await createPsychologist(t, { name: 'Свежая Листинговна' });
    const [slot] = await addSlots(t, fresh.id, ['11.12 09:00']);
    const before = await get(`psychologist_id=${fresh.id}`);
    expect(before.json().slots.map((s: { id: string }) => s.id)).toContain(slot!.id);
    const app = await submitApplication(t);
    const booked = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: app.lead_number },
    });
    expect(booked.statusCode).toBe(201);
    const after = await get(`psychologist_id=${fresh.id}`);
    expect(after.json().slots.map((s: { id: string }) => s.id)).not.toContain(slot!.id);
    const [added] = await addSlots(t, fresh.id, ['11.12 08:00']);
    const again = await get(`psychologist_id=${fresh.id}`);
    expect(again.json().slots.map((s: { id: string }) => s.id)).toContain(added!.id);
  });
});
