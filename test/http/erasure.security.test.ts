// The privacy operations of spec/admin-api.md: GET /admin/clients/:lead_number shows what is held about a
// person, DELETE erases it. Two people leave data everywhere the service keeps any (forms, bookings,
// ratings, cancellations, messages, a login code, a questionnaire, a relayed thread, research and
// analytics rows); one is erased; then every text, JSON and text-array column of every table is searched
// for each of their personal values: none may remain, while the other person's are all still there.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseClient } from '../../src/commands/erase-client.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { AppError } from '../../src/errors.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import {
  addSlots,
  bearer,
  createPsychologist,
  postAs,
  type PsychologistFixture,
} from '../support/fixtures.ts';

let t: TestApp;
let p: PsychologistFixture;

beforeAll(async () => {
  t = await createTestApp();
  p = await createPsychologist(t, { name: 'Эра Стирающая', telegram_id: '6100' });
});
afterAll(async () => {
  expect(await invariantViolations(t.deps.db)).toEqual([]);
  await t.close();
});

/** What identifies a person, as they typed it: every value the erasure must remove. */
interface PersonalValues {
  name: string;
  phone: string;
  phoneDigits: string;
  email: string;
  telegramId: string;
  username: string;
  request: string;
  feedback: string;
  cancellationReason: string;
}

interface Person {
  values: PersonalValues;
  lead: string;
  clientId: string;
  /** The record the application form's public submission made, before its ticket joined the account. */
  formRecordId: string;
  tokens: { diagnostic: string; application: string; whole: string };
}

const aglaya: PersonalValues = {
  name: 'Аглая Стираемая',
  phone: '+79161110001',
  phoneDigits: '9161110001',
  email: 'aglaya.erase@example.org',
  telegramId: '7001110001',
  username: 'aglaya_erase',
  request: 'Аглая боится темноты',
  feedback: 'Аглае не понравилось молчание',
  cancellationReason: 'Аглая заболела гриппом',
};

const borislava: PersonalValues = {
  name: 'Борислава Остающаяся',
  phone: '+79162220002',
  phoneDigits: '9162220002',
  email: 'borislava.stay@example.org',
  telegramId: '7002220002',
  username: 'borislava_stay',
  request: 'Борислава не спит ночами',
  feedback: 'Бориславе не хватило времени',
  cancellationReason: 'Борислава уехала в командировку',
};

/**
 * A person who went every way the service keeps data: the short form, a Telegram account proven for it,
 * a login code (with a failed try) and the whole-client token it gives, the application form (with a
 * form id, UTM marks and an Idempotency-Key — a record of its own, until the person opened it from their
 * account and it joined theirs), two bookings (one rated low, one cancelled with a reason), a
 * questionnaire, a relayed admin thread, a research row and an analytics snapshot.
 */
