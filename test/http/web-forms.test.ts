// The web front end's endpoints one by one (spec/web-form.md A; spec/endpoints.md, Research and
// Analytics): happy paths, the quirks they must accept and the errors they must give.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { addSlots, createPsychologist, type PsychologistFixture } from '../support/fixtures.ts';
import {
  applicationBody,
  browser,
  n8n,
  ok,
  readSchedule,
  researchBody,
  scheduleRequest,
  type Person,
} from '../support/web-form.ts';

let t: TestApp;
let anna: PsychologistFixture; // female, psychiatric illness, not diagnostic
let boris: PsychologistFixture; // male, diagnostic
let vera: PsychologistFixture; // female, diagnostic
const TODAY = '2026-12-07';

const person = (ticketId: string, extra: Partial<Person> = {}): Person => ({
  ticketId,
  name: 'Тест',
  age: '30',
  gender: 'female',
  genderPsychologist: 'other',
  request: 'Запрос',
  conditions: [],
  traumatic: [],
  diagnosis: 'nothing',
  contactType: 'Telegram',
  contact: `@user_${ticketId}`,
  promocode: '',
  ...extra,
});

beforeAll(async () => {
  t = await createTestApp();
  anna = await createPsychologist(t, {
    name: 'Анна Ширяева',
    sex: 'female',
    debt: 3,
    works_with: ['Взрослые', 'Есть диагностированное психиатрическое заболевание (ПРЛ, БАР, ПТСР и др)'],
    takes_diagnostic: false,
    age: 39,
    experience: '2 года',
    verified: true,
    main_modal: 'Гештальт',
    additional_modals: ['КПТ', 'Схема-терапия'],
    vk: 'https://vk.com/anna_psy',
    link_video: 'https://drive.google.com/file/d/abc/view',
    is_married: true,
    education: [
      { program_title: 'Гештальт-терапия', year: 2019, title: 'МГИ', doc_type: 'Диплом' },
      { program_title: 'Психология', year: 2012, title: 'МГУ', doc_type: 'Диплом специалиста' },
    ],
  });
  boris = await createPsychologist(t, {
    name: 'Борис Ланской',
    sex: 'male',
    debt: 8,
    queries: ['Выгорание', 'Кризис'],
  });
  vera = await createPsychologist(t, { name: 'Вера Оськина', sex: 'female', debt: 6 });
  // Monday 07.12 12:00 Moscow now; 12:30 is within MIN_LEAD_MINUTES (60).
  await addSlots(t, anna.id, ['07.12 12:30', '08.12 09:00', '08.12 10:00', '06.01 10:00']);
  await addSlots(t, boris.id, ['08.12 10:00', '09.12 23:30']);
  await addSlots(t, vera.id, ['08.12 11:00', '08.12 12:00']);
});
afterAll(async () => t.close());

