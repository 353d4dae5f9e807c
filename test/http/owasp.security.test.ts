// OWASP API Security Top 10 (2023) as tests (spec/quality.md "Security"), one describe per risk, walking
// the routes the app registered rather than a list kept by hand wherever the risk allows. The app runs
// with its Telegram bot in webhook mode, so the webhook is among the routes walked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, RouteOptions } from 'fastify';
import { SignJWT } from 'jose';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, TEST_API_KEY, TEST_JWT_SECRET, withTestApp, type TestApp } from '../support/app.ts';
import { FakeGoogle } from '../support/fake-google.ts';
import type { Fault } from '../support/fake-http.ts';
import { FakeTelegram, type Fault as TelegramFault } from '../support/fake-telegram.ts';
import { FakeZoom } from '../support/fake-zoom.ts';
import { fingerprint, fingerprintDiff, tablesOf } from '../support/fuzz.ts';
import { personalDataIn } from '../support/logs.ts';
import { addSlots, bearer, createPsychologist, submitApplication } from '../support/fixtures.ts';
import { MAX_SCHEDULE_SLOTS } from '../../src/commands/web-schedule.ts';
import { MAX_FORM_LIST } from '../../src/commands/submit-web-form.ts';
import { MAX_PAGE, MAX_SLOTS } from '../../src/domain/limits.ts';
import {
  botEnv,
  buttonPress,
  lastCode,
  outboxTo,
  textMessage,
  verifyCode,
  WEBHOOK_SECRET,
  wholeClientToken,
} from '../support/telegram.ts';

let t: TestApp;
const telegram = new FakeTelegram();
beforeAll(async () => {
  await telegram.start();
  t = await createTestApp(botEnv(telegram.url));
});
afterAll(async () => {
  await t.close();
  await telegram.stop();
});

/** Every registered route as one entry per method, "METHOD /path" with Fastify's :params. */
function routeList(app: TestApp['app']): { method: string; url: string; key: string; route: RouteOptions }[] {
  return app.registeredRoutes.flatMap((route) =>
    [route.method].flat().map((method) => ({ method, url: route.url, key: `${method} ${route.url}`, route })),
  );
}

/** A database fingerprint over every table: what a refused request must leave as it was. */
async function databaseState() {
  return fingerprint(t.deps.db, await tablesOf(t));
}

type Schema = { properties?: Record<string, unknown>; required?: string[] };

let nextCodeAddress = 1;
/**
 * A whole-client token the way a person gets one: a login code sent to the account's own chat, typed back
 * (each from an address of its own: wrong tries elsewhere in the file never count against it).
 */
const wholeClientTokenOf = (telegramId: string) =>
  wholeClientToken(t, telegramId, `10.1.0.${nextCodeAddress++}`);

async function clientIdOf(leadNumber: string) {
  const row = await t.deps.db
    .selectFrom('hraniteli_clients')
    .select('id')
    .where('lead_number', '=', leadNumber)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('API1 object-level authorization: a generated walk of every client route', () => {
  it('refuses client B’s objects to A’s whole-client token and to a token of B’s other ticket, changing nothing', async () => {
    const p = await createPsychologist(t, { name: 'Ольга Объектова', telegram_id: '6900' });
    const [booked, free] = await addSlots(t, p.id, ['10.12 10:00', '10.12 15:00']);
    // Client B: a ticket with a booked session and a proven Telegram id, and a second ticket submitted
    // with B's whole-client token (a typed contact alone would give it a record of its own).
    const b1 = await submitApplication(t, { contact: { type: 'telegram', value: '@owasp_victim' } });
    const linked = await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: '7700123', ticket_id: b1.ticket_id, username: 'owasp_victim' },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    const session = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: booked!.id, lead_number: b1.lead_number, ticket_id: b1.ticket_id },
    });
    expect(session.statusCode, session.body).toBe(201);
    const submittedB2 = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: bearer(await wholeClientTokenOf('7700123')),
      payload: { name: 'Мария', age: 30, contact: { type: 'telegram', value: '@owasp_victim' } },
    });
    expect(submittedB2.statusCode, submittedB2.body).toBe(200);
    const b2 = submittedB2.json() as { ticket_id: string; lead_number: string };
    expect(b2.lead_number).toBe(b1.lead_number);
    const a = await submitApplication(t, { contact: { type: 'telegram', value: '@owasp_attacker' } });
    const clientA = await clientIdOf(a.lead_number);
    const clientB = await clientIdOf(b1.lead_number);
    const now = t.clock.now();
    const credentials = {
      "A's whole-client token": await t.deps.tokens.issue({ clientId: clientA }, now),
      "a token of B's other ticket": await t.deps.tokens.issue(
        { clientId: clientB, ticketId: b2.ticket_id },
        now,
      ),
    };

    // The values naming B's objects, by the field names the route schemas use.
    const objectOfB: Record<string, unknown> = {
      ticket_id: b1.ticket_id,
      link_id: b1.ticket_id,
      client_id: b1.lead_number,
      lead_number: b1.lead_number,
      utm_client: b1.lead_number,
      telegram_id: '7700123',
      user_id: '7700123',
      client_telegram: 'owasp_victim',
    };
    // The rest a request needs to pass validation, so that access is what decides.
    const filler: Record<string, unknown> = {
      psychologist_id: p.id,
      psychologist_name: p.name,
      slot_id: free!.id,
      slot_time: '10.12 10:00',
      new_slot_time: '10.12 15:00',
      session_date: '10.12 10:00',
      cancellation_reason: 'чужая сессия',
      rating: 1,
      mode: 'time',
      payment_info: { amount: 0, status: 'pending' },
      anketa: { mark: '1', wantOtherPschologist: 'Да' },
    };

    const routes = t.app.registeredRoutes.flatMap((r) =>
      r.config?.access === 'client'
        ? [r.method]
            .flat()
            .filter((m) => m !== 'HEAD')
            .map((method) => ({ method, route: r }))
        : [],
    );
    expect(routes.length).toBeGreaterThanOrEqual(7);
    const requests: { name: string; options: InjectOptions }[] = [];
    const uncovered: string[] = [];
    for (const { method, route } of routes) {
      const name = `${method} ${route.url}`;
      const schema = (route.schema ?? {}) as Record<string, Schema | undefined>;
      let namesB = false;
      const build = (part: Schema | undefined) => {
        const out: Record<string, unknown> = {};
        for (const field of Object.keys(part?.properties ?? {})) {
          if (field in objectOfB) {
            out[field] = objectOfB[field];
            namesB = true;
          } else if (field in filler) out[field] = filler[field];
          else if (part?.required?.includes(field)) uncovered.push(`${name}: no value for "${field}"`);
        }
        return out;
      };
      const query = build(schema.querystring);
      const body = build(schema.body);
      const params = build(schema.params);
      const url = route.url.replace(/:(\w+)/g, (_, key: string) => String(params[key]));
      if (!namesB) uncovered.push(`${name}: names none of B's objects`);
      requests.push({
        name,
        options: {
          method: method as 'GET',
          url,
          query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: body }),
        },
      });
    }
    expect(uncovered, 'client routes the walk cannot name B’s objects for').toEqual([]);

    const state = async () => ({
      sessions: await t.deps.db
        .selectFrom('hraniteli_sessions')
        .selectAll()
        .where('ticket_id', 'in', [b1.ticket_id, b2.ticket_id])
        .orderBy('id')
        .execute(),
      tickets: await t.deps.db
        .selectFrom('hraniteli_tickets')
        .selectAll()
        .where('client_id', '=', clientB)
        .orderBy('ticket_id')
        .execute(),
      slots: await t.deps.db
        .selectFrom('hraniteli_slots')
        .selectAll()
        .where('psychologist_id', '=', p.id)
        .orderBy('id')
        .execute(),
      outbox: (await t.deps.db.selectFrom('outbox').select('id').execute()).length,
      questionnaires: (await t.deps.db.selectFrom('client_questionnaires').select('id').execute()).length,
    });
    const before = await state();
    const wrong: string[] = [];
    for (const [who, token] of Object.entries(credentials)) {
      for (const { name, options } of requests) {
        const res = await t.app.inject({ ...options, headers: bearer(token) });
        // Every client route names an object that exists, so none hides it behind a 404: a 403 each.
        if (res.statusCode !== 403) wrong.push(`${who} → ${name}: ${res.statusCode}`);
        expect(res.body).not.toContain('owasp_victim');
      }
    }
    expect(wrong).toEqual([]);
    expect(await state()).toEqual(before);
    // The control: the same requests with B's own whole-client token pass validation and access.
    const own = await t.deps.tokens.issue({ clientId: clientB }, now);
    for (const { name, options } of requests) {
      const res = await t.app.inject({ ...options, headers: bearer(own) });
      expect([400, 401, 403], `${name}: ${res.body}`).not.toContain(res.statusCode);
    }
    // A ticket's own token still answers the questionnaire of that ticket's session.
    const ticketToken = await t.deps.tokens.issue({ clientId: clientB, ticketId: b1.ticket_id }, now);
    const questionnaire = requests.find((r) => r.name === 'POST /client-os')!;
    const ownTicket = await t.app.inject({ ...questionnaire.options, headers: bearer(ticketToken) });
    expect(ownTicket.statusCode, ownTicket.body).toBe(200);
  });
});

