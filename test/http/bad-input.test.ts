// R5 of spec/quality.md: property-based bad input for every endpoint, derived from the app's own OpenAPI
// document, on one app with rate limits off and its Telegram bot in webhook mode. Requests carry the
// service key (so authentication never masks validation), the webhook's secret on the webhook, and a
// client's token in a second pass over the client routes. What must hold: ≥ 10 000 requests, no 5xx,
// every 400 in the error shape naming a field, and a database fingerprint that no rejected request changes.
// Problems are collected rather than thrown, so one run reports every distinct bug with a reproducer;
// the fast-check seed is fixed (R5_SEED overrides it) and printed.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { addSlots, createPsychologist, submitApplication } from '../support/fixtures.ts';
import { adminChatMessage, botEnv, buttonPress, textMessage, WEBHOOK_SECRET } from '../support/telegram.ts';
import {
  endpointsOf,
  fingerprint,
  fingerprintDiff,
  mutationRequest,
  problemCauses,
  RAW_PATH_METHODS,
  RAW_PATHS,
  rawBodyRequest,
  rawQueryRequest,
  Runner,
  schemaRequest,
  tablesOf,
  type Endpoint,
  type Example,
  type Fingerprint,
  type Pools,
  type Req,
} from '../support/fuzz.ts';

