// What someone who guesses, replays or steals a calendar token gets (spec/web-form.md A, "The calendar
// token"): tokens are random, stored only as hashes, revoked by rotation and deactivation, refused with one
// body whatever the reason, limited per address, kept out of the logs and of caches; and concurrent joins
// over real HTTP never exceed max_participants.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../../src/db/invariants.ts';
import { createTestApp, withTestApp, type TestApp } from '../support/app.ts';
import { cancelRequest, joinRequest, loadCalendar, viewerName } from '../support/calendar-page.ts';
import { createPsychologist, type PsychologistFixture } from '../support/fixtures.ts';
import { browser, n8n } from '../support/web-form.ts';

let t: TestApp;
let anna: PsychologistFixture;
let secret: string;

async function issue(app: TestApp, id: string) {
  const res = await app.admin({ method: 'POST', url: `/admin/psychologists/${id}/calendar-secret` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { secret: string; calendar_url: string; queued_for_telegram: boolean };
}

async function event(app: TestApp, fields: Record<string, unknown>) {
  const res = await app.admin({
    method: 'POST',
    url: '/admin/events',
    payload: {
      title: 'Интервизия',
      event_type: 'интервизия',
      event_modal_type: 'кпт',
      max_participants: 10,
      date: '2026-12-10',
      time: '19:00',
      ...fields,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().event as { id: string; title: string; date: string; time: string };
}

/** The five calls of the page with a token, as the page sends them. */
function fiveCalls(app: TestApp, token: string, ip?: string) {
  const q = encodeURIComponent(token);
  const client = ip ? { ip } : {};
  return [
    browser(app, 'GET', `${n8n('get-all-events')}?secret=${q}`, undefined, client),
    browser(
      app,
      'GET',
      `${n8n('get-slot')}?startDate=2026-12-07&endDate=2027-01-03&secret=${q}`,
      undefined,
      client,
    ),
    browser(app, 'GET', `${n8n('get-psycho')}?secret=${q}`, undefined, client),
    browser(
      app,
      'POST',
      n8n('join-to-event'),
      { secret: token, date: '2026-12-10', time: '19:00', event: 'Интервизия' },
      client,
    ),
    browser(
      app,
      'GET',
      `${n8n('cancel-slot')}?slot=00000000-0000-4000-8000-000000000000&secret=${q}`,
      undefined,
      client,
    ),
  ];
}

beforeAll(async () => {
  t = await createTestApp();
  anna = await createPsychologist(t, { name: 'Анна Секретная', telegram_id: '8001' });
  secret = (await issue(t, anna.id)).secret;
  await event(t, {});
});
afterAll(async () => {
  expect(await invariantViolations(t.deps.db)).toEqual([]);
  await t.close();
});

describe('the token', () => {
  it('is 256 random bits, URL-safe, stored only as its SHA-256, linked to the page and sent to the psychologist alone', async () => {
    const issued = await issue(t, anna.id);
    expect(issued.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(issued.secret, 'base64url')).toHaveLength(32);
    expect(issued.calendar_url).toBe(`https://hrani.live/calendar?secret=${issued.secret}`);
    expect(issued.queued_for_telegram).toBe(true);
    secret = issued.secret;
    // Nowhere in the database but the message to the psychologist's own chat.
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public'`.execute(t.deps.db);
    const holders: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(
        t.deps.db,
      );
      if (rows.rows.some((r) => r.row.includes(issued.secret))) holders.push(table_name);
    }
    expect(holders).toEqual(['outbox']);
    const link = await t.deps.db
      .selectFrom('outbox')
      .select(['chat_id', 'recipient'])
      .where('text', 'like', `%${issued.secret}%`)
      .execute();
    expect(link).toEqual([{ chat_id: '8001', recipient: 'psychologist' }]);
    const stored = await t.deps.db
      .selectFrom('calendar_secrets')
      .selectAll()
      .where('psychologist_id', '=', anna.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_hash).toBe(createHash('sha256').update(issued.secret).digest('hex'));
    // Two tokens are never alike, and none derives from the psychologist.
    const other = await issue(t, anna.id);
    expect(other.secret).not.toBe(issued.secret);
    secret = other.secret;
  });

  it('refuses empty, missing, malformed, guessed and revoked tokens on all five calls with one 403 body, changing nothing', async () => {
    const old = secret;
    secret = (await issue(t, anna.id)).secret;
    const before = await t.deps.db.selectFrom('event_registrations').selectAll().execute();
    const bodies = new Set<string>();
    const guessed = Buffer.alloc(32, 7).toString('base64url');
    for (const bad of [
      '',
      'short',
      'x'.repeat(300),
      'bad token!',
      guessed,
      old,
      secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'),
    ]) {
      for (const res of await Promise.all(fiveCalls(t, bad))) {
        expect(res.statusCode, `${bad.slice(0, 10)} ${res.body}`).toBe(403);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.json().error.details[0].field).toBe('secret');
        bodies.add(JSON.stringify({ ...res.json() }));
      }
    }
    // Without the parameter at all (the page sends secret= when its URL has none).
    for (const url of ['get-all-events', 'get-psycho'])
      expect((await browser(t, 'GET', n8n(url))).statusCode).toBe(403);
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0]!).error.type).toBe('invalid_secret');
    expect(await t.deps.db.selectFrom('event_registrations').selectAll().execute()).toEqual(before);
    // The valid one still works.
    expect(await viewerName(t, secret)).toBe('Анна Секретная');
  });

  it('stops working when the psychologist is deactivated, and grants nothing beyond the five calls', async () => {
    const boris = await createPsychologist(t, { name: 'Борис Уходящий' });
    const token = (await issue(t, boris.id)).secret;
    expect(await viewerName(t, token)).toBe('Борис Уходящий');
    // Not a client token, not a service key.
    for (const headers of [{ authorization: `Bearer ${token}` }, { 'x-api-key': token }]) {
      expect((await t.app.inject({ url: '/admin/psychologists', headers })).statusCode).toBe(401);
    }
    await t.admin({
      method: 'PATCH',
      url: `/admin/psychologists/${boris.id}`,
      payload: { is_active: false },
    });
    for (const res of await Promise.all(fiveCalls(t, token))) expect(res.statusCode).toBe(403);
  });

  it('answers every call no-store and never writes the token to the log', async () => {
    const responses = [
      ...(await Promise.all(fiveCalls(t, secret))),
      ...Object.values(await loadCalendar(t, secret)),
    ];
    for (const res of responses) expect(res.headers['cache-control'], res.body).toBe('no-store');
    // Errors too, and through every alias.
    const aliased = await browser(t, 'GET', `/webhook/get-psycho-test-contur?secret=${secret}`);
    expect(aliased.statusCode).toBe(200);
    const broken = await browser(t, 'GET', `/get-slot?startDate=nope&endDate=2026-12-01&secret=${secret}`);
    expect(broken.statusCode).toBe(400);
    expect(broken.headers['cache-control']).toBe('no-store');
    const issued = await issue(t, anna.id);
    secret = issued.secret;
    expect(t.logs.text()).not.toContain(secret.slice(0, 20));
    expect(t.logs.text()).not.toContain(issued.secret.slice(0, 20));
    // The request lines are there, with the path alone.
    expect(t.logs.text()).toContain('"path":"/get-psycho"');
  });
});