describe('API7 SSRF: links taken from input are stored, never fetched', () => {
  it('shows the links in the admin list, the catalogs and the booking messages without one request to them', async () => {
    const hits: string[] = [];
    const trap = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    const telegram = new FakeTelegram();
    await telegram.start();
    try {
      await withTestApp(
        { TELEGRAM_BOT_TOKEN: '123456:ssrf-test', TELEGRAM_API_ROOT: telegram.url },
        async (s) => {
          const links = {
            link_photo: `${base}/photo.jpg`,
            link_video: `${base}/video.mp4`,
            vk: `${base}/vk`,
            site: `${base}/site`,
            telegram: `${base}/telegram`,
          };
          const p = await createPsychologist(s, { name: 'Сара Ссылкина', telegram_id: '6950', ...links });
          const [slot] = await addSlots(s, p.id, ['10.12 12:00']);
          const shown: string[] = [];
          for (const url of ['/admin/psychologists', `/admin/psychologists/${p.id}`]) {
            const res = await s.admin({ url });
            if (res.statusCode === 200) shown.push(res.body);
          }
          for (const url of ['/cards', '/edu-keys-pipeline-batch']) {
            const res = await s.app.inject({ url });
            expect(res.statusCode, url).toBe(200);
            shown.push(res.body);
          }
          const cards = await s.app.inject({
            method: 'POST',
            url: '/get-agregated-schedule-cards',
            payload: {},
          });
          shown.push(cards.body);
          expect(shown.join('\n')).toContain(links.link_photo);
          // A URL in a form's free text, then a booking with its notifications sent.
          const app = await submitApplication(s, { request_text: `смотрите ${base}/form-link` });
          const booked = await s.app.inject({
            method: 'POST',
            url: '/process-diagnostic-session-request',
            headers: bearer(app.client_token),
            payload: {
              client_id: app.lead_number,
              psychologist_id: p.id,
              slot_id: slot!.id,
              payment_info: { amount: 0, status: 'pending' },
            },
          });
          expect(booked.statusCode, booked.body).toBe(200);
          await s.deps.outbox.drain();
          expect(telegram.calls.length).toBeGreaterThan(0);
          await new Promise((resolve) => setTimeout(resolve, 50));
        },
      );
    } finally {
      await telegram.stop();
      await new Promise((resolve) => trap.close(resolve));
    }
    expect(hits).toEqual([]);
  });
});

describe('the log scan every test app runs when it closes', () => {
  it('recognises each kind of personal data and names the line by its message only', () => {
    const line = (msg: string, extra: Record<string, unknown>) =>
      `${JSON.stringify({ level: 30, reqId: '3e1f5ea5-8b15-4328-9a23-c20a3b0d58b3', ...extra, msg })}\n`;
    const found = personalDataIn([
      line('phone', { to: '+7 916 123-45-99' }),
      line('digits', { value: '89161234599' }),
      line('mail', { contact: 'private.person@example.org' }),
      line('handle', { contact: '@very_private_handle' }),
      line('text', { request: 'Мне тяжело' }),
      line('clean', { path: '/admin/slots/c68338e5-fce3-3725-8cc5-70690000001c', time: 1795897989175 }),
    ]);
    expect(found).toEqual([
      'log line "phone" holds a phone number (+7 and 10 digits)',
      'log line "digits" holds a phone number (an 11-digit run)',
      'log line "mail" holds an e-mail address',
      'log line "handle" holds a Telegram handle',
      'log line "text" holds Cyrillic text',
    ]);
    expect(found.join('\n')).not.toContain('example.org');
  });
});