describe('form tracking', () => {
  it('init creates the record with its first step; a second init does not reset a later step', async () => {
    const init = () =>
      browser(t, 'POST', n8n('init-form-tracking-test-contur'), {
        ticket_id: 'trk01',
        form_type: 'Заявка на подбор психолога',
        step: 'Начало',
      });
    expect((await init()).json()).toEqual({ success: true });
    await ok(browser(t, 'PUT', '/update-tracking-step', { ticket_id: 'trk01', step: 'Возраст клиента' }));
    t.clock.advance(1000);
    await ok(browser(t, 'PUT', '/update-tracking-step', { ticket_id: 'trk01', step: 'Пол клиента' }));
    await ok(init());
    const rows = await t.deps.db
      .selectFrom('form_tracking as f')
      .innerJoin('form_tracking_steps as s', 's.tracking_id', 'f.id')
      .select(['f.current_step', 's.step', 's.at'])
      .where('f.ticket_id', '=', 'trk01')
      .orderBy('s.id')
      .execute();
    expect(rows.map((r) => r.step)).toEqual(['Начало', 'Возраст клиента', 'Пол клиента']);
    expect(rows[0]!.current_step).toBe('Пол клиента');
    expect(rows[2]!.at.getTime() - rows[1]!.at.getTime()).toBe(1000);
  });

  it('a step for a form nobody initialized starts a record of type "unknown"', async () => {
    await ok(browser(t, 'PUT', n8n('update-tracking-step'), { ticket_id: 'ds_noinit', step: 'Пол клиента' }));
    const record = await t.deps.db
      .selectFrom('form_tracking')
      .select(['form_type', 'current_step'])
      .where('ticket_id', '=', 'ds_noinit')
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ form_type: 'unknown', current_step: 'Пол клиента' });
  });

  it('refuses a missing or malformed form id, and an empty step, naming the field', async () => {
    const cases: [string, 'POST' | 'PUT', Record<string, unknown>, string][] = [
      ['init-form-tracking', 'POST', { form_type: 'x' }, 'ticket_id'],
      ['init-form-tracking', 'POST', { ticket_id: 'a b', form_type: 'x' }, 'ticket_id'],
      ['init-form-tracking', 'POST', { ticket_id: 'ok1', form_type: '' }, 'form_type'],
      ['update-tracking-step', 'PUT', { ticket_id: 'ok1', step: '   ' }, 'step'],
      ['update-tracking-step', 'PUT', { ticket_id: 'x'.repeat(65), step: 'Слоты' }, 'ticket_id'],
      ['step-analytics', 'PUT', { ticketID: 'ok1', field: 'f'.repeat(65), value: 1 }, 'field'],
      ['step-analytics', 'PUT', { ticket_id: 'ok1', field: 'client_age', value: '30' }, 'ticketID'],
      ['update-analytics-before-slots', 'PUT', { age: '30' }, 'ticket_id'],
    ];
    for (const [name, method, body, field] of cases) {
      const res = await browser(t, method, n8n(name), body);
      expect(res.statusCode, `${name} ${JSON.stringify(body)}`).toBe(400);
      expect(JSON.stringify(res.json().error.details), name).toContain(field);
    }
  });
  it('keeps the first 200 steps of a form’s history; the current step still moves', async () => {
    await ok(browser(t, 'PUT', '/update-tracking-step', { ticket_id: 'trk_long', step: 'Шаг 1' }));
    const record = await t.deps.db
      .selectFrom('form_tracking')
      .select('id')
      .where('ticket_id', '=', 'trk_long')
      .executeTakeFirstOrThrow();
    const at = t.clock.now();
    await t.deps.db
      .insertInto('form_tracking_steps')
      .values(Array.from({ length: 198 }, (_, i) => ({ tracking_id: record.id, step: `Шаг ${i + 2}`, at })))
      .execute();
    await ok(browser(t, 'PUT', '/update-tracking-step', { ticket_id: 'trk_long', step: 'Шаг 200' }));
    await ok(browser(t, 'PUT', '/update-tracking-step', { ticket_id: 'trk_long', step: 'Шаг 201' }));
    const steps = await t.deps.db
      .selectFrom('form_tracking_steps')
      .select('step')
      .where('tracking_id', '=', record.id)
      .orderBy('id')
      .execute();
    expect(steps).toHaveLength(200);
    expect(steps.at(-1)!.step).toBe('Шаг 200');
    const current = await t.deps.db
      .selectFrom('form_tracking')
      .select('current_step')
      .where('id', '=', record.id)
      .executeTakeFirstOrThrow();
    expect(current.current_step).toBe('Шаг 201');
  });
});

