// The operators' reports on the web forms: the funnel for a generated set of tracked forms, and the CSV
// exports read back with a CSV parser and compared with what was stored.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_NOW, type TestApp } from '../support/app.ts';
import { addSlots, createPsychologist } from '../support/fixtures.ts';
import { applicationBody, browser, n8n, ok, type Person } from '../support/web-form.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const A = 'Заявка на подбор психолога';
const B = 'Исследовательская анкета';
const PATH = ['Начало', 'Возраст клиента', 'Пол клиента', 'Слоты', 'Заявка отправлена'];

/** Tracks a form through the first `depth` steps of `path`, a second apart. */
async function track(formId: string, formType: string, path: string[], depth: number) {
  await ok(
    browser(t, 'POST', n8n('init-form-tracking'), { ticket_id: formId, form_type: formType, step: path[0] }),
  );
  for (const step of path.slice(1, depth)) {
    t.clock.advance(1000);
    await ok(browser(t, 'PUT', n8n('update-tracking-step'), { ticket_id: formId, step }));
  }
  t.clock.advance(1000);
}

describe('GET /admin/analytics/funnel', () => {
  beforeAll(async () => {
    // Day 1: 20 application forms (3 reach the end, 3 stop at Слоты, 6 at Пол клиента, 4 at Возраст, 4 at Начало),
    // 5 research forms (4 give their city) and one form that never sent init.
    for (let i = 0; i < 20; i++) {
      const depth = i < 3 ? 5 : i < 6 ? 4 : i < 12 ? 3 : i < 16 ? 2 : 1;
      await track(`fa${i}`, A, PATH, depth);
    }
    // Going back to a step is still one form at that step.
    await ok(browser(t, 'PUT', n8n('update-tracking-step'), { ticket_id: 'fa0', step: 'Возраст клиента' }));
    for (let i = 0; i < 5; i++) await track(`fb${i}`, B, ['Начало', 'Город клиента'], i < 4 ? 2 : 1);
    await ok(browser(t, 'PUT', n8n('update-tracking-step'), { ticket_id: 'fu0', step: 'Слоты' }));
    // Day 2: 4 more application forms that only start.
    t.clock.advance(24 * 60 * 60_000);
    for (let i = 0; i < 4; i++) await track(`fc${i}`, A, PATH, 1);
    t.clock.set(TEST_NOW);
  });

  const funnel = (query: string) => t.admin({ url: `/admin/analytics/funnel?${query}` });

  it('counts forms per step in first-seen order with shares of the start and drop-off', async () => {
    const res = await funnel(`form_type=${encodeURIComponent(A)}&from=2026-12-07&to=2026-12-07`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ success: true, form_type: A, started: 20 });
    expect(res.json().steps).toEqual([
      { step: 'Начало', tickets: 20, share_of_start: 1, drop_off: 0, drop_off_share: 0 },
      { step: 'Возраст клиента', tickets: 16, share_of_start: 0.8, drop_off: 4, drop_off_share: 0.2 },
      { step: 'Пол клиента', tickets: 12, share_of_start: 0.6, drop_off: 4, drop_off_share: 0.25 },
      { step: 'Слоты', tickets: 6, share_of_start: 0.3, drop_off: 6, drop_off_share: 0.5 },
      { step: 'Заявка отправлена', tickets: 3, share_of_start: 0.15, drop_off: 3, drop_off_share: 0.5 },
    ]);
  });

  it('takes the period in Moscow days and breaks the funnel down by form type', async () => {
    const both = await funnel(`form_type=${encodeURIComponent(A)}&from=2026-12-07&to=2026-12-08`);
    expect(both.json().started).toBe(24);
    expect(both.json().steps[0]).toMatchObject({ step: 'Начало', tickets: 24 });
    const second = await funnel(`form_type=${encodeURIComponent(A)}&from=2026-12-08`);
    expect(second.json().started).toBe(4);
    expect(second.json().steps).toHaveLength(1);
    const all = await funnel('from=2026-12-07&to=2026-12-07');
    expect(all.json()).toMatchObject({ form_type: null, started: 26 });
    expect(
      all.json().form_types.map((f: { form_type: string; started: number }) => [f.form_type, f.started]),
    ).toEqual([
      [A, 20],
      [B, 5],
      ['unknown', 1],
    ]);
    const research = all.json().form_types[1];
    expect(research.steps).toEqual([
      { step: 'Начало', tickets: 5, share_of_start: 1, drop_off: 0, drop_off_share: 0 },
      { step: 'Город клиента', tickets: 4, share_of_start: 0.8, drop_off: 1, drop_off_share: 0.2 },
    ]);
    const empty = await funnel('from=2027-01-01');
    expect(empty.json()).toMatchObject({ started: 0, steps: [], form_types: [] });
  });

  it('needs the service key and real dates', async () => {
    expect((await t.app.inject({ url: '/admin/analytics/funnel' })).statusCode).toBe(401);
    const bad = await funnel('from=2026-02-30');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('from');
    const reversed = await funnel('from=2026-12-08&to=2026-12-07');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().error.details[0].field).toBe('to');
  });
});