describe('API4 resource consumption: list caps', () => {
  /** Slot routes may carry up to 5 000 items per call; every other page stops at 500. */
  const capOf = (url: string) => (/slot|schedule/.test(url) ? 5000 : 500);

  function walk(schema: unknown, path: string, visit: (s: Record<string, unknown>, path: string) => void) {
    if (!schema || typeof schema !== 'object') return;
    const s = schema as Record<string, unknown>;
    visit(s, path);
    for (const [key, value] of Object.entries((s.properties as Record<string, unknown>) ?? {}))
      walk(value, path ? `${path}.${key}` : key, visit);
    if (s.items) walk(s.items, `${path}[]`, visit);
    for (const alt of [
      ...((s.anyOf as unknown[]) ?? []),
      ...((s.oneOf as unknown[]) ?? []),
      ...((s.allOf as unknown[]) ?? []),
    ])
      walk(alt, path, visit);
    // Records (Type.Record): the values under any key.
    for (const value of Object.values((s.patternProperties as Record<string, unknown>) ?? {}))
      walk(value, `${path}{}`, visit);
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      walk(s.additionalProperties, `${path}{}`, visit);
  }

  it('bounds every array a request may carry and every page size, route by route', () => {
    const unbounded: string[] = [];
    const limits: string[] = [];
    for (const route of t.app.registeredRoutes) {
      const name = `${[route.method].flat().join(',')} ${route.url}`;
      const schema = (route.schema ?? {}) as Record<string, unknown>;
      for (const part of ['body', 'querystring'] as const) {
        walk(schema[part], '', (s, path) => {
          const cap = capOf(route.url);
          if (s.type === 'array' && !(typeof s.maxItems === 'number' && s.maxItems <= cap))
            unbounded.push(`${name} ${part}.${path}: maxItems ${String(s.maxItems)}`);
          if (/^(limit|per_page|page_size)$/.test(path.split('.').at(-1)!)) {
            limits.push(`${name} ${path}`);
            if (!(typeof s.maximum === 'number' && s.maximum <= cap))
              unbounded.push(`${name} ${part}.${path}: maximum ${String(s.maximum)}`);
          }
        });
      }
    }
    expect(unbounded).toEqual([]);
    expect(limits.length).toBeGreaterThanOrEqual(3);
  });

  it('answers a page or a slot batch over the cap with 400, naming the field, and stores nothing', async () => {
    const p = await createPsychologist(t, { name: 'Лима Лимитова' });
    for (const url of ['/admin/tickets?limit=501', '/admin/outbox?limit=501', '/admin/slots?limit=5001']) {
      const res = await t.admin({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details[0].field, url).toBe('limit');
    }
    const tooMany = await t.admin({
      method: 'POST',
      url: '/admin/slots',
      payload: {
        psychologist_id: p.id,
        slots: Array.from(
          { length: 5001 },
          (_, i) => `2${(i % 9) + 1}.12 ${String(i % 24).padStart(2, '0')}:00`,
        ),
      },
    });
    expect(tooMany.statusCode).toBe(400);
    const stored = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('id')
      .where('psychologist_id', '=', p.id)
      .execute();
    expect(stored).toEqual([]);
  });
  /**
   * What one answer may list. Slots (and slot ids) up to 5 000 a call, any other list 500; the web form's
   * schedules show a month at once and stop at MAX_SCHEDULE_SLOTS (web-schedule.ts says why), and the
   * catalog's education entries are those of its 500 cards.
   */
  const answerCapOf = (url: string, path: string) =>
    SCHEDULE_ROUTES.includes(url)
      ? MAX_SCHEDULE_SLOTS
      : /slot/i.test(path) || /slot/.test(url) || url === '/edu-keys-pipeline-batch'
        ? MAX_SLOTS
        : MAX_PAGE;
  const SCHEDULE_ROUTES = [
    '/get-agregated-schedule-v2',
    '/get-agregated-schedule-cards',
    '/schedule-diagnosis-v2',
    '/get-aggregated-all',
    '/convert-schedule-timezone/:offset',
    '/get-agregated-schedule-helpful-hand',
  ];

  it('bounds every list every answer may carry: a declared maxItems within the caps, route by route', () => {
    const unbounded: string[] = [];
    let lists = 0;
    for (const route of t.app.registeredRoutes) {
      const name = `${[route.method].flat().join(',')} ${route.url}`;
      const responses = ((route.schema ?? {}) as { response?: Record<string, unknown> }).response ?? {};
      for (const [status, schema] of Object.entries(responses)) {
        if (!status.startsWith('2')) continue;
        walk(schema, '', (s, path) => {
          if (s.type !== 'array') return;
          lists++;
          const cap = answerCapOf(route.url, path);
          if (!(typeof s.maxItems === 'number' && s.maxItems <= cap))
            unbounded.push(
              `${name} ${status} ${path || '(answer)'}: maxItems ${String(s.maxItems)} (cap ${cap})`,
            );
        });
      }
    }
    expect(unbounded).toEqual([]);
    expect(lists).toBeGreaterThan(60);
  });

  it('pages the psychologists (500 a page, a cursor to the next) and shows the catalog’s first 500', async () => {
    await withTestApp({}, async (s) => {
      const total = MAX_PAGE + 3;
      for (let i = 0; i < total; i++) {
        const res = await s.admin({
          method: 'POST',
          url: '/admin/psychologists',
          payload: {
            name: `Психолог Страничный${String(i).padStart(4, '0')}`,
            sex: 'female',
            min_price: 1000,
            max_price: 2000,
          },
        });
        expect(res.statusCode, res.body).toBe(201);
      }
      const first = await s.admin({ url: '/admin/psychologists' });
      expect(first.statusCode).toBe(200);
      expect(first.json().psychologists).toHaveLength(MAX_PAGE);
      const cursor = first.json().next_cursor as string;
      expect(cursor).toEqual(expect.any(String));
      const second = await s.admin({ url: `/admin/psychologists?cursor=${cursor}` });
      expect(second.json().psychologists).toHaveLength(3);
      expect(second.json().next_cursor).toBeNull();
      const names = [...first.json().psychologists, ...second.json().psychologists].map(
        (p: { name: string }) => p.name,
      );
      expect(new Set(names).size).toBe(total);
      expect(names).toEqual([...names].sort());
      const small = await s.admin({ url: '/admin/psychologists?limit=2&active=true' });
      expect(small.json().psychologists).toHaveLength(2);
      const next = await s.admin({
        url: `/admin/psychologists?limit=2&active=true&cursor=${small.json().next_cursor}`,
      });
      expect(next.json().psychologists[0].name > small.json().psychologists[1].name).toBe(true);
      for (const url of ['/admin/psychologists?limit=501', '/admin/psychologists?cursor=not-ours']) {
        const refused = await s.admin({ url });
        expect(refused.statusCode, url).toBe(400);
      }
      const cards = await s.app.inject({ url: '/cards' });
      expect(cards.json()).toHaveLength(MAX_PAGE);
    });
  });

  it('shows an operator the newest 500 of what public forms keep adding to a ticket and a person', async () => {
    const form = 'api4many';
    const post = (method: 'POST' | 'PUT', url: string, payload: object) =>
      t.app.inject({ method, url, payload });
    expect(
      (await post('POST', '/init-form-tracking', { ticket_id: form, form_type: 'application' })).statusCode,
    ).toBe(200);
    const HTTP_STEPS = 3;
    for (let i = 0; i < HTTP_STEPS; i++) {
      expect(
        (await post('PUT', '/update-tracking-step', { ticket_id: form, step: `шаг ${i}` })).statusCode,
      ).toBe(200);
      expect(
        (
          await post('PUT', '/step-analytics', {
            ticketID: form,
            field: `f${String(i).padStart(4, '0')}`,
            value: i,
          })
        ).statusCode,
      ).toBe(200);
    }
    // A form id now stores at most 200 steps and 100 fields from the browser (web-forms.test.ts); the
    // operators' view is capped on its own, for records that hold more (written before those limits,
    // or imported), so the rest is put in directly.
    const record = await t.deps.db
      .selectFrom('form_tracking')
      .select('id')
      .where('ticket_id', '=', form)
      .executeTakeFirstOrThrow();
    const base = t.clock.now().getTime();
    const more = Array.from({ length: MAX_PAGE + 5 - HTTP_STEPS }, (_, k) => k + HTTP_STEPS);
    await t.deps.db
      .insertInto('form_tracking_steps')
      .values(more.map((i) => ({ tracking_id: record.id, step: `шаг ${i}`, at: new Date(base + i) })))
      .execute();
    await t.deps.db
      .insertInto('form_step_answers')
      .values(
        more.map((i) => ({
          form_ticket_id: form,
          field: `f${String(i).padStart(4, '0')}`,
          value: JSON.stringify(i),
          created_at: new Date(base + i),
          updated_at: new Date(base + i),
        })),
      )
      .execute();
    const submitted = await post('POST', '/tilda-zayavka', {
      ticket_id: form,
      name: 'Многоступенчатая',
      age: '30',
      contactType: 'Telegram',
      contact: '@api4_many_steps',
    });
    expect(submitted.statusCode, submitted.body).toBe(200);
    const view = await t.admin({ url: `/admin/tickets/${submitted.json().ticket_id}` });
    expect(view.statusCode).toBe(200);
    const ticket = view.json();
    expect(ticket.tracking).toHaveLength(MAX_PAGE);
    expect(ticket.tracking.at(-1).step).toBe(`шаг ${MAX_PAGE + 4}`);
    expect(ticket.form.tracking[0].steps).toHaveLength(MAX_PAGE);
    expect(ticket.form.step_answers).toHaveLength(MAX_PAGE);

    // A person who keeps sending the application form, 505 times: their record shows the newest 500
    // tickets. Only a proven person's submissions join one record (a typed contact gives each its own), so
    // they are sent with the person's whole-client token.
    const token = await wholeClientTokenOf('7700505');
    let last = '';
    // A second apart, so that "newest" is one ticket.
    for (let i = 0; i < MAX_PAGE + 5; i++) {
      t.clock.advance(1000);
      const res = await t.app.inject({
        method: 'POST',
        url: '/submit-application',
        headers: bearer(token),
        payload: { name: 'Мария', age: 30, contact: { type: 'telegram', value: '@api4_many_tickets' } },
      });
      expect(res.statusCode, res.body).toBe(200);
      last = res.json().ticket_id;
    }
    t.clock.advance(-(MAX_PAGE + 5) * 1000);
    const lead = (await t.admin({ url: `/admin/tickets/${last}` })).json().client.lead_number as string;
    const person = await t.admin({ url: `/admin/clients/${lead}` });
    expect(person.statusCode).toBe(200);
    expect(person.json().client.telegram_id).toBe('7700505');
    expect(person.json().tickets).toHaveLength(MAX_PAGE);
    expect(person.json().tickets[0].ticket_id).toBe(last);
  });

  it('refuses a web form listing more than 50 names or times with a 400 naming the list, storing nothing', async () => {
    const many = Array.from({ length: MAX_FORM_LIST + 1 }, (_, i) => `Имя ${i}`);
    for (const field of [
      'slots',
      'top_3_psychologists',
      'filtered_by_automatch_psy_names',
      'selectedPsychologistsNames',
      'diagnoses',
    ]) {
      const before = await databaseState();
      const res = await t.app.inject({
        method: 'POST',
        url: '/tilda-zayavka',
        payload: {
          ticket_id: `api4l${field.length}`,
          name: 'Список',
          age: '30',
          contactType: 'Telegram',
          contact: '@api4_list',
          [field]: many,
        },
      });
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json().error.details[0].field).toBe(field);
      expect(fingerprintDiff(before, await databaseState())).toEqual([]);
    }
    // 70 000 names once became one query with 70 000 parameters: a 503 "database unavailable".
    const huge = await t.app.inject({
      method: 'POST',
      url: '/tilda-zayavka',
      payload: {
        ticket_id: 'api4huge',
        contact: '@api4_huge',
        top_3_psychologists: Array.from({ length: 70_000 }, (_, i) => `n${i}`),
      },
    });
    expect(huge.statusCode).toBe(400);
  });

  it('limits every public route per IP when limits are on', async () => {
    await withTestApp({ RATE_LIMIT_PUBLIC: '', RATE_LIMIT_SUBMIT: '' }, async (s) => {
      const unlimited = routeList(s.app)
        .filter((r) => r.route.config?.access === 'public' && r.method !== 'HEAD')
        .filter((r) => !(r.route.config as { rateLimit?: { max?: number } }).rateLimit?.max)
        .map((r) => r.key);
      expect(unlimited).toEqual([]);
    });
  });
});