describe('step-analytics and the before-slots snapshot', () => {
  it('keeps the latest value per form id and field, unknown fields too', async () => {
    await ok(
      browser(t, 'PUT', n8n('step-analytics'), { ticketID: 'sa01', field: 'client_age', value: '25' }),
    );
    await ok(
      browser(t, 'PUT', n8n('step-analytics'), { ticketID: 'sa01', field: 'client_age', value: '26' }),
    );
    await ok(
      browser(t, 'PUT', n8n('step-analytics'), {
        ticketID: 'sa01',
        field: 'something_new',
        value: { a: [1, 2] },
      }),
    );
    const rows = await t.deps.db
      .selectFrom('form_step_answers')
      .select(['field', 'value'])
      .where('form_ticket_id', '=', 'sa01')
      .orderBy('field')
      .execute();
    expect(rows).toEqual([
      { field: 'client_age', value: '26' },
      { field: 'something_new', value: { a: [1, 2] } },
    ]);
  });

  it('refuses a value over 10 KB', async () => {
    const res = await browser(t, 'PUT', n8n('step-analytics'), {
      ticketID: 'sa02',
      field: 'psy_queries',
      value: Array.from({ length: 3 }, () => 'я'.repeat(2000)),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('value');
  });

  it('keeps at most 100 different fields per form; the stored ones still change', async () => {
    const now = t.clock.now();
    await t.deps.db
      .insertInto('form_step_answers')
      .values(
        Array.from({ length: 99 }, (_, i) => ({
          form_ticket_id: 'sa_many',
          field: `field_${i}`,
          value: JSON.stringify(i),
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    const put = (field: string, value: unknown) =>
      browser(t, 'PUT', n8n('step-analytics'), { ticketID: 'sa_many', field, value });
    await ok(put('field_99', 'сотое'));
    const refused = await put('field_100', 'лишнее');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details[0].field).toBe('field');
    await ok(put('field_0', 'новое'));
    const rows = await t.deps.db
      .selectFrom('form_step_answers')
      .select(['field', 'value'])
      .where('form_ticket_id', '=', 'sa_many')
      .execute();
    expect(rows).toHaveLength(100);
    expect(rows.find((r) => r.field === 'field_0')!.value).toBe('новое');
    expect(rows.some((r) => r.field === 'field_100')).toBe(false);
  });

  it('stores the before-slots answers, latest wins', async () => {
    await ok(browser(t, 'PUT', n8n('update-analytics-before-slots'), { ticket_id: 'bs01', age: '30', x: 1 }));
    await ok(browser(t, 'PUT', n8n('update-analytics-before-slots'), { ticket_id: 'bs01', age: '31' }));
    const row = await t.deps.db
      .selectFrom('analytics_snapshots')
      .select('payload')
      .where('ticket_id', '=', 'bs01')
      .executeTakeFirstOrThrow();
    expect(row.payload).toEqual({ ticket_id: 'bs01', age: '31' });
  });
});

describe('research questionnaire', () => {
  const research: Person['research'] = {
    city: 'Тула',
    education: 'Нет',
    experience: 'supposed',
    meetType: 'И так и так',
    criteria: 'По рекомендациям знакомых',
    price: 'Меньше 1000 руб.',
    reason: 'Не было доверия',
    duration: '',
    occupation: 'Предприниматель',
  };

  it('numbers rows sequentially with random database ids, and keeps unknown fields', async () => {
    const a = await ok(
      browser(t, 'POST', n8n('research-tilda-zayavka'), {
        ...researchBody(person('r1', { research })),
        extra_field: 'x',
      }),
    );
    const b = await ok(
      browser(t, 'POST', n8n('research-tilda-zayavka'), researchBody(person('r2', { research }))),
    );
    expect(b.json().rowId).toBe(a.json().rowId + 1);
    expect(a.json().row).toBe(a.json().rowId);
    expect(a.json().baserowId).toBeGreaterThan(0);
    expect(Math.abs(b.json().baserowId - a.json().baserowId)).not.toBe(1);
    const stored = await t.deps.db
      .selectFrom('research_responses')
      .select('payload')
      .where('id', '=', a.json().baserowId)
      .executeTakeFirstOrThrow();
    expect(stored.payload).toMatchObject({
      extra_field: 'x',
      selectionСriteria: research.criteria,
      city: 'Тула',
    });
  });

  it('concurrent people each get their own row from get-sheets-row-number', async () => {
    const people = Array.from({ length: 12 }, (_, i) => ({
      ip: `192.0.2.${10 + (i % 6)}`,
      userAgent: `Mozilla/5.0 (person ${i})`,
    }));
    const posted = await Promise.all(
      people.map((client) =>
        ok(
          browser(t, 'POST', n8n('research-tilda-zayavka'), researchBody(person('rx', { research })), client),
        ),
      ),
    );
    const read = await Promise.all(
      people.map((client) => ok(browser(t, 'GET', n8n('get-sheets-row-number'), undefined, client))),
    );
    const max = Math.max(...posted.map((p) => p.json().rowId));
    read.forEach((answer, i) => {
      expect(answer.json()).toEqual({
        row: max + 1,
        rowId: posted[i]!.json().rowId,
        baserowId: posted[i]!.json().baserowId,
      });
    });
    expect(new Set(read.map((r) => r.json().rowId)).size).toBe(people.length);
  });

  it('gives nobody another person’s row: a stranger, or the same person after 10 minutes, gets zeros', async () => {
    const client = { ip: '192.0.2.99', userAgent: 'Mozilla/5.0 (late)' };
    await ok(
      browser(t, 'POST', n8n('research-tilda-zayavka'), researchBody(person('r3', { research })), client),
    );
    const stranger = await ok(
      browser(t, 'GET', n8n('get-sheets-row-number'), undefined, { ip: '192.0.2.98' }),
    );
    expect(stranger.json()).toMatchObject({ rowId: 0, baserowId: 0 });
    expect(stranger.json().row).toBeGreaterThan(2);
    t.clock.advance(11 * 60_000);
    try {
      const late = await ok(browser(t, 'GET', n8n('get-sheets-row-number'), undefined, client));
      expect(late.json()).toMatchObject({ rowId: 0, baserowId: 0 });
    } finally {
      t.clock.advance(-11 * 60_000);
    }
  });

  it('update-contacts-stb needs the matching pair within a day', async () => {
    const posted = await ok(
      browser(t, 'POST', n8n('research-tilda-zayavka'), researchBody(person('r4', { research }))),
    );
    const { rowId: rid, baserowId: bid } = posted.json();
    const put = (body: Record<string, unknown>) => browser(t, 'PUT', n8n('update-contacts-stb'), body);
    expect((await put({ rid, bid: bid + 1, contact: '@x' })).statusCode).toBe(404);
    expect((await put({ rid: rid + 1, bid, contact: '@x' })).statusCode).toBe(404);
    const missing = await put({ bid, contact: '@x' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details[0].field).toBe('rid');
    expect(
      (
        await put({
          rid: String(rid),
          bid: String(bid),
          contact: '@late',
          contactType: 'Telegram',
          name: 'Лена',
          age: '33',
          formPsyClientInfo: { city: 'Тула' },
        })
      ).statusCode,
    ).toBe(200);
    const row = await t.deps.db
      .selectFrom('research_responses')
      .select(['contact', 'contact_type', 'name', 'age', 'form_psy_client_info'])
      .where('id', '=', bid)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      contact: '@late',
      contact_type: 'Telegram',
      name: 'Лена',
      age: '33',
      form_psy_client_info: { city: 'Тула' },
    });
    t.clock.advance(25 * 60 * 60_000);
    try {
      expect((await put({ rid, bid, contact: '@later' })).statusCode).toBe(404);
    } finally {
      t.clock.advance(-25 * 60 * 60_000);
    }
  });
});

describe('schedule endpoints', () => {
  const schedule = (path: string, body: Record<string, unknown>) => browser(t, 'POST', n8n(path), body);

  it('answers the nested shape, free slots after the lead time, days and times ascending', async () => {
    const res = await schedule('get-agregated-schedule-v2', scheduleRequest(person('sch1'), TODAY));
    expect(res.statusCode).toBe(200);
    const data = res.json();
    expect(Array.isArray(data)).toBe(true);
    expect(data).toHaveLength(1);
    const items = data[0].items as {
      date: string;
      pretty_date: string;
      day_name: string;
      slots: Record<
        string,
        { state: string; date: string; time: string; client_id: null; psychologist: string }[]
      >;
    }[];
    expect(items.map((d) => d.date)).toEqual([...items.map((d) => d.date)].sort());
    expect(items[0]).toMatchObject({ date: '2026-12-08', pretty_date: '08.12', day_name: 'Вт' });
    expect(Object.keys(items[0]!.slots)).toEqual([...Object.keys(items[0]!.slots)].sort());
    const all = items.flatMap((d) => Object.values(d.slots).flat());
    expect(all.every((s) => s.state === 'Свободен' && s.client_id === null)).toBe(true);
    expect(all.some((s) => s.date === '2026-12-07')).toBe(false);
    // The first slot of a time lists the best-ranked psychologist first: Boris (debt 8) before Anna (3).
    expect(items[0]!.slots['10:00']!.map((s) => s.psychologist)).toEqual([boris.name, anna.name]);
    expect(data[0].name_order[0]).toBe(boris.name);
    for (const slot of all) expect(Number.isNaN(new Date(`${slot.date}T${slot.time}`).getTime())).toBe(false);
    const cards = (await ok(browser(t, 'GET', '/cards'))).json();
    expect(readSchedule(data, cards).map((s) => s.name)).toEqual(data[0].name_order);
  });

  it('filters by the psychologist sex, a psychiatric diagnosis, one name and diagnostic sessions', async () => {
    const names = async (path: string, body: Record<string, unknown>) =>
      (await schedule(path, body)).json()[0].name_order as string[];
    const base = scheduleRequest(person('sch2', { genderPsychologist: 'male' }), TODAY);
    expect(await names('get-agregated-schedule-v2', base)).toEqual([boris.name]);
    const female = scheduleRequest(person('sch3', { genderPsychologist: 'female' }), TODAY);
    expect(await names('get-agregated-schedule-v2', female)).toEqual([vera.name, anna.name]);
    const ill = scheduleRequest(person('sch4'), TODAY);
    const diagnosed = {
      ...ill,
      form: { ...ill.form, diagnoses: ['Есть диагностированное психиатрическое заболевание'] },
    };
    expect(await names('get-agregated-schedule-v2', diagnosed)).toEqual([anna.name]);
    expect(
      await names('get-agregated-schedule-cards', {
        ...base,
        formPsyClientInfo: {},
        show_only_psy: 'анна  ширяева',
      }),
    ).toEqual([anna.name]);
    expect(await names('schedule-diagnosis-v2', scheduleRequest(person('sch5'), TODAY))).not.toContain(
      anna.name,
    );
  });

  it('get-aggregated-all lists booked slots too, with their state', async () => {
    const booked = await browser(
      t,
      'POST',
      n8n('tilda-zayavka'),
      applicationBody(person('sch6b'), vera.name, '08.12 11:00', [vera.name]),
    );
    expect(booked.json().booked).toBe(true);
    const body = { ...scheduleRequest(person('sch6'), TODAY), ticket_id: '', show_only_psy: vera.name };
    const data = (await schedule('get-aggregated-all', body)).json();
    const states = Object.values(
      data[0].items[0].slots as Record<string, { state: string; time: string }[]>,
    ).flat();
    expect(states.map((s) => `${s.time} ${s.state}`)).toEqual(['11:00 Забронирован', '12:00 Свободен']);
    const free = (await schedule('get-agregated-schedule-cards', body)).json();
    expect(Object.keys(free[0].items[0].slots)).toEqual(['12:00']);
  });

  it('shifts the day labels, keys and local fields by the offset; date and time stay Moscow', async () => {
    const body = scheduleRequest(person('sch7', { genderPsychologist: 'male' }), TODAY, {
      userTimeOffsetMsk: '2',
    });
    const items = (await schedule('get-agregated-schedule-v2', body)).json()[0].items;
    const late = items.find((d: { date: string }) => d.date === '2026-12-10');
    expect(late).toMatchObject({ pretty_date: '10.12', day_name: 'Чт' });
    expect(late.slots['01:30'][0]).toMatchObject({
      date: '2026-12-09',
      time: '23:30',
      'Дата Локальная': '2026-12-10',
      'Время Локальное': '01:30',
    });
  });

  it('records the offered names on the form’s tracking record', async () => {
    await ok(
      browser(t, 'POST', n8n('init-form-tracking'), {
        ticket_id: 'sch8',
        form_type: 'Заявка на подбор психолога',
        step: 'Начало',
      }),
    );
    await schedule(
      'get-agregated-schedule-v2',
      scheduleRequest(person('sch8', { genderPsychologist: 'male' }), TODAY),
    );
    const record = await t.deps.db
      .selectFrom('form_tracking')
      .select('offered_psychologists')
      .where('ticket_id', '=', 'sch8')
      .executeTakeFirstOrThrow();
    expect(record.offered_psychologists).toEqual([boris.name]);
  });

  it('answers gzipped to a client that accepts it (browsers do), the same JSON', async () => {
    const body = scheduleRequest(person('sch10'), TODAY);
    const plain = await schedule('get-agregated-schedule-v2', body);
    const zipped = await t.app.inject({
      method: 'POST',
      url: n8n('get-agregated-schedule-v2'),
      headers: { 'accept-encoding': 'gzip, deflate, br' },
      payload: body,
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toContain('accept-encoding');
    expect(gunzipSync(zipped.rawPayload).toString()).toBe(plain.body);
  });

  it('refuses bad dates and windows over 62 days, naming the field', async () => {
    const base = scheduleRequest(person('sch9'), TODAY);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, startDate: '2026-13-01' }, 'startDate'],
      [{ ...base, startDate: '07.12.2026' }, 'startDate'],
      [{ ...base, endDate: '2026-12-01' }, 'endDate'],
      [{ ...base, endDate: '2027-02-08' }, 'endDate'],
    ];
    for (const [body, field] of cases) {
      const res = await schedule('get-agregated-schedule-v2', body);
      expect(res.statusCode, JSON.stringify(body.startDate)).toBe(400);
      expect(res.json().error.details[0].field).toContain(field);
    }
  });

  it('convert-schedule-timezone lists every active psychologist, free and booked, at the path offset', async () => {
    const res = await browser(t, 'POST', '/convert-schedule-timezone/-1', {
      startDate: TODAY,
      endDate: '2027-01-04',
      userTimeOffsetMsk: 0,
      ageFilter: '',
      formPsyClientInfo: {
        age: '',
        sex: '',
        sexPsycho: 'Не имеет значения',
        is_adult: true,
        is_last_page: false,
      },
      form: { emptySlots: false, userTimeZone: 'МСК' },
    });
    expect(res.statusCode).toBe(200);
    const data = res.json();
    expect(new Set(data[0].name_order)).toEqual(new Set([anna.name, boris.name, vera.name]));
    const first = data[0].items[0];
    expect(first.pretty_date).toBe('08.12');
    expect(Object.keys(first.slots)[0]).toBe('08:00');
    expect((await browser(t, 'POST', '/convert-schedule-timezone/abc', {})).statusCode).toBe(400);
    expect((await browser(t, 'POST', '/convert-schedule-timezone/16', {})).statusCode).toBe(400);
  });
});

describe('the catalog', () => {
  it('/cards is a plain array of active psychologists with the profile fields, cacheable with an ETag', async () => {
    const res = await browser(t, 'GET', '/cards');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    const cards = res.json();
    const card = cards.find((c: { name: string }) => c.name === anna.name);
    expect(card).toMatchObject({
      id: anna.id,
      group: 'Сообщество',
      sex: 'Женщина',
      age: 39,
      experience: '2 года',
      verified: true,
      main_modal: 'Гештальт',
      additional_modals: ['КПТ', 'Схема-терапия'],
      min_session_price: 2000,
      queries: 'Тревога',
      works_with: 'Взрослые; Есть диагностированное психиатрическое заболевание (ПРЛ, БАР, ПТСР и др)',
      vk: 'https://vk.com/anna_psy',
      is_married: true,
      has_children: null,
      is_video: true,
    });
    expect(JSON.stringify(cards)).not.toMatch(/telegram_id|lead_number|client/);
    const again = await t.app.inject({
      url: '/webhook/cards',
      headers: { 'if-none-match': res.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
  });

  it('profile fields are edited through the admin API and show in /cards', async () => {
    const patch = await t.admin({
      method: 'PATCH',
      url: `/admin/psychologists/${boris.id}`,
      payload: { group: 'Группы', verified: true, telegram: 'https://t.me/boris_psy' },
    });
    expect(patch.statusCode, patch.body).toBe(200);
    const card = (await browser(t, 'GET', '/cards'))
      .json()
      .find((c: { name: string }) => c.name === boris.name);
    expect(card).toMatchObject({
      group: 'Группы',
      verified: true,
      telegram: 'https://t.me/boris_psy',
      sex: 'Мужчина',
    });
    const bad = await t.admin({
      method: 'PATCH',
      url: `/admin/psychologists/${boris.id}`,
      payload: { education: [{ year: 'давно' }] },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('/edu-keys-pipeline-batch lists education under the card name with "_", newest first', async () => {
    const res = await browser(t, 'GET', '/edu-keys-pipeline-batch?batch_size=1000&use_cache=true');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      {
        psychologist: 'Анна_Ширяева',
        program_title: 'Гештальт-терапия',
        year: 2019,
        title: 'МГИ',
        doc_type: 'Диплом',
      },
      {
        psychologist: 'Анна_Ширяева',
        program_title: 'Психология',
        year: 2012,
        title: 'МГУ',
        doc_type: 'Диплом специалиста',
      },
    ]);
  });
});

describe('tilda-zayavka', () => {
  const submit = (body: Record<string, unknown>, path = 'tilda-zayavka') =>
    browser(t, 'POST', n8n(path), body);

  it('answers exactly 200 with booked: false when the chosen time was taken, and tells the operators', async () => {
    const first = await submit(applicationBody(person('tk_a1'), vera.name, '08.12 12:00', [vera.name]));
    expect(first.json()).toMatchObject({ booked: true });
    const second = await submit(
      applicationBody(person('tk_a2'), vera.name, '08.12 12:00', [vera.name, boris.name]),
    );
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      success: true,
      booked: false,
      reason: 'slot_taken',
      session: null,
    });
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select(['status', 'matched_psychologists', 'ticket_id'])
      .where('form_ticket_id', '=', 'tk_a2')
      .executeTakeFirstOrThrow();
    expect(ticket.status).toBe('matched');
    expect([...ticket.matched_psychologists].sort()).toEqual([vera.id, boris.id].sort());
    const told = await t.deps.db
      .selectFrom('outbox')
      .select('text')
      .where('ticket_id', '=', ticket.ticket_id)
      .where('dedupe_key', 'like', 'web-form-not-booked:%')
      .executeTakeFirstOrThrow();
    expect(told.text).toContain('уже заняли');
    expect(told.text).toContain(vera.name);
  });

  it('people racing for one time: one is booked, everyone gets 200 and a ticket', async () => {
    const [slot] = await addSlots(t, vera.id, ['11.12 16:00']);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        submit(applicationBody(person(`race${i}`), vera.name, '11.12 16:00', [vera.name])),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(200));
    expect(answers.filter((a) => a.json().booked)).toHaveLength(1);
    expect(answers.filter((a) => a.json().reason === 'slot_taken')).toHaveLength(5);
    const sessions = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select('id')
      .where('slot_id', '=', slot!.id)
      .execute();
    expect(sessions).toHaveLength(1);
    const tickets = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .where('form_ticket_id', 'like', 'race%')
      .execute();
    expect(tickets).toHaveLength(6);
  });

  it('a slot within the lead time, an unknown name or no slot at all still stores the application', async () => {
    const soon = await submit(applicationBody(person('tk_b1'), anna.name, '07.12 12:00', [anna.name]));
    expect(soon.json()).toMatchObject({ booked: false, reason: 'slot_not_found' });
    const close = await submit(applicationBody(person('tk_b2'), anna.name, '07.12 12:30', [anna.name]));
    expect(close.json()).toMatchObject({ booked: false, reason: 'slot_unavailable' });
    const nobody = await submit(applicationBody(person('tk_b3'), null, null, []));
    expect(nobody.statusCode).toBe(200);
    expect(nobody.json()).toMatchObject({ booked: false, reason: 'no_slot_chosen' });
    const unknown = await submit(
      applicationBody(person('tk_b4'), 'Неизвестный Психолог', '08.12 10:00', ['Неизвестный Психолог']),
    );
    expect(unknown.json()).toMatchObject({ booked: false, reason: 'slot_not_found' });
    const statuses = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select(['form_ticket_id', 'status'])
      .where('form_ticket_id', 'in', ['tk_b1', 'tk_b2', 'tk_b3', 'tk_b4'])
      .orderBy('form_ticket_id')
      .execute();
    expect(statuses.map((s) => s.status)).toEqual(['matched', 'matched', 'new', 'new']);
  });

  it('is 400 only when there is no contact at all', async () => {
    const body = applicationBody(person('tk_c1'), null, null, []);
    const res = await submit({
      ...body,
      contact: '',
      formPsyClientInfo: { ...body.formPsyClientInfo, contact: '' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('contact');
    const odd = await submit({ ...body, ticket_id: 'tk_c2', contactType: 'Signal', contact: '???' });
    expect(odd.statusCode).toBe(200);
    expect(
      await t.deps.db
        .selectFrom('hraniteli_tickets')
        .select('ticket_id')
        .where('form_ticket_id', '=', 'tk_c1')
        .execute(),
    ).toEqual([]);
  });

  it('accepts the quirks: "null" utm, JSON-quoted promocode, string offset, array preferences', async () => {
    const body = applicationBody(person('tk_d1', { promocode: '"\\"ДРУГ\\""' }), null, null, []);
    const res = await submit({
      ...body,
      promocode: '"ДРУГ"',
      utm_source: 'vk_ads',
      userTimeOffsetMsk: '2',
      formPsyClientInfo: {
        ...body.formPsyClientInfo,
        importancePsycho: ['Опыт работы в эзотерике'],
        selectionСriteria: 'По рекомендациям знакомых',
      },
    });
    expect(res.statusCode).toBe(200);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select(['promocode', 'utm', 'preferences', 'raw_payload'])
      .where('form_ticket_id', '=', 'tk_d1')
      .executeTakeFirstOrThrow();
    expect(ticket.promocode).toBe('ДРУГ');
    expect(ticket.utm).toEqual({ source: 'vk_ads' });
    expect(ticket.preferences).toMatchObject({
      userTimeOffsetMsk: 2,
      importance: { preferences: ['Опыт работы в эзотерике'] },
    });
    expect(ticket.raw_payload).toMatchObject({
      top_3_psychologists: [],
      formPsyClientInfo: { selectionСriteria: 'По рекомендациям знакомых' },
    });
  });

  it('takes Tilda’s form-urlencoded posts', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhook/tilda-zayavka',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload:
        'ticket_id=tilda01&name=%D0%9E%D0%BB%D1%8F&contactType=Telegram&contact=%40olya_tilda&age=29' +
        '&questions%5B0%5D=%D0%A1%D1%82%D1%80%D0%B5%D1%81%D1%81&utm_source=null&formPsyClientInfo%5BsexPsycho%5D=%D0%96%D0%B5%D0%BD%D1%89%D0%B8%D0%BD%D0%B0',
    });
    expect(res.statusCode, res.body).toBe(200);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select(['request_text', 'utm', 'preferences', 'typed_contact'])
      .where('form_ticket_id', '=', 'tilda01')
      .executeTakeFirstOrThrow();
    expect(ticket.request_text).toBe('Стресс');
    expect(ticket.utm).toBeNull();
    expect(ticket.preferences).toMatchObject({ gender: 'female' });
    expect(ticket.typed_contact).toMatchObject({ name: 'Оля', age: 29, telegram: '@olya_tilda' });
  });

  it('two racing submissions of one form id make one ticket; only the identical body gets a token', async () => {
    const body = applicationBody(person('tk_e1'), boris.name, '08.12 10:00', [boris.name]);
    const [a, b] = await Promise.all([submit(body), submit(body)]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.json().ticket_id).toBe(a.json().ticket_id);
    expect(a.json().client_token).toEqual(expect.any(String));
    expect(b.json().client_token).toEqual(expect.any(String));
    const other = await submit({ ...body, contact: '@someone_else' });
    expect(other.json()).toMatchObject({
      ticket_id: a.json().ticket_id,
      client_token: null,
      lead_number: null,
    });
    const tickets = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .where('form_ticket_id', '=', 'tk_e1')
      .execute();
    expect(tickets).toHaveLength(1);
    // The token opens that ticket only (what its submission typed).
    const info = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${a.json().ticket_id}`,
      headers: { authorization: `Bearer ${a.json().client_token}` },
    });
    expect(info.json().ticket.client_telegram).toBe('@user_tk_e1');
  });

  it('the diagnostic form makes a diagnostic ticket and session (also under the old name)', async () => {
    const res = await submit(
      applicationBody(person('ds_ab12c'), boris.name, '09.12 23:30', [boris.name]),
      'tilda-zayavka-diagnostic-v2',
    );
    expect(res.json()).toMatchObject({ booked: true });
    const row = await t.deps.db
      .selectFrom('hraniteli_tickets as t')
      .innerJoin('hraniteli_sessions as s', 's.ticket_id', 't.ticket_id')
      .select(['t.type', 's.kind'])
      .where('t.form_ticket_id', '=', 'ds_ab12c')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ type: 'diagnostic', kind: 'diagnostic' });
    const old = await submit(applicationBody(person('ds_old1'), null, null, []), 'tilda-zayavka-diagnostic');
    expect(old.statusCode).toBe(200);
  });

  it('the bot finds the ticket by the form id', async () => {
    const res = await submit(applicationBody(person('hh_x1y2z'), null, null, []));
    const ticketId = res.json().ticket_id;
    const byForm = await t.app.inject({ url: '/get-ticket-info?ticket_id=hh_x1y2z' });
    expect(byForm.json().ticket.id).toBe(ticketId);
    expect(byForm.json().ticket.client_name).toBeNull();
  });

  it('operators find and move the ticket by the form id at /admin/tickets/:id', async () => {
    const res = await submit(applicationBody(person('cd_9cnzeq'), null, null, []));
    const ticketId = res.json().ticket_id;
    const view = await t.admin({ url: '/admin/tickets/cd_9cnzeq' });
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json().ticket).toMatchObject({ ticket_id: ticketId, form_ticket_id: 'cd_9cnzeq' });
    const moved = await t.admin({
      method: 'PATCH',
      url: '/admin/tickets/cd_9cnzeq',
      payload: { note: 'нашли по id формы' },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().ticket).toMatchObject({ ticket_id: ticketId, note: 'нашли по id формы' });
    expect((await t.admin({ url: '/admin/tickets/no_such_form' })).statusCode).toBe(404);
    expect((await t.admin({ url: '/admin/tickets/bad%20id' })).statusCode).toBe(400);
  });
});

describe('CORS', () => {
  it('answers preflights for any origin on every web form endpoint, with Content-Type', async () => {
    const preflights: [string, string][] = [
      ['/webhook/init-form-tracking', 'POST'],
      ['/webhook/update-tracking-step', 'PUT'],
      ['/webhook/step-analytics', 'PUT'],
      ['/webhook/tilda-zayavka', 'POST'],
      ['/webhook/get-agregated-schedule-v2', 'POST'],
      ['/webhook/update-contacts-stb', 'PUT'],
      ['/webhook/get-sheets-row-number', 'GET'],
      ['/cards', 'GET'],
      ['/convert-schedule-timezone/0', 'POST'],
      ['/edu-keys-pipeline-batch', 'GET'],
    ];
    for (const [url, method] of preflights) {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: 'https://hrani.live',
          'access-control-request-method': method,
          'access-control-request-headers': 'content-type',
        },
      });
      expect(res.statusCode, url).toBe(204);
      expect(res.headers['access-control-allow-origin'], url).toBe('*');
      expect(String(res.headers['access-control-allow-headers']).toLowerCase(), url).toContain(
        'content-type',
      );
    }
  });
});