async function leaveTraces(v: PersonalValues, tag: string, times: [string, string]): Promise<Person> {
  const short = await t.app.inject({
    method: 'POST',
    url: '/diagnostic-session-request',
    payload: {
      client_name: v.name,
      client_telegram: `@${v.username}`,
      client_phone: v.phone,
      client_email: v.email,
      request_text: v.request,
      utm: { source: `utm-${v.username}` },
    },
  });
  expect(short.statusCode, short.body).toBe(200);
  const lead = short.json().lead_number as string;
  // The person opened the short form's ticket from their Telegram account (the service key vouches).
  const linked = await t.admin({
    method: 'POST',
    url: '/process-link',
    payload: { user_id: v.telegramId, ticket_id: short.json().ticket_id, username: v.username },
  });
  expect(linked.statusCode, linked.body).toBe(200);
  expect(linked.json().lead_number).toBe(lead);
  const client = await t.deps.db
    .selectFrom('hraniteli_clients')
    .select('id')
    .where('lead_number', '=', lead)
    .executeTakeFirstOrThrow();

  // A login code to that chat: one wrong try, then the right one, which gives a whole-client token.
  const asked = await t.app.inject({
    method: 'POST',
    url: '/request-code',
    payload: { telegram_id: v.telegramId },
  });
  expect(asked.statusCode, asked.body).toBe(200);
  const code = /(\d{6})/.exec(
    (
      await t.deps.db
        .selectFrom('outbox')
        .select('text')
        .where('chat_id', '=', v.telegramId)
        .where('dedupe_key', 'like', 'login-code:%')
        .executeTakeFirstOrThrow()
    ).text,
  )![1]!;
  const verify = (guess: string) =>
    t.app.inject({
      method: 'POST',
      url: '/verify-code',
      payload: { telegram_id: v.telegramId, code: guess },
      remoteAddress: `10.3.0.${tag.charCodeAt(0) % 250}`,
    });
  const missed = await verify(String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
  expect(missed.json()).toEqual({ success: true, verified: false });
  const verified = await verify(code);
  expect(verified.json(), verified.body).toMatchObject({ verified: true });
  const whole = verified.json().token as string;

  // The application form, sent without a token: typing the contact files it under a record of its own.
  const form = await t.app.inject({
    method: 'POST',
    url: '/submit-application',
    headers: { 'idempotency-key': `erasure-${tag}` },
    payload: {
      name: v.name,
      age: 33,
      contact: { type: 'telegram', value: `@${v.username}` },
      preferences: { specializations: ['Тревога'] },
      request_text: v.request,
      ticket_id: `form${tag}`,
      utm_source: 'tilda',
    },
  });
  expect(form.statusCode, form.body).toBe(200);
  expect(form.json().lead_number).not.toBe(lead);
  const formRecord = await t.deps.db
    .selectFrom('hraniteli_clients')
    .select('id')
    .where('lead_number', '=', form.json().lead_number)
    .executeTakeFirstOrThrow();
  // The person opens it from their account: the ticket joins their record, its first record stays behind.
  const joined = await t.admin({
    method: 'POST',
    url: '/process-link',
    payload: { user_id: v.telegramId, ticket_id: form.json().ticket_id },
  });
  expect(joined.statusCode, joined.body).toBe(200);
  expect(joined.json().lead_number).toBe(lead);

  const [rated, cancelled] = await addSlots(t, p.id, times);
  const book = async (slotId: string, ticketId: string) => {
    const res = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slotId, lead_number: lead, ticket_id: ticketId },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  await book(rated!.id, form.json().ticket_id);
  await book(cancelled!.id, short.json().ticket_id);
  const cancel = await postAs(t, short.json().client_token, '/cancel-session', {
    ticket_id: short.json().ticket_id,
    cancellation_reason: v.cancellationReason,
  });
  expect(cancel.statusCode, cancel.body).toBe(200);

  const db = t.deps.db;
  const session = await db
    .selectFrom('hraniteli_sessions')
    .select('id')
    .where('ticket_id', '=', form.json().ticket_id)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('admin_threads')
    .values({ admin_message_id: `thread-${tag}`, client_id: client.id })
    .execute();
  await db
    .insertInto('client_questionnaires')
    .values({
      client_id: client.id,
      psychologist_id: p.id,
      session_id: session.id,
      anketa: JSON.stringify({ feelings: v.request, needs: v.feedback }),
      payload: JSON.stringify({
        client_name: v.name,
        telegram_id: v.telegramId,
        client_username: v.username,
      }),
    })
    .execute();
  // The web form's step answers under its form id.
  const step = await t.app.inject({
    method: 'PUT',
    url: '/step-analytics',
    payload: { ticketID: `form${tag}`, field: 'client_name', value: v.name },
  });
  expect(step.statusCode, step.body).toBe(200);
  await db
    .insertInto('analytics_snapshots')
    .values({
      ticket_id: `form${tag}`,
      payload: JSON.stringify({ name: v.name, contact: v.phone, anxieties: [v.request] }),
    })
    .execute();
  await db
    .insertInto('research_responses')
    .values({
      id: 1000 + tag.charCodeAt(0),
      payload: JSON.stringify({ name: v.name, contact: `@${v.username.toUpperCase()}`, city: 'Тверь' }),
      name: v.name,
      contact: `@${v.username.toUpperCase()}`,
      contact_type: 'Telegram',
      age: '33',
    })
    .execute();
  return {
    values: v,
    lead,
    clientId: client.id,
    formRecordId: formRecord.id,
    tokens: { diagnostic: short.json().client_token, application: form.json().client_token, whole },
  };
}

/** Every "table.column: value" where one of the values occurs, in any text, JSON or text[] column. */
async function whereFound(values: PersonalValues): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public'
      and (data_type in ('text', 'character varying', 'character', 'json', 'jsonb')
        or udt_name in ('_text', '_varchar', '_bpchar', '_json', '_jsonb'))
    order by table_name, column_name`.execute(t.deps.db);
  expect(columns.rows.length).toBeGreaterThan(50);
  const found: string[] = [];
  for (const { table_name, column_name } of columns.rows) {
    const column = sql.ref(column_name);
    const rows = await sql<{ v: string }>`
      select ${column}::text as v from ${sql.table(table_name)} where ${column} is not null`.execute(
      t.deps.db,
    );
    const texts = rows.rows.map((r) => r.v.toLowerCase());
    for (const [label, value] of Object.entries(values)) {
      if (texts.some((text) => text.includes(value.toLowerCase())))
        found.push(`${table_name}.${column_name}: ${label}`);
    }
  }
  return found;
}

async function counts(clientId: string) {
  const db = t.deps.db;
  const count = async (table: 'hraniteli_tickets' | 'hraniteli_sessions', byClient: boolean) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .$if(byClient, (q) => q.where('client_id', '=', clientId))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    tickets: await count('hraniteli_tickets', true),
    sessions: await count('hraniteli_sessions', true),
    allTickets: await count('hraniteli_tickets', false),
    allSessions: await count('hraniteli_sessions', false),
    ratings: Number(
      (
        await db
          .selectFrom('session_ratings')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
    outbox: Number(
      (
        await db
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
  };
}

describe('erasing a client', () => {
  let a: Person;
  let b: Person;

  beforeAll(async () => {
    a = await leaveTraces(aglaya, 'a', ['08.12 10:00', '09.12 10:00']);
    b = await leaveTraces(borislava, 'b', ['08.12 11:00', '09.12 11:00']);
    // Both sessions took place: they can be rated, low, which the operators hear of.
    t.clock.set('2026-12-08T09:00:00.000Z');
    for (const [person, values] of [
      [a, aglaya],
      [b, borislava],
    ] as const) {
      // The application's ticket token named the record the ticket has left: the person rates with the
      // whole-client token of their account.
      const rated = await postAs(t, person.tokens.whole, '/rate-session', {
        ticket_id: (await ticketOf(person, 'application')).ticket_id,
        rating: 1,
        feedback: values.feedback,
      });
      expect(rated.statusCode, rated.body).toBe(200);
    }
  });

  async function ticketOf(person: Person, type: 'application' | 'diagnostic') {
    return t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .where('client_id', '=', person.clientId)
      .where('type', '=', type)
      .executeTakeFirstOrThrow();
  }

  it('shows the operator everything held about a person', async () => {
    const res = await t.admin({ url: `/admin/clients/${a.lead}` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.client).toMatchObject({
      lead_number: a.lead,
      name: aglaya.name,
      phone: aglaya.phone,
      email: aglaya.email,
      telegram_id: aglaya.telegramId,
      telegram_username: aglaya.username,
      erased_at: null,
    });
    expect(body.tickets).toHaveLength(2);
    expect(body.sessions).toHaveLength(2);
    expect(body.questionnaires).toHaveLength(1);
    expect(body.messages.length).toBeGreaterThan(5);
    expect(res.body).toContain(aglaya.request);
    expect(res.body).toContain(aglaya.feedback);
  });

  it('removes every personal value of the person from every table, keeps the other person’s and the counts', async () => {
    const beforeA = await whereFound(aglaya);
    const beforeB = await whereFound(borislava);
    // The traces reach every kind of place that holds personal data.
    const tables = [...new Set(beforeA.map((f) => f.split('.')[0]))];
    for (const table of [
      'hraniteli_clients',
      'hraniteli_tickets',
      'hraniteli_sessions',
      'session_ratings',
      'outbox',
      'client_questionnaires',
      'verification_codes',
      'verification_failures',
      'analytics_snapshots',
      'research_responses',
    ])
      expect(tables, table).toContain(table);
    expect(beforeA).toContain('outbox.dedupe_key: telegramId');
    expect(beforeA).toContain('outbox.chat_id: telegramId');
    const countsA = await counts(a.clientId);
    const countsB = await counts(b.clientId);
    // The record the application form made still holds what it typed, though its ticket has moved on.
    const record = (id: string) =>
      t.deps.db
        .selectFrom('hraniteli_clients')
        .select(['name', 'contact_value', 'erased_at'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    expect(await record(a.formRecordId)).toEqual({
      name: aglaya.name,
      contact_value: `@${aglaya.username}`,
      erased_at: null,
    });

    const res = await t.admin({ method: 'DELETE', url: `/admin/clients/${a.lead}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, lead_number: a.lead, erased_at: '2026-12-08T09:00:00.000Z' });

    expect(await whereFound(aglaya)).toEqual([]);
    expect(await whereFound(borislava)).toEqual(beforeB);
    // Both records that held the person are erased; the other person's are as they were.
    for (const id of [a.clientId, a.formRecordId])
      expect(await record(id)).toEqual({
        name: null,
        contact_value: null,
        erased_at: new Date('2026-12-08T09:00:00.000Z'),
      });
    expect(await record(b.formRecordId)).toMatchObject({ name: borislava.name, erased_at: null });
    expect(await counts(a.clientId)).toEqual(countsA);
    expect(await counts(b.clientId)).toEqual(countsB);
    const threads = await t.deps.db.selectFrom('admin_threads').select('client_id').execute();
    expect(threads.map((r) => r.client_id)).toEqual([b.clientId]);
  });

  it('leaves an anonymous record: statuses, times and the psychologist, nothing personal', async () => {
    const res = await t.admin({ url: `/admin/clients/${a.lead}` });
    expect(res.statusCode).toBe(200);
    for (const value of Object.values(aglaya)) expect(res.body).not.toContain(value);
    const body = res.json();
    expect(body.client).toMatchObject({ lead_number: a.lead, name: null, telegram_id: null });
    expect(body.client.erased_at).toBe('2026-12-08T09:00:00.000Z');
    expect(body.tickets.map((x: { type: string }) => x.type).sort()).toEqual(['application', 'diagnostic']);
    expect(body.sessions.map((s: { status: string }) => s.status).sort()).toEqual(['cancelled', 'pending']);
    expect(body.sessions.find((s: { rating: number | null }) => s.rating !== null)).toMatchObject({
      rating: 1,
      feedback: null,
      psychologist_name: p.name,
    });
    const ticket = await t.admin({ url: `/admin/tickets/${(await ticketOf(a, 'application')).ticket_id}` });
    for (const value of Object.values(aglaya)) expect(ticket.body).not.toContain(value);
    // The other person is as they were.
    expect((await t.admin({ url: `/admin/clients/${b.lead}` })).json().client.name).toBe(borislava.name);
  });

  it('erases again without complaint; an unknown lead is 404', async () => {
    const again = await t.admin({ method: 'DELETE', url: `/admin/clients/${a.lead}` });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().erased_at).toBe('2026-12-08T09:00:00.000Z');
    const unknown = await t.admin({ method: 'DELETE', url: '/admin/clients/zz9999' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.type).toBe('client_not_found');
  });

  it('is for operators only: no credentials or a client token → 401, the action itself refuses others', async () => {
    for (const headers of [{}, bearer(b.tokens.application), bearer(b.tokens.diagnostic)]) {
      const res = await t.app.inject({ method: 'DELETE', url: `/admin/clients/${b.lead}`, headers });
      expect(res.statusCode).toBe(401);
      const read = await t.app.inject({ url: `/admin/clients/${b.lead}`, headers });
      expect(read.statusCode).toBe(401);
      expect(read.body).not.toContain(borislava.name);
    }
    const asClient = eraseClient(t.deps, { kind: 'client', clientId: b.clientId }, { leadNumber: b.lead });
    await expect(asClient).rejects.toSatisfy((e) => e instanceof AppError && e.kind === 'forbidden');
    const anonymous = eraseClient(t.deps, { kind: 'anonymous' }, { leadNumber: b.lead });
    await expect(anonymous).rejects.toSatisfy((e) => e instanceof AppError && e.kind === 'unauthenticated');
    expect((await t.admin({ url: `/admin/clients/${b.lead}` })).json().client.name).toBe(borislava.name);
  });

  it('makes a later submission with the same contact a new person', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      payload: { name: 'Снова', age: 40, contact: { type: 'telegram', value: `@${aglaya.username}` } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().lead_number).not.toBe(a.lead);
  });
});