describe('API5 function-level authorization: a generated walk of every registered route', () => {
  /**
   * The routes that answer without credentials (SPEC §3 "public"), by their GET: each GET's HEAD goes
   * with it. Everything else the app registers must answer 401 to a request without them.
   */
  const PUBLIC = [
    // Liveness, readiness, the API's description and its viewer: nothing personal in them.
    'GET /health',
    'GET /ready',
    'GET /openapi.json',
    'GET /docs',
    'GET /docs/json',
    'GET /docs/yaml',
    'GET /docs/static/index.html',
    'GET /docs/static/swagger-initializer.js',
    'GET /docs/static/*',
    // CORS preflights: answered by the CORS rules of the route they ask about (API8).
    'OPTIONS *',
    // What people use before anyone knows them: listings, applications, login codes.
    'GET /get-available-slots',
    'GET /get-schedule',
    'GET /get-ticket-info',
    'POST /submit-application',
    'POST /register-ticket-for-help-hand',
    'POST /diagnostic-session-request',
    'POST /request-code',
    'POST /verify-code',
    // The web front end's endpoints (spec/web-form.md): the browser sends no credentials.
    'POST /init-form-tracking',
    'PUT /update-tracking-step',
    'PUT /update-analytics-before-slots',
    'PUT /step-analytics',
    'POST /research-tilda-zayavka',
    'GET /get-sheets-row-number',
    'PUT /update-contacts-stb',
    'POST /tilda-zayavka',
    'POST /tilda-zayavka-diagnostic-v2',
    'POST /tilda-zayavka-diagnostic',
    'POST /get-agregated-schedule-v2',
    'POST /get-agregated-schedule-cards',
    'POST /schedule-diagnosis-v2',
    'POST /get-aggregated-all',
    'POST /convert-schedule-timezone/:offset',
    'GET /cards',
    'GET /edu-keys-pipeline-batch',
    // The helping hand's confirm page: its credential is the personal link's ticket_id.
    'GET /check-allotment-for-slot-confirmation',
    'POST /get-agregated-schedule-helpful-hand',
    'POST /helpful-hand-zayavka-new',
    // Surveys (public) and the events calendar (its own credential, the calendar token in the query:
    // without one, 403 invalid_secret rather than 401).
    'GET /get-survey',
    'GET /check-fill-survey',
    'GET /get-all-events',
    'GET /get-slot',
    'GET /get-psycho',
    'POST /join-to-event',
    'GET /cancel-slot',
  ];
  const isPublic = (key: string) => PUBLIC.includes(key.replace(/^HEAD /, 'GET '));
  /** Any value fills a path parameter: credentials are checked before anything is read. */
  const urlOf = (url: string) => url.replace(/:\w+/g, '1234567').replace('*', 'index.css');
  const send = (method: string, url: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: method as 'GET',
      url: urlOf(url),
      headers,
      ...(['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(method) ? {} : { payload: {} }),
    });

  it('without credentials, every route outside the public list answers 401 and changes nothing', async () => {
    const routes = routeList(t.app);
    expect(routes.map((r) => r.key)).toContain('POST /telegram/webhook');
    expect(routes.length).toBeGreaterThan(100);
    const open: string[] = [];
    // The public routes first: some of them store what they are sent, the rest must store nothing.
    for (const r of routes.filter((r) => isPublic(r.key))) {
      const res = await send(r.method, r.url);
      if (res.statusCode !== 401) open.push(r.key);
    }
    const before = await databaseState();
    const wrong: string[] = [];
    for (const r of routes.filter((r) => !isPublic(r.key))) {
      for (const [how, headers] of [
        ['no credentials', {}],
        ['a wrong key', { 'x-api-key': `${TEST_API_KEY}x` }],
        ['a wrong bearer key', bearer(TEST_API_KEY.slice(0, -1))],
      ] as const) {
        const res = await send(r.method, r.url, headers);
        if (res.statusCode !== 401) wrong.push(`${r.key} with ${how}: ${res.statusCode}`);
        else if (r.method !== 'HEAD') expect(res.json().error.type, r.key).toBe('unauthorized');
      }
    }
    expect(wrong).toEqual([]);
    expect(fingerprintDiff(before, await databaseState())).toEqual([]);
    // The list is exact: a public route missing from it, or a listed route that asks for credentials
    // (or no longer exists), fails here.
    expect([...new Set(open.map((key) => key.replace(/^HEAD /, 'GET ')))].sort()).toEqual([...PUBLIC].sort());
  });

  it('a client token opens no service route, the webhook, nor the database webhook', async () => {
    const { client_token } = await submitApplication(t);
    const notForClients = routeList(t.app).filter(
      (r) => !isPublic(r.key) && r.route.config?.access !== 'client',
    );
    expect(notForClients.length).toBeGreaterThan(40);
    const before = await databaseState();
    const wrong: string[] = [];
    for (const r of notForClients) {
      for (const headers of [bearer(client_token), { 'x-api-key': client_token }]) {
        const res = await send(r.method, r.url, headers);
        if (res.statusCode !== 401) wrong.push(`${r.key}: ${res.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(fingerprintDiff(before, await databaseState())).toEqual([]);
  });

  it('the Telegram webhook takes its secret header only: not the service key, not a wrong secret', async () => {
    const someone = { id: 9_400_001, first_name: 'Вебхук' };
    const update = (secret: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/telegram/webhook',
        headers: secret,
        payload: textMessage(someone, '/start'),
      });
    const refused: Record<string, string>[] = [
      {},
      { 'x-api-key': TEST_API_KEY },
      bearer(TEST_API_KEY),
      { 'x-telegram-bot-api-secret-token': `${WEBHOOK_SECRET}x` },
      { 'x-telegram-bot-api-secret-token': '' },
    ];
    for (const headers of refused) {
      const res = await update(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
    }
    expect(await outboxTo(t, someone.id)).toEqual([]);
    // The control: with its secret the same update is taken and answered.
    const taken = await update({ 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET });
    expect(taken.statusCode, taken.body).toBe(200);
    expect(await outboxTo(t, someone.id)).toHaveLength(1);
  });
});

describe('API2 authentication: login codes and client tokens', () => {
  let nextTelegramId = 6_600_000;
  // Wrong tries count per requester (the client's address): each guesser below has addresses of its own.
  let nextAddress = 1;
  const address = () => `10.2.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;
  const verify = (telegramId: string, code: string, from: string) => verifyCode(t, telegramId, code, from);
  /** Asks for a code for a new Telegram id and reads it from the message queued to that chat. */
  async function codeFor(): Promise<{ telegramId: string; code: string }> {
    const telegramId = String(nextTelegramId++);
    const res = await t.app.inject({
      method: 'POST',
      url: '/request-code',
      payload: { telegram_id: telegramId },
    });
    expect(res.statusCode, res.body).toBe(200);
    return { telegramId, code: await lastCode(t, telegramId) };
  }
  const other = (code: string, n: number) => String((Number(code) + n) % 1_000_000).padStart(6, '0');
  const triesOf = async (telegramId: string) =>
    (
      await t.deps.db
        .selectFrom('verification_codes')
        .select('attempts')
        .where('telegram_id', '=', telegramId)
        .executeTakeFirstOrThrow()
    ).attempts;

  it('brute force of a code stops after 5 tries of a requester and 30 of everyone, also when the guesses come all at once', async () => {
    // Four wrong tries leave the code usable: the limit is five, not fewer.
    const four = await codeFor();
    const patient = address();
    for (let i = 1; i <= 4; i++)
      expect((await verify(four.telegramId, other(four.code, i), patient)).json().verified).toBe(false);
    expect((await verify(four.telegramId, four.code, patient)).json()).toMatchObject({ verified: true });

    // The fifth wrong try spends the requester's tries: the right code is refused to them after it.
    const five = await codeFor();
    const guesser = address();
    for (let i = 1; i <= 5; i++)
      expect((await verify(five.telegramId, other(five.code, i), guesser)).json().verified).toBe(false);
    const late = await verify(five.telegramId, five.code, guesser);
    expect(late.json()).toEqual({ success: true, verified: false });
    expect(await triesOf(five.telegramId)).toBe(5);

    // 60 different guesses at once from one requester, the right one among the last: the tries are counted
    // one by one under the code's row lock, so 5 are used and the requester's tries are spent before the
    // right one is looked at.
    const storm = await codeFor();
    const stormer = address();
    const guesses = Array.from({ length: 59 }, (_, i) => other(storm.code, i + 1));
    const answers = await Promise.all(
      [...guesses, storm.code].map((code) => verify(storm.telegramId, code, stormer)),
    );
    const tokens = answers.filter((a) => a.statusCode === 200 && a.json().verified === true);
    expect(answers.filter((a) => a.statusCode !== 200 && a.statusCode !== 429)).toEqual([]);
    // The right code may be among the first five tries that reach the database, but then it is the only
    // one that gets in: never more than one token, never a token after five wrong tries.
    expect(tokens.length).toBeLessThanOrEqual(1);
    expect(await triesOf(storm.telegramId)).toBeLessThanOrEqual(5);
    if (tokens.length === 0) expect(await triesOf(storm.telegramId)).toBe(5);
    const after = await verify(storm.telegramId, storm.code, stormer);
    expect(after.statusCode === 429 || after.json().verified === false).toBe(true);

    // The same storm spread over 60 addresses: each requester has its own five, but the code takes 30
    // wrong tries from everyone together and is dead after them.
    const spread = await codeFor();
    const spreadAnswers = await Promise.all(
      [...Array.from({ length: 59 }, (_, i) => other(spread.code, i + 1)), spread.code].map((code) =>
        verify(spread.telegramId, code, address()),
      ),
    );
    expect(spreadAnswers.filter((a) => a.statusCode !== 200)).toEqual([]);
    const spreadTokens = spreadAnswers.filter((a) => a.json().verified === true);
    expect(spreadTokens.length).toBeLessThanOrEqual(1);
    expect(await triesOf(spread.telegramId)).toBeLessThanOrEqual(30);
    if (spreadTokens.length === 0) {
      expect(await triesOf(spread.telegramId)).toBe(30);
      // Dead for everyone: a fresh requester with the right code is refused too.
      expect((await verify(spread.telegramId, spread.code, address())).json()).toEqual({
        success: true,
        verified: false,
      });
    }
  });

  it('refuses forged, tampered and expired client tokens with 401 on every client route, changing nothing', async () => {
    const own = await submitApplication(t);
    const another = await submitApplication(t);
    const anotherClient = await clientIdOf(another.lead_number);
    const [header, body, signature] = own.client_token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ typ: 'client', tkt: own.ticket_id, sub: expect.any(String) });
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const sign = (payload: Record<string, unknown>, secret = TEST_JWT_SECRET, alg = 'HS256') =>
      new SignJWT(payload).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
    const { tkt: _tkt, ...wholeClient } = claims;
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('A') ? 'B' : 'A'}${signature.at(-1)}`;
    const forged: Record<string, string> = {
      'a changed signature': `${header}.${body}.${flipped}`,
      'no signature': `${header}.${body}.`,
      'alg none': `${encode({ alg: 'none', typ: 'JWT' })}.${body}.`,
      'alg none with the genuine signature': `${encode({ alg: 'none' })}.${body}.${signature}`,
      'HS512 under the right secret': await sign(claims, TEST_JWT_SECRET, 'HS512'),
      'signed with another secret': await sign(claims, 'another-secret-0123456789abcdefgh'),
      'signed with the service key': await sign(claims, TEST_API_KEY),
      'expired a second ago': await sign({ ...claims, iat: now - 3600, exp: now - 1 }),
      'without an expiry': await sign({ typ: 'client', sub: claims.sub, tkt: claims.tkt, iat: now }),
      'not a client token': await sign({ sub: claims.sub, tkt: claims.tkt, iat: now, exp: now + 3600 }),
      'the ticket claim changed to another ticket': `${header}.${encode({ ...claims, tkt: another.ticket_id })}.${signature}`,
      'the ticket claim removed': `${header}.${encode(wholeClient)}.${signature}`,
      'the subject changed': `${header}.${encode({ ...claims, sub: anotherClient })}.${signature}`,
      'the expiry pushed back': `${header}.${encode({ ...claims, exp: Number(claims.exp) + 365 * 86_400 })}.${signature}`,
      'not a token at all': 'not.a.token',
    };
    const routes = routeList(t.app).filter((r) => r.route.config?.access === 'client' && r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(7);
    // A public route that reads a ticket refuses bad credentials too, rather than answering anonymously.
    const targets = [
      ...routes.map((r) => ({ method: r.method, url: r.url })),
      { method: 'GET', url: `/get-ticket-info?ticket_id=${own.ticket_id}` },
    ];
    const before = await databaseState();
    const accepted: string[] = [];
    for (const [how, token] of Object.entries(forged)) {
      for (const { method, url } of targets) {
        const res = await t.app.inject({
          method: method as 'GET',
          url,
          headers: bearer(token),
          ...(method === 'GET' ? {} : { payload: { ticket_id: own.ticket_id } }),
        });
        if (res.statusCode !== 401) accepted.push(`${how} → ${method} ${url}: ${res.statusCode}`);
      }
    }
    expect(accepted).toEqual([]);
    // The genuine token past its 30 days.
    t.clock.advance(30 * 86_400_000 + 1000);
    try {
      const expired = await t.app.inject({
        url: `/get-ticket-info?ticket_id=${own.ticket_id}`,
        headers: bearer(own.client_token),
      });
      expect(expired.statusCode).toBe(401);
    } finally {
      t.clock.advance(-(30 * 86_400_000 + 1000));
    }
    expect(fingerprintDiff(before, await databaseState())).toEqual([]);
    // The control: the genuine token opens its own ticket, with its personal fields.
    const genuine = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${own.ticket_id}`,
      headers: bearer(own.client_token),
    });
    expect(genuine.statusCode, genuine.body).toBe(200);
    expect(genuine.json().ticket.client_name).toBe('Мария');
  });
});

describe('API6 sensitive business flows: submissions and code requests per IP', () => {
  let n = 0;
  /** Each flow: a fresh valid request, and what one accepted request leaves in the database. */
  const flows = [
    {
      url: '/submit-application',
      body: () => ({ name: 'Мария', age: 30, contact: { type: 'telegram', value: `@api6_user${++n}` } }),
      stored: (s: TestApp) => s.deps.db.selectFrom('hraniteli_tickets').select('ticket_id').execute(),
    },
    {
      url: '/tilda-zayavka',
      body: () => ({
        ticket_id: `api6f${++n}`,
        name: 'Мария',
        age: '30',
        contactType: 'Telegram',
        contact: `@api6_form${n}`,
        questions: ['тревога'],
      }),
      stored: (s: TestApp) => s.deps.db.selectFrom('hraniteli_tickets').select('ticket_id').execute(),
    },
    {
      url: '/request-code',
      body: () => ({ telegram_id: String(6_700_000 + ++n) }),
      stored: (s: TestApp) => s.deps.db.selectFrom('verification_codes').select('telegram_id').execute(),
    },
  ];

  it.each(flows.map((f) => [f.url, f] as const))(
    '30 from one IP in a minute on %s with the default limit: 429 from the 21st, with Retry-After, storing nothing',
    async (_url, flow) => {
      // An empty RATE_LIMIT_SUBMIT is unset: the default limit applies.
      await withTestApp({ RATE_LIMIT_SUBMIT: '' }, async (limited) => {
        expect(limited.deps.config.rateLimitSubmit).toBe(20);
        const statuses: number[] = [];
        let storedAfter20 = 0;
        for (let i = 1; i <= 30; i++) {
          const res = await limited.app.inject({
            method: 'POST',
            url: flow.url,
            remoteAddress: '203.0.113.7',
            payload: flow.body(),
          });
          statuses.push(res.statusCode);
          if (i === 20) storedAfter20 = (await flow.stored(limited)).length;
          if (i > 20) {
            expect(res.statusCode, res.body).toBe(429);
            const retryAfter = Number(res.headers['retry-after']);
            expect(retryAfter).toBeGreaterThan(0);
            expect(retryAfter).toBeLessThanOrEqual(60);
            expect(res.json().error.type).toBe('rate_limited');
          }
        }
        expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
        expect(storedAfter20).toBe(20);
        expect((await flow.stored(limited)).length).toBe(20);
        // Another address still gets through; the service key is never limited.
        const elsewhere = await limited.app.inject({
          method: 'POST',
          url: flow.url,
          remoteAddress: '203.0.113.8',
          payload: flow.body(),
        });
        expect(elsewhere.statusCode, elsewhere.body).toBe(200);
        const service = await limited.admin({
          method: 'POST',
          url: flow.url,
          remoteAddress: '203.0.113.7',
          payload: flow.body(),
        });
        expect(service.statusCode, service.body).toBe(200);
      });
    },
  );
});

describe('API8 security misconfiguration: headers and CORS on every route', () => {
  /** What helmet sets (contentSecurityPolicy is off: the API serves JSON, the docs page needs its scripts). */
  const SECURITY_HEADERS: Record<string, string | RegExp> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'strict-transport-security': /^max-age=\d+/,
    'referrer-policy': 'no-referrer',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-permitted-cross-domain-policies': 'none',
    'cross-origin-opener-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'x-xss-protection': '0',
  };
  const missingHeaders = (res: { headers: Record<string, unknown> }) => [
    ...Object.entries(SECURITY_HEADERS).flatMap(([name, want]) => {
      const got = res.headers[name];
      const ok = typeof want === 'string' ? got === want : typeof got === 'string' && want.test(got);
      return ok ? [] : [`${name}: ${String(got)}`];
    }),
    ...(res.headers['x-powered-by'] ? ['x-powered-by is sent'] : []),
  ];

  it('sends the security headers on every answer: each route, errors, refusals and the router’s own', async () => {
    const problems: string[] = [];
    const check = (what: string, res: { headers: Record<string, unknown> }) => {
      for (const p of missingHeaders(res)) problems.push(`${what}: ${p}`);
    };
    for (const r of routeList(t.app)) {
      const url = r.url.replace(/:\w+/g, '1234567').replace('*', 'index.css');
      const payload = ['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(r.method) ? {} : { payload: {} };
      check(`${r.key} anonymous`, await t.app.inject({ method: r.method as 'GET', url, ...payload }));
      check(`${r.key} with the key`, await t.admin({ method: r.method as 'GET', url, ...payload }));
    }
    const odd: [string, InjectOptions][] = [
      ['an unknown route', { url: '/no-such-route' }],
      ['a malformed path', { url: '/get-ticket-info/%zz' }],
      [
        'a body over 1 MiB',
        {
          method: 'POST',
          url: '/submit-application',
          headers: { 'content-type': 'application/json' },
          payload: `{"name":"${'x'.repeat(1024 * 1024)}"}`,
        },
      ],
      [
        'malformed JSON',
        {
          method: 'POST',
          url: '/submit-application',
          headers: { 'content-type': 'application/json' },
          payload: '{',
        },
      ],
      [
        'an unsupported type',
        {
          method: 'POST',
          url: '/submit-application',
          headers: { 'content-type': 'text/xml' },
          payload: '<a/>',
        },
      ],
    ];
    for (const [what, options] of odd) {
      const res = await t.app.inject(options);
      expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
      check(what, res);
    }
    expect(problems).toEqual([]);
  });

  it('a rate-limited answer carries them too', async () => {
    await withTestApp({ RATE_LIMIT_PUBLIC: '1' }, async (limited) => {
      await limited.app.inject({ url: '/get-available-slots' });
      const refused = await limited.app.inject({ url: '/get-available-slots' });
      expect(refused.statusCode).toBe(429);
      expect(missingHeaders(refused)).toEqual([]);
    });
  });

  const preflight = (app: TestApp['app'], url: string, method: string, origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: url.replace(/:\w+/g, '1234567'),
      headers: { origin, 'access-control-request-method': method },
    });

  it('without CORS_ORIGINS, a foreign page may call the public routes only: preflights of every route', async () => {
    const wrong: string[] = [];
    for (const r of routeList(t.app).filter((r) => !['HEAD', 'OPTIONS'].includes(r.method))) {
      if (r.url.startsWith('/docs') || r.url === '/openapi.json') continue;
      const res = await preflight(t.app, r.url, r.method, 'https://elsewhere.example');
      const allowed = res.headers['access-control-allow-origin'];
      const publicRoute = r.route.config?.access === 'public';
      if (publicRoute ? allowed !== '*' : allowed !== undefined)
        wrong.push(`${r.key} (${r.route.config?.access ?? 'own check'}): ${String(allowed)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('with CORS_ORIGINS, the listed origins reach every route and any other origin none', async () => {
    await withTestApp({ CORS_ORIGINS: 'https://ops.example,https://forms.example' }, async (listed) => {
      const wrong: string[] = [];
      for (const r of routeList(listed.app).filter((r) => !['HEAD', 'OPTIONS'].includes(r.method))) {
        for (const origin of ['https://ops.example', 'https://forms.example']) {
          const res = await preflight(listed.app, r.url, r.method, origin);
          if (res.headers['access-control-allow-origin'] !== origin) wrong.push(`${r.key} from ${origin}`);
        }
        for (const origin of ['https://evil.example', 'https://ops.example.evil.example', 'null']) {
          const res = await preflight(listed.app, r.url, r.method, origin);
          if (res.headers['access-control-allow-origin'] !== undefined) wrong.push(`${r.key} from ${origin}`);
        }
      }
      expect(wrong).toEqual([]);
      // An actual answer, not only the preflight, names no foreign origin.
      const answer = await listed.app.inject({
        url: '/get-available-slots',
        headers: { origin: 'https://evil.example' },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('API9 improper inventory management: the OpenAPI document against the registered routes', () => {
  it('documents every registered route and nothing that is not registered', async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(spec.paths)
      .flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
      )
      .sort();
    // The document itself is the one route it does not describe.
    const registered = t.app.apiRoutes.filter((r) => r !== 'GET /openapi.json').sort();
    expect(registered).toContain('POST /telegram/webhook');
    expect(registered).toContain('GET /metrics');
    expect(registered.length).toBeGreaterThan(60);
    expect(documented.filter((r) => !registered.includes(r))).toEqual([]);
    expect(registered.filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented).toEqual(registered);
  });
});

describe('API3 object property level authorization: public answers carry no personal fields', () => {
  it('every public route, asked anonymously about a known person, shows nothing personal of theirs', async () => {
    const p = await createPsychologist(t, {
      name: 'Полина Публичная',
      telegram_id: '6960',
      queries: ['Тревога'],
    });
    const slots = await addSlots(t, p.id, ['11.12 10:00', '11.12 11:00', '11.12 12:00', '11.12 13:00']);
    const victim = {
      name: 'Виктория Тайнова',
      handle: 'api3_victim_handle',
      phone: '+7 916 333-22-11',
      email: 'api3.victim@example.org',
      request: 'тайный запрос про бессонницу',
      telegramId: '771234567890',
      formId: 'api3vic',
    };
    const asVictim = { remoteAddress: '198.51.100.1', headers: { 'user-agent': 'VictimBrowser/1.0' } };
    const post = (url: string, payload: object, from = asVictim, method: 'POST' | 'PUT' = 'POST') =>
      t.app.inject({ method, url, payload, ...from });

    // The person, through every door that stores something about them.
    const diagnostic = await post('/diagnostic-session-request', {
      client_name: victim.name,
      client_phone: victim.phone,
      client_telegram: `@${victim.handle}`,
      client_email: victim.email,
      request_text: victim.request,
    });
    expect(diagnostic.statusCode, diagnostic.body).toBe(200);
    const { ticket_id: ticketId, lead_number: lead } = diagnostic.json() as Record<string, string>;
    const linked = await t.admin({
      method: 'POST',
      url: '/process-link',
      payload: { user_id: victim.telegramId, ticket_id: ticketId, username: victim.handle },
    });
    expect(linked.statusCode, linked.body).toBe(200);
    const booked = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slots[0]!.id, lead_number: lead, ticket_id: ticketId },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    for (const [url, body, method] of [
      ['/init-form-tracking', { ticket_id: victim.formId, form_type: 'application' }, 'POST'],
      ['/step-analytics', { ticketID: victim.formId, field: 'psy_queries', value: victim.request }, 'PUT'],
      ['/update-analytics-before-slots', { ticket_id: victim.formId, name: victim.name }, 'PUT'],
    ] as const) {
      const res = await post(url, body, asVictim, method);
      expect(res.statusCode, `${url} ${res.body}`).toBe(200);
    }
    const form = await post('/tilda-zayavka', {
      ticket_id: victim.formId,
      name: victim.name,
      age: '31',
      contactType: 'Telegram',
      contact: `@${victim.handle}`,
      questions: [victim.request],
      selectedPsychologistsNames: [p.name],
      slots: [`${slots[1]!.date} ${slots[1]!.time}`],
    });
    expect(form.statusCode, form.body).toBe(200);
    expect(form.json().booked).toBe(true);
    const research = await post('/research-tilda-zayavka', { city: 'Москва', occupation: 'работаю' });
    expect(research.statusCode, research.body).toBe(200);
    const { rowId, baserowId } = research.json() as { rowId: number; baserowId: number };
    const contacts = await post(
      '/update-contacts-stb',
      {
        rid: rowId,
        bid: baserowId,
        contact: `@${victim.handle}`,
        contactType: 'Telegram',
        name: victim.name,
      },
      asVictim,
      'PUT',
    );
    expect(contacts.statusCode, contacts.body).toBe(200);
    // Their helping-hand request, allotted: the confirm link is what the confirm page's routes take.
    const helper = await createPsychologist(t, { name: 'Фаина Помогающая', help_hand: true });
    const helperSlots = await addSlots(t, helper.id, ['12.12 10:00', '12.12 11:00']);
    const helpHand = await post('/register-ticket-for-help-hand', {
      ticket_id: 'hh_api3v',
      name: victim.name,
      age: '31',
      contactType: 'Telegram',
      contact: `@${victim.handle}`,
      questions: [victim.request],
      categoryType: 'Бесплатно',
    });
    expect(helpHand.statusCode, helpHand.body).toBe(200);
    const allotted = await t.admin({
      method: 'PATCH',
      url: `/admin/tickets/${helpHand.json().ticket_id}`,
      payload: { psychologist: helper.name },
    });
    expect(allotted.statusCode, allotted.body).toBe(200);
    const link = new URL(allotted.json().confirm_url as string).searchParams.get('ticket_id')!;

    // Someone else, from another address, naming the person's objects wherever a route takes one.
    const asOther = { remoteAddress: '198.51.100.66', headers: { 'user-agent': 'Other/2.0' } };
    const ownResearch = await post('/research-tilda-zayavka', { city: 'Тверь' }, asOther);
    const own = ownResearch.json() as { rowId: number; baserowId: number };
    const schedule = { startDate: '2026-12-07', endDate: '2026-12-31', ticket_id: victim.formId };
    const impostor = {
      name: 'Самозванец',
      age: 30,
      contact: { type: 'telegram', value: `@${victim.handle}` },
    };
    const webForm = {
      ticket_id: victim.formId,
      name: 'Самозванец',
      age: '30',
      contactType: 'Telegram',
      contact: '@other_one',
    };
    const examples: Record<string, [string, InjectOptions][]> = {
      'GET /get-available-slots': [
        ['all', { url: '/get-available-slots' }],
        ['one psychologist', { url: `/get-available-slots?psychologist=${encodeURIComponent(p.name)}` }],
      ],
      'GET /get-schedule': [['', { url: `/get-schedule?psychologist=${encodeURIComponent(p.name)}` }]],
      'GET /get-ticket-info': [
        ['by ticket', { url: `/get-ticket-info?ticket_id=${ticketId}` }],
        ['by the form’s id', { url: `/get-ticket-info?ticket_id=${victim.formId}` }],
        ['the stored record', { url: `/get-ticket-info?client_id=${lead}&link_id=${ticketId}` }],
      ],
      'POST /submit-application': [
        ['their handle', { method: 'POST', url: '/submit-application', payload: impostor }],
      ],
      'POST /register-ticket-for-help-hand': [
        [
          'their handle',
          {
            method: 'POST',
            url: '/register-ticket-for-help-hand',
            payload: { ...impostor, price_session: 'free' },
          },
        ],
      ],
      'POST /diagnostic-session-request': [
        [
          'their handle and phone',
          {
            method: 'POST',
            url: '/diagnostic-session-request',
            payload: {
              client_name: 'Самозванец',
              client_telegram: `@${victim.handle}`,
              client_phone: victim.phone,
              request_text: 'x',
            },
          },
        ],
      ],
      'POST /request-code': [
        ['their chat', { method: 'POST', url: '/request-code', payload: { telegram_id: victim.telegramId } }],
      ],
      'POST /verify-code': [
        [
          'their chat',
          {
            method: 'POST',
            url: '/verify-code',
            payload: { telegram_id: victim.telegramId, code: '000000' },
          },
        ],
      ],
      'POST /init-form-tracking': [
        [
          'their form',
          {
            method: 'POST',
            url: '/init-form-tracking',
            payload: { ticket_id: victim.formId, form_type: 'application' },
          },
        ],
      ],
      'PUT /update-tracking-step': [
        [
          'their form',
          {
            method: 'PUT',
            url: '/update-tracking-step',
            payload: { ticket_id: victim.formId, step: 'Возраст клиента' },
          },
        ],
      ],
      'PUT /update-analytics-before-slots': [
        [
          'their form',
          { method: 'PUT', url: '/update-analytics-before-slots', payload: { ticket_id: victim.formId } },
        ],
      ],
      'PUT /step-analytics': [
        [
          'their form',
          {
            method: 'PUT',
            url: '/step-analytics',
            payload: { ticketID: victim.formId, field: 'client_age', value: '30' },
          },
        ],
      ],
      'POST /research-tilda-zayavka': [
        ['', { method: 'POST', url: '/research-tilda-zayavka', payload: { city: 'Тверь' } }],
      ],
      'GET /get-sheets-row-number': [['', { url: '/get-sheets-row-number' }]],
      'PUT /update-contacts-stb': [
        [
          'its own row',
          {
            method: 'PUT',
            url: '/update-contacts-stb',
            payload: { rid: own.rowId, bid: own.baserowId, name: 'Другой' },
          },
        ],
      ],
      'POST /tilda-zayavka': [
        ['their form’s id', { method: 'POST', url: '/tilda-zayavka', payload: webForm }],
      ],
      'POST /tilda-zayavka-diagnostic-v2': [
        ['their form’s id', { method: 'POST', url: '/tilda-zayavka-diagnostic-v2', payload: webForm }],
      ],
      'POST /tilda-zayavka-diagnostic': [
        ['their form’s id', { method: 'POST', url: '/tilda-zayavka-diagnostic', payload: webForm }],
      ],
      'POST /convert-schedule-timezone/:offset': [
        ['', { method: 'POST', url: '/convert-schedule-timezone/0', payload: schedule }],
      ],
      'GET /cards': [['', { url: '/cards' }]],
      'GET /edu-keys-pipeline-batch': [['', { url: '/edu-keys-pipeline-batch' }]],
      'GET /check-allotment-for-slot-confirmation': [
        ['their confirm link', { url: `/check-allotment-for-slot-confirmation?ticket_id=${link}` }],
      ],
      'POST /get-agregated-schedule-helpful-hand': [
        [
          'their confirm link',
          {
            method: 'POST',
            url: '/get-agregated-schedule-helpful-hand',
            payload: { ...schedule, ticket_id: link, utm_psy: helper.name },
          },
        ],
      ],
      'POST /helpful-hand-zayavka-new': [
        [
          'their confirm link',
          {
            method: 'POST',
            url: '/helpful-hand-zayavka-new',
            payload: { ticket_id: link, utm_psy: helper.name, slots_objects: [helperSlots[1]!.id] },
          },
        ],
      ],
    };
    for (const url of [
      '/get-agregated-schedule-v2',
      '/get-agregated-schedule-cards',
      '/schedule-diagnosis-v2',
      '/get-aggregated-all',
    ])
      examples[`POST ${url}`] = [
        ['their form’s id', { method: 'POST', url, payload: schedule }],
        ['one psychologist', { method: 'POST', url, payload: { ...schedule, show_only_psy: p.name } }],
      ];

    // The survey and calendar pages: Polina's calendar shows the victim's session as a booked slot only.
    const surveyBody = {
      title: 'Анкета',
      content: [
        { step_id: 'a', step_name: 'Вопрос', step_type: 'single', step_items: [{ title: 'Да', coins: 1 }] },
      ],
      results: [{ from: 0, title: 'Итог', description: 'Описание' }],
    };
    expect(
      (await t.admin({ method: 'PUT', url: '/admin/surveys/api3', payload: surveyBody })).statusCode,
    ).toBe(200);
    const calendar = await t.admin({ method: 'POST', url: `/admin/psychologists/${p.id}/calendar-secret` });
    const token = calendar.json().secret as string;
    const meeting = await t.admin({
      method: 'POST',
      url: '/admin/events',
      payload: {
        title: 'Интервизия API3',
        event_type: 'интервизия',
        event_modal_type: 'общие',
        max_participants: 5,
        date: '2026-12-12',
        time: '19:00',
      },
    });
    expect(meeting.statusCode, meeting.body).toBe(201);
    examples['GET /get-survey'] = [['', { url: '/get-survey?slug=api3' }]];
    examples['GET /check-fill-survey'] = [['', { url: '/check-fill-survey?slug=api3' }]];
    examples['GET /get-all-events'] = [
      ['their psychologist’s token', { url: `/get-all-events?secret=${token}` }],
    ];
    examples['GET /get-slot'] = [
      [
        'their psychologist’s token',
        { url: `/get-slot?startDate=2026-12-07&endDate=2027-01-03&secret=${token}` },
      ],
    ];
    examples['GET /get-psycho'] = [['their psychologist’s token', { url: `/get-psycho?secret=${token}` }]];
    examples['POST /join-to-event'] = [
      [
        'their psychologist’s token',
        {
          method: 'POST',
          url: '/join-to-event',
          payload: { secret: token, date: '2026-12-12', time: '19:00', event: 'Интервизия API3' },
        },
      ],
    ];
    examples['GET /cancel-slot'] = [
      [
        'their psychologist’s token',
        { url: `/cancel-slot?slot=${slots[0]!.id.replace(/.$/, '0')}&secret=${token}` },
      ],
    ];

    const publicRoutes = routeList(t.app)
      .filter((r) => r.route.config?.access === 'public' && r.method !== 'HEAD')
      .map((r) => r.key);
    expect(
      publicRoutes.filter((key) => !examples[key]),
      'public routes without an example here',
    ).toEqual([]);
    expect(Object.keys(examples).filter((key) => !publicRoutes.includes(key))).toEqual([]);

    const personal = [
      ...victim.name.split(' '),
      victim.handle,
      '9163332211',
      '333-22-11',
      victim.email,
      'бессонниц',
      victim.telegramId,
    ];
    const leaks: string[] = [];
    let answers = 0;
    for (const [key, variants] of Object.entries(examples)) {
      for (const [what, options] of variants) {
        const res = await t.app.inject({ ...options, ...asOther });
        expect(res.statusCode, `${key} ${what}: ${res.body.slice(0, 300)}`).toBe(200);
        answers++;
        // What the caller typed may come back to them; nothing else of the person may.
        const sent = `${decodeURIComponent(options.url as string)} ${JSON.stringify(options.payload ?? '')}`;
        for (const value of personal)
          if (!sent.includes(value) && res.body.includes(value)) leaks.push(`${key} (${what}): ${value}`);
      }
    }
    expect(answers).toBeGreaterThan(30);
    expect(leaks).toEqual([]);

    // The ticket as a public page sees it: there, with every personal field null.
    for (const [ref, id] of [
      [ticketId, ticketId],
      [victim.formId, form.json().ticket_id as string],
    ]) {
      const info = await t.app.inject({ url: `/get-ticket-info?ticket_id=${ref}`, ...asOther });
      expect(info.json().ticket).toMatchObject({
        id,
        client_name: null,
        client_phone: null,
        client_telegram: null,
        client_email: null,
        request_text: null,
        psychologist_name: p.name,
      });
    }
    // The control: the service sees the same ticket with the person's fields.
    const full = await t.admin({ url: `/get-ticket-info?ticket_id=${ticketId}` });
    expect(full.json().ticket).toMatchObject({ client_name: victim.name, client_email: victim.email });
  });
});

/** Answers no outside API sends: what API10 feeds the service from the fake Zoom, Google and Telegram. */
const GARBAGE: Record<string, string> = {
  'an HTML page': '<html><body><h1>502 Bad Gateway</h1></body></html>',
  'broken JSON': '{"id": 81000000001, "join_url": ',
  'another shape': '{"meetings": "none", "items": 7, "ok": "yes", "result": [1]}',
  'a JSON array': '[1, 2, 3]',
  null: 'null',
  'an empty body': '',
};
const MIB = 1024 * 1024;

describe('API10 unsafe consumption: Zoom and Google answering garbage', () => {
  const zoom = new FakeZoom();
  const google = new FakeGoogle();
  let s: TestApp;
  let psychologist: string;
  let hour = 8;

  beforeAll(async () => {
    await Promise.all([zoom.start(), google.start()]);
    s = await createTestApp({ ...zoom.env(), ...google.env(), VIDEO_TIMEOUT_MS: '1500' });
    psychologist = (await createPsychologist(s, { name: 'Зоя Мусорова', telegram_id: '6980' })).id;
  });
  afterAll(async () => {
    await s.close();
    await Promise.all([zoom.stop(), google.stop()]);
  });

  /** Books the next hour for a new client; the session's id and the client's application. */
  async function book() {
    const [slot] = await addSlots(s, psychologist, [`15.12 ${String(hour++).padStart(2, '0')}:00`]);
    const app = await submitApplication(s);
    const res = await s.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: app.lead_number, ticket_id: app.ticket_id },
    });
    expect(res.statusCode, res.body).toBe(201);
    return { id: res.json().session.id as string, app, start: slot!.start_iso };
  }
  const platformOf = async (id: string) =>
    (
      await s.deps.db
        .selectFrom('hraniteli_sessions')
        .select('meeting_platform')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).meeting_platform;
  /** Warnings and errors logged since `from`, by message. */
  const loggedSince = (from: number) =>
    s.logs.lines.slice(from).flatMap((line) => {
      const entry = JSON.parse(line) as { level: number; msg: string; code?: string; provider?: string };
      return entry.level >= 40
        ? [`${entry.msg}${entry.provider ? ` (${entry.provider}: ${entry.code})` : ''}`]
        : [];
    });

  const videoFaults: [string, Fault][] = [
    ...Object.entries(GARBAGE).map(([what, body]): [string, Fault] => [what, { garbage: body }]),
    ['8 MiB without a length', { stream: 8 * MIB }],
    ['no answer', { hang: true }],
  ];

  it.each(videoFaults)(
    'Zoom and Google answering %s: bookings and cancellations answer at once, the session gets Jitsi, all logged',
    async (_what, fault) => {
      const earlier = await book();
      await expect.poll(() => platformOf(earlier.id), { timeout: 8_000 }).toBe('zoom');
      const from = s.logs.lines.length;
      zoom.failAlways('*', fault);
      google.failAlways('*', fault);
      try {
        const began = Date.now();
        const booked = await book();
        expect(Date.now() - began).toBeLessThan(1_000);
        await expect.poll(() => platformOf(booked.id), { timeout: 10_000 }).toBe('jitsi');
        const bare = await s.admin({
          method: 'POST',
          url: '/generate-conference-link',
          payload: { start: '2026-12-20T10:00:00.000Z' },
        });
        expect(bare.statusCode, bare.body).toBe(200);
        expect(bare.json().platform).toBe('jitsi');
        // The Zoom meeting of the earlier session cannot be deleted: the cancellation does not wait for it.
        const cancelled = await s.app.inject({
          method: 'POST',
          url: '/cancel-session',
          headers: bearer(earlier.app.client_token),
          payload: { ticket_id: earlier.app.ticket_id, cancellation_reason: 'заболела' },
        });
        expect(cancelled.statusCode, cancelled.body).toBe(200);
        const video = (await s.admin({ url: '/admin/video' })).json();
        for (const platform of ['zoom', 'meet'])
          expect(
            video.providers.find((p: { platform: string }) => p.platform === platform).last_error,
            platform,
          ).toMatchObject({
            code: expect.stringMatching(/^(bad_answer|timeout|network|unauthorized)$/),
          });
        await expect
          .poll(() => loggedSince(from).filter((m) => m.startsWith('video provider failed')).length, {
            timeout: 5_000,
          })
          .toBeGreaterThanOrEqual(4);
        expect(loggedSince(from).filter((m) => !m.startsWith('video '))).toEqual([]);
      } finally {
        zoom.clearFaults();
        google.clearFaults();
      }
    },
    30_000,
  );
});

describe('API10 unsafe consumption: Telegram answering garbage', () => {
  const bot = new FakeTelegram();
  let s: TestApp;
  let next = 9_500_000;

  beforeAll(async () => {
    await bot.start();
    s = await createTestApp({ ...botEnv(bot.url), TELEGRAM_TIMEOUT_MS: '1500' });
  });
  afterAll(async () => {
    await s.close();
    await bot.stop();
  });

  /** Each fault, and whether Telegram's answer says the message went ("ok": true with a result). */
  const telegramFaults: [string, TelegramFault, boolean][] = [
    ...Object.entries(GARBAGE).map(([what, body]): [string, TelegramFault, boolean] => [
      what,
      { status: 'garbage', body },
      false,
    ]),
    ['an HTML error page', { status: 'garbage', body: '<html>Bad Gateway</html>', code: 502 }, false],
    ['ok without a result', { status: 'garbage', body: '{"ok":true}' }, false],
    ['a refusal without a code', { status: 'garbage', body: '{"ok":false}' }, false],
    ['8 MiB of a success without a length', { status: 'stream', bytes: 8 * MIB }, false],
    ['no answer', { status: 'hang' }, false],
    ['ok with a result of another shape', { status: 'garbage', body: '{"ok":true,"result":"sent!"}' }, true],
  ];
  /** Warnings and errors logged since `from`, by message. */
  const loggedSince = (from: number) =>
    s.logs.lines.slice(from).flatMap((line) => {
      const entry = JSON.parse(line) as { level: number; msg: string };
      return entry.level >= 40 ? [entry.msg] : [];
    });

  it.each(telegramFaults)(
    'Telegram answering %s: no 5xx, no crash, the message waits, fails or is sent, and an operator sees which',
    async (_what, fault, accepted) => {
      const someone = { id: next++, first_name: 'Вера' };
      const started = await s.app.inject({
        method: 'POST',
        url: '/telegram/webhook',
        headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
        payload: textMessage(someone, '/start'),
      });
      expect(started.statusCode).toBe(200);
      await s.deps.outbox.drain();
      const lead = (
        await s.deps.db
          .selectFrom('hraniteli_clients')
          .select('lead_number')
          .where('telegram_id', '=', String(someone.id))
          .executeTakeFirstOrThrow()
      ).lead_number;
      bot.failNext(fault, 1000);
      const from = s.logs.lines.length;
      try {
        // The relay tries Telegram at once: it answers, delivered or not.
        const relay = await s.admin({
          method: 'POST',
          url: '/send_admin_message_to_user',
          payload: { command: `${lead}: Здравствуйте` },
        });
        expect(relay.statusCode, relay.body).toBe(200);
        expect(relay.json().delivered).toBe(accepted);
        // A button press is answered to Telegram directly: the webhook still answers 200, within the
        // bot's time limit for a call (TELEGRAM_TIMEOUT_MS) however long Telegram keeps silent.
        const began = Date.now();
        const press = await s.app.inject({
          method: 'POST',
          url: '/telegram/webhook',
          headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
          payload: buttonPress(someone, 'forged-button'),
        });
        expect(press.statusCode, press.body).toBe(200);
        expect(Date.now() - began).toBeLessThan(5_000);
        await s.deps.outbox.drain();
        const rows = await s.deps.db
          .selectFrom('outbox')
          .select(['id', 'status', 'last_error', 'telegram_message_id'])
          .where('chat_id', '=', String(someone.id))
          .orderBy('id')
          .execute();
        const relayed = rows.at(-1)!;
        if (accepted) {
          // Sent, without a made-up message id (it was "undefined" once).
          expect(relayed).toMatchObject({ status: 'sent', telegram_message_id: null });
          expect(loggedSince(from)).toContain('telegram accepted a message without its id');
        } else {
          expect(relayed.status, JSON.stringify(relayed)).not.toBe('sent');
          expect(relayed.last_error).toEqual(expect.any(String));
          expect(loggedSince(from)).toContain('outbox message will be retried');
        }
        // The button's notice met the same answer: the bot's failure is logged, the webhook unharmed.
        if (!accepted) expect(loggedSince(from)).toContain('bot handler failed');
        const shown = (await s.admin({ url: `/admin/outbox?chat_id=${someone.id}` })).json().messages;
        expect(shown.find((m: { id: number }) => m.id === relayed.id)).toMatchObject({
          status: relayed.status,
          last_error: relayed.last_error,
        });
      } finally {
        bot.reset();
      }
      // Telegram is back: what waited goes out.
      await s.deps.outbox.drain();
      expect((await s.admin({ url: '/health' })).statusCode).toBe(200);
    },
    30_000,
  );
});
