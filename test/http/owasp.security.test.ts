// OWASP API Security Top 10 (2023) as generated tests (spec/quality.md "Security"): object-level
// authorization over every client route, SSRF through link fields, list caps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, withTestApp, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { personalDataIn } from '../support/logs.ts';
import { addSlots, bearer, createPsychologist, submitApplication } from '../support/fixtures.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

type Schema = { properties?: Record<string, unknown>; required?: string[] };

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
    // Client B: a ticket with a booked session and a proven Telegram id, and a second ticket.
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
    const b2 = await submitApplication(t, { contact: { type: 'telegram', value: '@owasp_victim' } });
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
    for (const alt of [...((s.anyOf as unknown[]) ?? []), ...((s.oneOf as unknown[]) ?? [])])
      walk(alt, path, visit);
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
});