const SEED = Number(process.env.R5_SEED ?? 20_261_207);
/** Runs per property; R5_SCALE multiplies them for a longer hunt. */
const SCALE = Number(process.env.R5_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const MIN_REQUESTS = 10_000;
const LONG = 180_000;

// ---------------------------------------------------------------------------------------------------

let t: TestApp;
const telegram = new FakeTelegram();
let runner: Runner;
/** Client tokens: tickets' own, a whole client's, another client's and an expired one. */
let tokens: string[];
/** "METHOD /path" (OpenAPI form) of the routes a client token may call. */
let clientRoutes: Set<string>;
let endpoints: Endpoint[];
let pools: Pools;
let examples: Example[];
/** Valid requests of the web front end's endpoints and valid Telegram updates. */
let webExamples: Example[];
let webhookExamples: Example[];
let seedIndex = 0;
const started = Date.now();

/** Runs a property that sends one request per run, each property with the next seed. */
const hammer = (arb: fc.Arbitrary<Req>, numRuns: number) => runner.hammer(arb, numRuns, SEED + seedIndex++);

async function expectNoNewProblems(before: Set<string>, label: string): Promise<void> {
  const fresh = [...runner.problems.values()].filter((p) => !before.has(p.signature));
  if (fresh.length)
    console.log(`R5 ${label}: ${fresh.length} distinct problem(s)\n\n${await runner.report(fresh)}`);
  expect(problemCauses(fresh), `${label}; seed ${SEED}`).toEqual([]);
}

beforeAll(async () => {
  await telegram.start();
  t = await createTestApp(botEnv(telegram.url));
  console.log(
    `R5 bad input: fast-check seed ${SEED} (set R5_SEED to change), database ${t.deps.database.kind}`,
  );
  const spec = (await t.app.inject({ url: '/openapi.json' })).json();
  endpoints = endpointsOf(spec);

  // A little real data, so ids, names and times can hit real rows.
  const anna = await createPsychologist(t, {
    name: 'Анна Проверочная',
    sex: 'female',
    queries: ['Тревога', 'Депрессия'],
    help_hand: true,
    telegram_id: '700100',
  });
  const boris = await createPsychologist(t, { name: 'Борис Запасной', sex: 'male', queries: ['Отношения'] });
  const annaSlots = await addSlots(t, anna.id, [
    '2026-12-09 10:00',
    '2026-12-09 11:00',
    '2026-12-10 10:00',
    '2026-12-10 12:00',
    '2026-12-11 15:00',
    '2026-12-14 10:00',
  ]);
  const borisSlots = await addSlots(t, boris.id, ['2026-12-09 10:00', '2026-12-12 18:00'], { price: 2500 });
  const first = await submitApplication(t, { contact: { type: 'telegram', value: '@bad_input_first' } });
  const second = await submitApplication(t, {
    contact: { type: 'telegram', value: '@bad_input_second' },
    preferences: { gender: 'female', price_max: 5000, specializations: ['Тревога'] },
  });
  const booked = await t.admin({
    method: 'POST',
    url: '/admin/sessions',
    payload: { slot_id: annaSlots[0]!.id, lead_number: second.lead_number, ticket_id: second.ticket_id },
  });
  expect(booked.statusCode, booked.body).toBe(201);
  const diagnostic = await t.app.inject({
    method: 'POST',
    url: '/diagnostic-session-request',
    payload: { client_name: 'Пётр', client_email: 'bad-input@example.com', request_text: 'тревога' },
  });
  expect(diagnostic.statusCode, diagnostic.body).toBe(200);
  const diag = diagnostic.json() as { ticket_id: string; lead_number: string };

  const research = await t.app.inject({
    method: 'POST',
    url: '/research-tilda-zayavka',
    payload: { city: 'Москва', occupation: 'работаю' },
  });
  expect(research.statusCode, research.body).toBe(200);
  const row = research.json() as { rowId: number; baserowId: number };
  const secondClient = await t.deps.db
    .selectFrom('hraniteli_clients')
    .select('id')
    .where('lead_number', '=', second.lead_number)
    .executeTakeFirstOrThrow();
  const now = t.clock.now();
  tokens = [
    first.client_token,
    second.client_token,
    await t.deps.tokens.issue({ clientId: secondClient.id }, now),
    await t.deps.tokens.issue({ clientId: secondClient.id }, new Date(now.getTime() - 31 * 86_400_000)),
  ];
  clientRoutes = new Set(
    t.app.registeredRoutes
      .filter((r) => r.config?.access === 'client')
      .flatMap((r) => [r.method].flat().map((m) => `${m} ${r.url.replace(/:(\w+)/g, '{$1}')}`)),
  );
  const person = { id: 700_300, first_name: 'Мария', username: 'bad_input_first' };
  const sessionId = booked.json().session.id as string;

  const slots = [...annaSlots, ...borisSlots];
  const slotTimes = slots.flatMap((s) => [`${s.date} ${s.time}`, s.start_iso]);
  const tickets = [first.ticket_id, second.ticket_id, diag.ticket_id, '0000000', 'hh_abcdefg'];
  const leads = [first.lead_number, second.lead_number, diag.lead_number, 'zz9999'];
  const uuids = [anna.id, boris.id, ...slots.map((s) => s.id), booked.json().session.id as string];
  const names = [anna.name, boris.name, 'анна   проверочная', 'Нет Такого'];
  pools = {
    ticket_id: tickets,
    link_id: tickets,
    client_id: leads,
    lead_number: leads,
    psychologist_id: uuids,
    slot_id: uuids,
    id: uuids,
    psychologist: names,
    slot_time: slotTimes,
    new_slot_time: slotTimes,
    slots: slotTimes,
    selected_slots: slotTimes,
    client_telegram: ['@bad_input_first', '@bad_input_second', 'bad_input_first', '@nobody_here'],
    from: ['2026-12-07', '2026-12-09', '2027-12-31'],
    to: ['2026-12-10', '2026-12-31', '2028-01-01'],
    since: ['2026-12-01T00:00:00Z', '2026-12-07T09:00:00.000Z'],
    chat_id: ['-100500', '700100'],
    ticketID: ['r5form2', 'r5form1', first.ticket_id],
    rid: [String(row.rowId)],
    bid: [String(row.baserowId)],
  };

  const contact = { type: 'telegram', value: '@bad_input_mutant' };
  const application = {
    name: 'Мария',
    age: 30,
    contact,
    selected_slots: [`${annaSlots[2]!.date} ${annaSlots[2]!.time}`],
    preferences: { gender: 'any', price_max: 5000, specializations: ['Тревога'] },
    request_text: 'тревога по ночам',
    ticket_id: '9cnzeq',
    userTimeOffsetMsk: 2,
    utm_source: 'ya',
  };
  const post = (path: string, body: Record<string, unknown>): Example => ({ method: 'POST', path, body });
  examples = [
    post('/submit-application', application),
    post('/register-ticket-for-help-hand', { ...application, price_session: 'free' }),
    post('/diagnostic-session-request', {
      client_name: 'Пётр',
      client_phone: '+7 900 123-45-67',
      client_telegram: '@bad_input_diag',
      client_email: 'diag@example.com',
      request_text: 'хочу диагностику',
      utm: { source: 'tilda', campaign: 'r5' },
    }),
    post('/process-diagnostic-session-request', {
      client_id: first.lead_number,
      psychologist_id: anna.id,
      slot_id: annaSlots[1]!.id,
      payment_info: { amount: 3000, status: 'pending' },
      ticket_id: first.ticket_id,
    }),
    post('/confirm-session-by-client', {
      ticket_id: second.ticket_id,
      slot_time: `${annaSlots[0]!.date} ${annaSlots[0]!.time}`,
    }),
    // Cancelling comes last of the three: once it succeeds, the ticket has no active session to move.
    post('/reschedule-session', {
      ticket_id: second.ticket_id,
      new_slot_time: `${annaSlots[3]!.date} ${annaSlots[3]!.time}`,
    }),
    post('/rate-session', { ticket_id: second.ticket_id, rating: 5, feedback: 'спасибо' }),
    post('/cancel-session', { ticket_id: second.ticket_id, cancellation_reason: 'заболела' }),
    post('/notify-update', {
      type: 'UPDATE',
      table: 'hraniteli_slots',
      schema: 'public',
      record: { id: annaSlots[4]!.id, state: 'booked', updated_at: '2026-12-07T09:00:00Z' },
      old_record: { id: annaSlots[4]!.id, state: 'free' },
    }),
    post('/admin/psychologists', {
      name: 'Вера Мутантова',
      sex: 'female',
      min_price: 1500,
      max_price: 3500,
      telegram_id: '700200',
      telegram_username: '@vera_mutant',
      queries: ['Тревога'],
      works_with: ['взрослые'],
      experience_years: 7,
      help_hand: false,
      debt: 0,
    }),
    post('/admin/slots', {
      psychologist_id: boris.id,
      slots: ['2026-12-21 10:00', '22.12 11:00'],
      duration_minutes: 50,
      price: 2500,
    }),
    post('/admin/sessions', {
      slot_id: borisSlots[1]!.id,
      lead_number: diag.lead_number,
      ticket_id: diag.ticket_id,
      kind: 'regular',
    }),
    {
      method: 'PATCH',
      path: '/admin/tickets/{ticket_id}',
      params: { ticket_id: first.ticket_id },
      body: { status: 'matched', psychologist: boris.name, note: 'заметка оператора' },
    },
    {
      method: 'GET',
      path: '/get-available-slots',
      query: {
        psychologist: anna.name,
        psychologist_id: anna.id,
        from: '2026-12-07',
        to: '2026-12-31',
        userTimeOffsetMsk: 2,
        price_max: 5000,
        gender: 'female',
        specializations: 'Тревога,Депрессия',
      },
    },
    { method: 'GET', path: '/get-ticket-info', query: { ticket_id: first.ticket_id } },
    {
      method: 'GET',
      path: '/get-ticket-info',
      query: { client_id: first.lead_number, link_id: first.ticket_id },
    },
  ];

  const webForm = {
    ticket_id: 'r5form1',
    name: 'Мария',
    age: '30',
    contactType: 'Telegram',
    contact: '@r5_form_user',
    questions: ['тревога'],
    selectedPsychologistsNames: [anna.name],
    top_3_psychologists: [anna.name, boris.name],
    slots: [`${annaSlots[5]!.date} ${annaSlots[5]!.time}`],
    diagnoses: ['Нет диагноза'],
    userTimeOffsetMsk: '0',
    formPsyClientInfo: { sexPsycho: 'Женщина', contact: '@r5_form_user', age: '30' },
  };
  const schedule = {
    startDate: '2026-12-07',
    endDate: '2026-12-31',
    userTimeOffsetMsk: 0,
    ticket_id: 'r5form2',
    formPsyClientInfo: { sexPsycho: 'Женщина' },
    form: { diagnoses: ['Нет диагноза'], ticket_id: 'r5form2' },
  };
  const put = (path: string, body: Record<string, unknown>): Example => ({ method: 'PUT', path, body });
  // The helping hand: a web-form ticket allotted to a helping-hand psychologist, and its confirm link.
  const helper = await createPsychologist(t, { name: 'Гера Помощи', help_hand: true, group: 'Рука помощи' });
  const helperSlots = await addSlots(t, helper.id, ['10.12 10:00', '11.12 10:00', '12.12 10:00']);
  const helpHandForm = {
    ...webForm,
    ticket_id: 'hh_r5f',
    selectedPsychologistsNames: [],
    slots: [],
    categoryType: '500 руб',
  };
  const helpHand = await t.app.inject({
    method: 'POST',
    url: '/register-ticket-for-help-hand',
    payload: helpHandForm,
  });
  expect(helpHand.statusCode, helpHand.body).toBe(200);
  const allotted = await t.admin({
    method: 'PATCH',
    url: `/admin/tickets/${helpHand.json().ticket_id}`,
    payload: { psychologist: helper.name },
  });
  expect(allotted.statusCode, allotted.body).toBe(200);
  const confirmLink = new URL(allotted.json().confirm_url as string).searchParams.get('ticket_id')!;
  const survey = {
    title: 'Анкета R5',
    description: 'проверка',
    content: [
      {
        step_id: 'q1',
        step_name: 'Вопрос',
        step_description: '',
        step_type: 'multiple',
        step_items: [
          { title: 'Да', coins: 1 },
          { title: 'Нет', coins: 0 },
        ],
      },
    ],
    results: [{ from: 0, title: 'Итог', description: '<b>описание</b>' }],
  };
  expect((await t.admin({ method: 'PUT', url: '/admin/surveys/r5', payload: survey })).statusCode).toBe(200);
  const calendarEvent = {
    title: 'Интервизия R5',
    event_type: 'интервизия',
    event_modal_type: 'кпт',
    description: '<p>Описание <a href="https://example.org">ссылка</a></p>',
    organizator_name: 'Проверочная Анна',
    max_participants: 3,
    date: '2026-12-11',
    time: '15:00',
    event_link: 'https://meet.example/r5',
  };
  const created = await t.admin({ method: 'POST', url: '/admin/events', payload: calendarEvent });
  expect(created.statusCode, created.body).toBe(201);
  const calendarSecret = (
    await t.admin({ method: 'POST', url: `/admin/psychologists/${anna.id}/calendar-secret` })
  ).json().secret as string;
  webExamples = [
    post('/register-ticket-for-help-hand', { ...helpHandForm, ticket_id: 'hh_r5g' }),
    { method: 'GET', path: '/check-allotment-for-slot-confirmation', query: { ticket_id: confirmLink } },
    post('/get-agregated-schedule-helpful-hand', {
      ...schedule,
      ticket_id: confirmLink,
      utm_psy: helper.name,
      form: { ticket_id: confirmLink, categoryType: '500 руб' },
    }),
    post('/helpful-hand-zayavka-new', {
      ticket_id: confirmLink,
      utm_psy: helper.name,
      slots: ['11.12 10:00'],
      slots_objects: [helperSlots[1]!.id],
      categoryType: '500 руб',
    }),
    post('/tilda-zayavka', webForm),
    post('/tilda-zayavka-diagnostic-v2', { ...webForm, ticket_id: 'r5form3' }),
    post('/init-form-tracking', { ticket_id: 'r5form2', form_type: 'application', step: 'Возраст клиента' }),
    put('/update-tracking-step', { ticket_id: 'r5form2', step: 'Пол клиента' }),
    put('/step-analytics', { ticketID: 'r5form2', field: 'client_age', value: '30' }),
    put('/update-analytics-before-slots', { ticket_id: 'r5form2', age: '30', sex: 'Женский' }),
    post('/research-tilda-zayavka', { city: 'Москва', occupation: 'работаю', anxieties: ['сон'] }),
    put('/update-contacts-stb', {
      rid: row.rowId,
      bid: row.baserowId,
      contact: '@r5_research',
      contactType: 'Telegram',
      name: 'Мария',
      age: '30',
    }),
    post('/get-agregated-schedule-v2', schedule),
    post('/get-aggregated-all', { ...schedule, show_only_psy: anna.name }),
    { method: 'POST', path: '/convert-schedule-timezone/{offset}', params: { offset: '3' }, body: schedule },
    // The survey and calendar pages (spec/web-form.md C.5, C.6) with a live slug, token and event.
    { method: 'GET', path: '/get-survey', query: { slug: 'r5' } },
    { method: 'GET', path: '/check-fill-survey', query: { slug: 'r5' } },
    { method: 'GET', path: '/get-all-events', query: { secret: calendarSecret } },
    {
      method: 'GET',
      path: '/get-slot',
      query: { startDate: '2026-12-07', endDate: '2027-01-03', secret: calendarSecret },
    },
    { method: 'GET', path: '/get-psycho', query: { secret: calendarSecret } },
    post('/join-to-event', {
      secret: calendarSecret,
      date: '2026-12-11',
      time: '15:00',
      event: 'Интервизия R5',
    }),
    { method: 'GET', path: '/cancel-slot', query: { slot: annaSlots[4]!.id, secret: calendarSecret } },
    { method: 'PUT', path: '/admin/surveys/{slug}', params: { slug: 'r5' }, body: survey },
    post('/admin/events', calendarEvent),
  ];
  webhookExamples = [
    textMessage(person, '/start'),
    textMessage(person, `/start ${first.ticket_id}`),
    textMessage(person, 'просто текст'),
    buttonPress(person, t.deps.callbacks.pack({ action: 'confirm', sessionId })),
    buttonPress(person, t.deps.callbacks.pack({ action: 'book', slotId: annaSlots[3]!.id })),
    adminChatMessage({ id: 1, first_name: 'Оператор' }, `${first.lead_number}: здравствуйте`),
  ].map((update) => post('/telegram/webhook', update));

  runner = new Runner(t, await tablesOf(t), (req) =>
    req.route === '/telegram/webhook' ? { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET } : undefined,
  );
  await runner.rebaseline();
}, LONG);

afterAll(async () => {
  if (runner) {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const statuses = [...runner.statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
    const rejected = [...runner.statuses.entries()]
      .filter(([s]) => s >= 400 && s < 500)
      .reduce((sum, [, n]) => sum + n, 0);
    console.log(
      `R5 bad input on ${t.deps.database.kind}: ${runner.sent} requests in ${seconds} s ` +
        `(+${runner.replays} replays for the database check and shrinking); statuses {${statuses.join(', ')}}; ` +
        `${rejected} rejected: ${runner.verified} checked in all-rejected batches, ${runner.verifiedByReplay} ` +
        `checked by a second sending, ${runner.unverified} unchecked; ${runner.fingerprints} fingerprints ` +
        `(${(runner.fingerprintMs / 1000).toFixed(1)} s); seed ${SEED}`,
    );
  }
  await t?.close();
  await telegram.stop();
});

describe('R5 bad input (fast-check, from the OpenAPI document)', () => {
  it('the fingerprint notices a changed value, not only a changed row count', async () => {
    const tables = await tablesOf(t);
    expect(tables).toEqual(
      expect.arrayContaining([
        'public.hraniteli_slots',
        'public.hraniteli_sessions',
        'public.hraniteli_tickets',
      ]),
    );
    const before = await fingerprint(t.deps.db, tables);
    class Rollback extends Error {}
    let inside: Fingerprint = new Map();
    await t.deps.db
      .transaction()
      .execute(async (trx) => {
        await sql`update hraniteli_slots set state = 'booked'
          where id = (select id from hraniteli_slots where state = 'free' order by id limit 1)`.execute(trx);
        inside = await fingerprint(trx, tables);
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    const slots = before.get('public.hraniteli_slots')!.n;
    expect(fingerprintDiff(before, inside)).toEqual([
      `public.hraniteli_slots: ${slots} → ${slots} rows, content changed`,
    ]);
    expect(fingerprintDiff(before, await fingerprint(t.deps.db, tables))).toEqual([]);
  });

  it(
    'every documented endpoint: schema-derived bodies, queries and path parameters',
    async () => {
      const before = new Set(runner.problems.keys());
      const sentBefore = runner.sent;
      expect(endpoints.length).toBeGreaterThan(25);
      expect(endpoints.map((e) => `${e.method} ${e.path}`)).toContain('POST /telegram/webhook');
      for (const endpoint of endpoints) {
        const inputs = (endpoint.body ? 1 : 0) + endpoint.query.length + endpoint.params.length;
        await hammer(schemaRequest(endpoint, pools), runs(inputs ? 190 : 30));
      }
      await runner.flush();
      for (const endpoint of endpoints)
        expect(runner.perRoute.get(`${endpoint.method} ${endpoint.path}`), endpoint.path).toBeGreaterThan(0);
      console.log(`R5 schema-derived input: ${runner.sent - sentBefore} requests`);
      await expectNoNewProblems(before, 'schema-derived input');
    },
    LONG,
  );

  it(
    'valid requests of the key endpoints, mutated one field at a time',
    async () => {
      const before = new Set(runner.problems.keys());
      const sentBefore = runner.sent;
      for (const example of examples) {
        const endpoint = endpoints.find((e) => e.method === example.method && e.path === example.path);
        expect(endpoint, `${example.method} ${example.path} is documented`).toBeDefined();
        await hammer(
          mutationRequest(example, endpoint, pools),
          runs(example.path === '/get-ticket-info' ? 150 : 280),
        );
      }
      await runner.flush();
      console.log(`R5 mutated valid requests: ${runner.sent - sentBefore} requests`);
      await expectNoNewProblems(before, 'mutated valid requests');
    },
    LONG,
  );

  it(
    'the web front end’s requests and Telegram’s updates, mutated one field at a time',
    async () => {
      const before = new Set(runner.problems.keys());
      const sentBefore = runner.sent;
      for (const example of [...webExamples, ...webhookExamples]) {
        const endpoint = endpoints.find((e) => e.method === example.method && e.path === example.path);
        expect(endpoint, `${example.method} ${example.path} is documented`).toBeDefined();
        await hammer(mutationRequest(example, endpoint, pools), runs(120));
      }
      await runner.flush();
      expect(runner.perRoute.get('POST /telegram/webhook')).toBeGreaterThan(700);
      console.log(`R5 web forms and Telegram updates: ${runner.sent - sentBefore} requests`);
      await expectNoNewProblems(before, 'web forms and Telegram updates');
    },
    LONG,
  );

  it(
    'client routes with a client’s token: schema-derived and mutated requests',
    async () => {
      const before = new Set(runner.problems.keys());
      const sentBefore = runner.sent;
      const asClient = (arb: fc.Arbitrary<Req>) =>
        fc
          .tuple(arb, fc.constantFrom(...tokens))
          .map(([req, token]): Req => ({ ...req, credentials: { authorization: `Bearer ${token}` } }));
      const routes = endpoints.filter((e) => clientRoutes.has(`${e.method} ${e.path}`));
      expect(routes.length).toBeGreaterThanOrEqual(8);
      for (const endpoint of routes) await hammer(asClient(schemaRequest(endpoint, pools)), runs(120));
      for (const example of examples.filter((e) => clientRoutes.has(`${e.method} ${e.path}`))) {
        const endpoint = endpoints.find((e) => e.method === example.method && e.path === example.path);
        await hammer(asClient(mutationRequest(example, endpoint, pools)), runs(120));
      }
      await runner.flush();
      for (const endpoint of routes)
        expect(
          runner.perRouteWithCredentials.get(`${endpoint.method} ${endpoint.path}`),
          endpoint.path,
        ).toBeGreaterThan(100);
      console.log(`R5 client routes with a client token: ${runner.sent - sentBefore} requests`);
      await expectNoNewProblems(before, 'client routes with a client token');
    },
    LONG,
  );

  it(
    'raw bodies, content types, query strings and paths',
    async () => {
      const before = new Set(runner.problems.keys());
      const sentBefore = runner.sent;
      await hammer(rawBodyRequest(endpoints), runs(900));
      await hammer(rawQueryRequest(endpoints), runs(500));
      for (const url of RAW_PATHS) {
        const prefix = Object.keys(RAW_PATH_METHODS).find(
          (p) => url.startsWith(`${p}/`) || url.startsWith(`${p}?`),
        );
        for (const method of RAW_PATH_METHODS[prefix ?? ''] ?? ['GET'])
          await runner.send({
            method,
            route: `(raw path) ${prefix ?? url}`,
            url,
            ...(method === 'GET' || method === 'DELETE'
              ? {}
              : { contentType: 'application/json', payload: '{"status":"closed"}' }),
          });
      }
      await runner.flush();
      console.log(`R5 raw input: ${runner.sent - sentBefore} requests`);
      await expectNoNewProblems(before, 'raw input');
    },
    LONG,
  );

  it('sent at least 10 000 requests, and checked the fingerprint around nearly every rejected one', () => {
    expect(runner.sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    const checked = runner.verified + runner.verifiedByReplay;
    expect(checked / (checked + runner.unverified)).toBeGreaterThan(0.95);
  });
});