/**
 * Parses a CSV answer as a spreadsheet would: BOM first, header row, CRLF rows — and, like Excel and
 * LibreOffice, a bare \n or \r outside quotes ends a row too (a row split that way has the wrong
 * number of cells and fails the parse). No line of any cell may start a formula.
 */
function readCsv(body: string): Record<string, string>[] {
  expect(body.startsWith('\uFEFF')).toBe(true);
  expect(body).toContain('\r\n');
  const records: Record<string, string>[] = parse(body, {
    bom: true,
    columns: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  });
  for (const record of records)
    for (const [column, value] of Object.entries(record))
      for (const line of value.split(/\r\n|\r|\n/))
        expect(line, `${column}: ${JSON.stringify(value)}`).not.toMatch(/^[=+\-@\t]/);
  return records;
}

describe('GET /admin/research.csv', () => {
  it('reads back as the stored rows, one column per field, formulas defused', async () => {
    const tricky = {
      city: 'Москва, "центр"\nвторой ряд',
      selectionСriteria: 'По рекомендациям знакомых',
      anxieties: ['Тревога', 'Страх'],
      importancePsycho: { preferences: ['Научность'] },
      occupation: '=HYPERLINK("http://x")',
      is_adult: true,
      utm_source: 'null',
      extra_field: 'лишнее',
      // Multi-line answers without a comma or a quote, each line after the first a formula.
      customAnexiety: 'тревога\n=HYPERLINK(1)',
      custmCreteria: 'опыт\r=cmd|/C calc!A0',
      customImportance: 'строка\r\n@SUM(1)\n+1\n-2\n\t=3',
    };
    const first = (await ok(browser(t, 'POST', n8n('research-tilda-zayavka'), tricky))).json();
    const second = (
      await ok(browser(t, 'POST', n8n('research-tilda-zayavka'), { city: 'Пермь', meetType: 'Онлайн' }))
    ).json();
    await ok(
      browser(t, 'PUT', n8n('update-contacts-stb'), {
        rid: second.rowId,
        bid: second.baserowId,
        contact: '+7 900 000-00-00',
        contactType: 'Max',
        name: 'Ира',
        age: '22',
      }),
    );
    const res = await t.admin({ url: '/admin/research.csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain('research.csv');
    const records = readCsv(res.body);
    const stored = await t.deps.db
      .selectFrom('research_responses')
      .select(['row_number', 'id'])
      .orderBy('row_number')
      .execute();
    expect(records.map((r) => [Number(r.row), Number(r.baserow_id)])).toEqual(
      stored.map((s) => [s.row_number, s.id]),
    );
    const a = records.find((r) => Number(r.row) === first.rowId)!;
    expect(a).toMatchObject({
      baserow_id: String(first.baserowId),
      created_at: '2026-12-07 12:00:00',
      city: tricky.city,
      selectionСriteria: tricky.selectionСriteria,
      anxieties: 'Тревога; Страх',
      importancePsycho: '{"preferences":["Научность"]}',
      occupation: `'${tricky.occupation}`,
      is_adult: 'true',
      // The form sends "null" for an absent UTM value: absent is an empty cell.
      utm_source: '',
      utm_medium: '',
      extra_field: 'лишнее',
      contacts_name: '',
      customAnexiety: "тревога\n'=HYPERLINK(1)",
      custmCreteria: "опыт\r'=cmd|/C calc!A0",
      customImportance: "строка\r\n'@SUM(1)\n'+1\n'-2\n'\t=3",
    });
    const b = records.find((r) => Number(r.row) === second.rowId)!;
    expect(b).toMatchObject({ city: 'Пермь', meetType: 'Онлайн', extra_field: '', contacts_name: 'Ира' });
    expect(b.contacts_contact).toBe(`'+7 900 000-00-00`);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect(Object.keys(a).slice(0, 6)).toEqual([
      'row',
      'baserow_id',
      'created_at',
      'lead_number',
      'ticket_id',
      'age',
    ]);
  });

  it('a field named like an object method in one row is an empty cell in the others', async () => {
    const payload = { city: 'Тула', toString: 'a', constructor: 'b' };
    await ok(browser(t, 'POST', n8n('research-tilda-zayavka'), payload));
    await ok(browser(t, 'POST', n8n('research-tilda-zayavka'), { city: 'Тверь' }));
    const res = await t.admin({ url: '/admin/research.csv' });
    expect(res.statusCode, res.body).toBe(200);
    const records = readCsv(res.body);
    expect(records.find((r) => r.city === 'Тула')).toMatchObject({ toString: 'a', constructor: 'b' });
    expect(records.find((r) => r.city === 'Тверь')).toMatchObject({ toString: '', constructor: '' });
  });

  it('keeps to the period and needs the service key', async () => {
    expect(readCsv((await t.admin({ url: '/admin/research.csv?from=2027-01-01' })).body)).toEqual([]);
    expect((await t.app.inject({ url: '/admin/research.csv' })).statusCode).toBe(401);
  });
});

describe('GET /admin/applications.csv', () => {
  it('reads back as the stored tickets with their session and research row', async () => {
    const olga = await createPsychologist(t, { name: 'Ольга Экспортова', sex: 'female' });
    await addSlots(t, olga.id, ['09.12 15:00']);
    const person: Person = {
      ticketId: 'exp01',
      name: 'Соня',
      age: '25',
      gender: 'female',
      genderPsychologist: 'female',
      request: 'Страх, "паника"\nи бессонница',
      conditions: ['Состояние ужаса, панические атаки'],
      traumatic: [],
      diagnosis: 'nothing',
      contactType: 'Telegram',
      contact: '@sonya_export',
      promocode: '"ВЕСНА"',
    };
    const research = (await ok(browser(t, 'POST', n8n('research-tilda-zayavka'), { city: 'Омск' }))).json();
    const body = {
      ...applicationBody(person, olga.name, '09.12 15:00', [olga.name], {
        rid: research.rowId,
        bid: research.baserowId,
      }),
      utm_source: 'telegram_ads',
    };
    const booked = (await ok(browser(t, 'POST', n8n('tilda-zayavka'), body))).json();
    const plain = (
      await ok(
        browser(
          t,
          'POST',
          n8n('tilda-zayavka'),
          applicationBody(
            {
              ...person,
              ticketId: 'exp02',
              contact: '@other_export',
              request: 'Бессонница\n=HYPERLINK(1)\r@SUM(1)',
            },
            null,
            null,
            [],
          ),
        ),
      )
    ).json();

    const res = await t.admin({ url: '/admin/applications.csv?from=2026-12-07&to=2026-12-07' });
    expect(res.statusCode).toBe(200);
    const records = readCsv(res.body);
    const stored = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .orderBy('created_at')
      .orderBy('ticket_id')
      .execute();
    expect(records.map((r) => r.ticket_id)).toEqual(stored.map((s) => s.ticket_id));
    expect(records.find((r) => r.ticket_id === booked.ticket_id)).toMatchObject({
      form_ticket_id: 'exp01',
      type: 'application',
      status: 'booked',
      lead_number: booked.lead_number,
      name: 'Соня',
      age: '25',
      contact_type: 'telegram',
      // Cells that a spreadsheet would read as a formula (=, +, -, @) start with a quote.
      contact: "'@sonya_export",
      request_text: person.request,
      client_states: 'Состояние ужаса, панические атаки',
      selected_psychologist: olga.name,
      selected_slot: '09.12 15:00',
      psychologist: olga.name,
      session_psychologist: olga.name,
      session_time: '2026-12-09 15:00:00',
      session_status: 'pending',
      session_kind: 'regular',
      promocode: 'ВЕСНА',
      utm_source: 'telegram_ads',
      research_row: String(research.rowId),
    });
    expect(records.find((r) => r.ticket_id === plain.ticket_id)).toMatchObject({
      status: 'new',
      // The multi-line request stays in its row, each formula line defused.
      request_text: "Бессонница\n'=HYPERLINK(1)\r'@SUM(1)",
      session_time: '',
      research_row: '',
      promocode: 'ВЕСНА',
    });
    const diagnostic = await t.admin({ url: '/admin/applications.csv?type=diagnostic' });
    expect(readCsv(diagnostic.body)).toEqual([]);
    expect((await t.admin({ url: '/admin/applications.csv?type=nope' })).statusCode).toBe(400);
  });
});