describe('failed tokens per address', () => {
  it('after the limit, refuses every token from that address for the minute — valid ones too — and not other addresses', async () => {
    await withTestApp({ RATE_LIMIT_SUBMIT: '3' }, async (s) => {
      const p = await createPsychologist(s, { name: 'Вера Лимитная' });
      const token = (await issue(s, p.id)).secret;
      const guesser = '198.51.100.9';
      for (let i = 0; i < 3; i++) {
        const res = await browser(
          s,
          'GET',
          `${n8n('get-psycho')}?secret=${'g'.repeat(43 - String(i).length)}${i}`,
          undefined,
          { ip: guesser },
        );
        expect(res.statusCode).toBe(403);
      }
      const blocked = await browser(s, 'GET', `${n8n('get-psycho')}?secret=${token}`, undefined, {
        ip: guesser,
      });
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      const elsewhere = await browser(s, 'GET', `${n8n('get-psycho')}?secret=${token}`, undefined, {
        ip: '198.51.100.10',
      });
      expect(elsewhere.statusCode).toBe(200);
      s.clock.advance(61_000);
      const later = await browser(s, 'GET', `${n8n('get-psycho')}?secret=${token}`, undefined, {
        ip: guesser,
      });
      expect(later.statusCode).toBe(200);
    });
  });
});

describe('concurrent joins', () => {
  it('20 psychologists joining an event with 10 places over real HTTP at once: exactly 10 registered', async () => {
    const port = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const psychologists: { id: string; token: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const p = await createPsychologist(t, { name: `Психолог Гонки${String(i).padStart(2, '0')}` });
      psychologists.push({ id: p.id, token: (await issue(t, p.id)).secret });
    }
    const full = await event(t, {
      title: 'Лекция на 10 мест',
      event_type: 'лекция',
      date: '2026-12-12',
      time: '12:00',
    });
    const answers = await Promise.all(
      psychologists.map((p) =>
        fetch(`${port}/webhook/join-to-event`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'https://hrani.live' },
          body: JSON.stringify({ secret: p.token, date: full.date, time: full.time, event: full.title }),
        }).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as { id?: string; error?: { type: string } },
        })),
      ),
    );
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(10);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.error?.type)).toEqual(
      Array(10).fill('event_full'),
    );
    expect(new Set(won.map((a) => a.body.id)).size).toBe(10);
    const regs = await t.admin({ url: `/admin/events/${full.id}/registrations` });
    expect(regs.json().registrations).toHaveLength(10);
    expect(regs.json().event.current_participants).toBe(10);
    // And the same ten leaving and ten others joining at once keep the count at ten.
    const winners = psychologists.filter((_, i) => answers[i]!.status === 200);
    const losers = psychologists.filter((_, i) => answers[i]!.status !== 200);
    const second = await Promise.all([
      ...winners.map((p, i) =>
        fetch(`${port}/webhook/cancel-slot?slot=${won[i]!.body.id!}&secret=${p.token}`).then((r) => r.status),
      ),
      ...losers.map((p) =>
        fetch(`${port}/webhook/join-to-event`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ secret: p.token, date: full.date, time: full.time, event: full.title }),
        }).then((r) => r.status),
      ),
    ]);
    expect(second.slice(0, 10)).toEqual(Array(10).fill(200));
    const after = await t.admin({ url: `/admin/events/${full.id}/registrations` });
    expect(after.json().event.current_participants).toBe(after.json().registrations.length);
    expect(after.json().registrations.length).toBeLessThanOrEqual(10);
    expect(await invariantViolations(t.deps.db)).toEqual([]);
  });
});

describe('what the calls show', () => {
  it('get-slot shows only the token’s own psychologist; a join never books another', async () => {
    const other = await createPsychologist(t, { name: 'Галина Чужая' });
    const otherToken = (await issue(t, other.id)).secret;
    const e = await event(t, { title: 'Только своё', date: '2026-12-13' });
    const { id } = (await joinRequest(t, otherToken, e)).json() as { id: string };
    const mine = JSON.stringify((await loadCalendar(t, secret)).slots.json());
    expect(mine).not.toContain(id);
    expect((await cancelRequest(t, secret, id)).statusCode).toBe(403);
  });
});
