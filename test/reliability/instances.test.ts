// R3 of quality.md on PostgreSQL: two real service processes (child processes, jobs on, one fake Bot API)
// on one database, and 1 000 sessions whose reminders fall due within a few seconds. Both instances'
// pg-boss workers take the wake-ups planned at booking, and POST /admin/jobs/session-reminders/run is
// called on both at once, twice, while the wake-ups run. The fake Bot API receives each reminder — the
// client's and the psychologist's of each session — exactly once, both instances' outbox senders deliver
// some, and the invariant check passes. The hourly cron tick is not waited for: the wake-ups are the same
// pg-boss work, and a sweep is the same whoever triggers it (src/jobs/scheduler.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { PgBoss } from 'pg-boss';
import type { Database } from '../../src/db/database.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { createTestDatabase, onPostgres } from '../support/database.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { call, killAll, startService, until, type ServiceProcess } from '../support/service-process.ts';

const describeOnPostgres = onPostgres() ? describe : describe.skip;
if (!onPostgres()) console.warn('R3 skipped: TEST_DATABASE_URL is not set (see .ci/run)');

const SESSIONS = 1_000;
const PSYCHOLOGISTS = 100;
/** The reminders' due moments are spread over this many milliseconds. */
const SPREAD_MS = 4_000;
const HOUR = 3_600_000;
const CONCURRENCY = 20;
/**
 * The first reminder falls due this long after the slots are asked for (the rest of the set-up takes 1–2 s;
 * a late set-up only makes the first reminders due at once, which changes nothing).
 */
const DUE_AFTER_MS = 3_000;

interface PlannedSession {
  lead: string;
  ticketId: string;
  chat: string;
  psychologist: { id: string; chat: string };
  startAt: string;
  slotId: string;
}

/** Clients, their booked tickets and pending sessions on the given slots, in one transaction. */
async function bookInBulk(db: Database, sessions: PlannedSession[]): Promise<void> {
  const column = <K extends keyof PlannedSession>(key: K) => sessions.map((s) => s[key]);
  const psychologistIds = sessions.map((s) => s.psychologist.id);
  const prefs = JSON.stringify({ gender: 'any', price_max: 5000, specializations: [] });
  await db.db.transaction().execute(async (trx) => {
    await sql`
      insert into hraniteli_clients
        (lead_number, contact_key, name, age, telegram_id, telegram_username, contact_type, contact_value)
      select x.lead, 'telegram:@r3_' || x.lead, 'Мария', 30, x.chat, 'r3_' || x.lead, 'telegram', '@r3_' || x.lead
      from unnest(${column('lead')}::text[], ${column('chat')}::text[]) as x(lead, chat)`.execute(trx);
    await sql`
      insert into hraniteli_tickets
        (ticket_id, client_id, type, status, preferences, psychologist_id, matched_psychologists)
      select x.ticket_id, c.id, 'application', 'booked', ${prefs}::jsonb, x.psychologist_id,
        array[x.psychologist_id]
      from unnest(${column('ticketId')}::text[], ${column('lead')}::text[], ${psychologistIds}::uuid[])
        as x(ticket_id, lead, psychologist_id)
      join hraniteli_clients c on c.lead_number = x.lead`.execute(trx);
    await sql`
      insert into hraniteli_sessions
        (ticket_id, client_id, psychologist_id, slot_id, kind, status, start_at, duration_minutes,
         payment_amount, payment_status, meeting_link, meeting_platform, meeting_id, remind_at, feedback_due_at)
      select t.ticket_id, t.client_id, s.psychologist_id, s.id, 'diagnostic', 'pending', s.start_at,
        s.duration_minutes, 0, 'pending', 'https://meet.jit.si/hrani-r3-' || t.ticket_id, 'jitsi',
        'hrani-r3-' || t.ticket_id, s.start_at - interval '2 hours',
        s.start_at + (s.duration_minutes + 60) * interval '1 minute'
      from unnest(${column('ticketId')}::text[], ${column('slotId')}::uuid[]) as x(ticket_id, slot_id)
      join hraniteli_tickets t on t.ticket_id = x.ticket_id
      join hraniteli_slots s on s.id = x.slot_id`.execute(trx);
    await sql`
      update hraniteli_slots s set state = 'booked', updated_at = now()
      from hraniteli_sessions x where x.slot_id = s.id and x.status = 'pending'`.execute(trx);
  });
}

/**
 * The wake-ups a booking plans (JobSystem.wake in src/jobs/scheduler.ts: one pg-boss job per session and
 * start, at the reminder's due time), planned by a pg-boss of the test's own that works nothing, as an
 * HTTP-only instance would.
 */
async function planWakeUps(db: Database & { url: string }, expected: number): Promise<void> {
  const rows = await db.db.selectFrom('hraniteli_sessions').select(['id', 'start_at', 'remind_at']).execute();
  const boss = new PgBoss({ connectionString: db.url, schema: 'pgboss', supervise: false, schedule: false });
  boss.on('error', (error) => console.error('pg-boss in the test:', error));
  await boss.start();
  try {
    // The instances' job systems start after they answer; the queue is theirs to create.
    await until(
      'the instances created the job queues',
      async () => (await boss.getQueue('session-reminders')) !== null,
    );
    await inParallel(rows, async (row) => {
      const key = `remind:${row.id}:${row.start_at.toISOString()}`;
      await boss.send('session-reminders', { key }, { startAfter: row.remind_at!, singletonKey: key });
    });
  } finally {
    await boss.stop({ graceful: false });
  }
  expect(rows).toHaveLength(expected);
}

/** Runs `task` for every item, `CONCURRENCY` at a time; the answers in the items' order. */
async function inParallel<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

describeOnPostgres('R3: two instances, 1 000 reminders due at once', () => {
  const telegram = new FakeTelegram();
  const running: ServiceProcess[] = [];
  let db: Database & { url: string };

  beforeAll(async () => {
    await telegram.start();
    db = (await createTestDatabase()) as Database & { url: string };
  });
  afterAll(async () => {
    try {
      await killAll(running);
    } finally {
      await db?.close();
      await telegram.stop();
    }
  });

  it('delivers each reminder exactly once, from both instances', async () => {
    const startedAt = Date.now();
    // Each instance has a token of its own only so that the fake can tell who sent what.
    const tokens = ['100001:instance-a', '100002:instance-b'];
    const workers = await Promise.all(
      tokens.map((token) =>
        startService({
          DATABASE_URL: db.url,
          JOBS: 'on',
          TELEGRAM_BOT_TOKEN: token,
          TELEGRAM_API_ROOT: telegram.url,
          // Webhook mode: no long polling against the fake, which does not answer getUpdates.
          TELEGRAM_WEBHOOK_SECRET: 'reliability-webhook-secret',
        }),
      ),
    );
    running.push(...workers);
    const [a, b] = workers as [ServiceProcess, ServiceProcess];

    // Psychologists and slots through the admin API; the 1 000 clients, tickets and sessions by one
    // set-based insert (as bench/dataset.ts does), since entering them through the API took 25 s here:
    // booked tickets of clients who opened the bot, pending sessions with their video links, due times
    // and booked slots, as a booking leaves them.
    const psychologists = await inParallel([...Array(PSYCHOLOGISTS).keys()], async (i) => {
      const made = await call(a, 'POST', '/admin/psychologists', {
        name: `Напоминаева ${i}`,
        sex: 'female',
        min_price: 2000,
        max_price: 4000,
        queries: ['Тревога'],
        telegram_id: String(600_000 + i),
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      return { id: (made.body!.psychologist as { id: string }).id, chat: String(600_000 + i) };
    });
    const dueFrom = Date.now() + DUE_AFTER_MS;
    const sessions = [...Array(SESSIONS).keys()].map((k) => ({
      lead: `rr${String(k).padStart(4, '0')}`,
      ticketId: String(3_000_000 + k),
      chat: String(8_000_000 + k),
      psychologist: psychologists[k % PSYCHOLOGISTS]!,
      startAt: new Date(dueFrom + 2 * HOUR + Math.floor((k * SPREAD_MS) / SESSIONS)).toISOString(),
      slotId: '',
    }));
    await inParallel(psychologists, async (psychologist) => {
      const own = sessions.filter((s) => s.psychologist === psychologist);
      const added = await call(a, 'POST', '/admin/slots', {
        psychologist_id: psychologist.id,
        slots: own.map((s) => s.startAt),
        duration_minutes: 50,
      });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
      const created = added.body!.created as { id: string; start_iso: string }[];
      const byStart = new Map(created.map((slot) => [Date.parse(slot.start_iso), slot.id]));
      for (const session of own) session.slotId = byStart.get(Date.parse(session.startAt))!;
    });
    expect(sessions.filter((s) => !s.slotId)).toEqual([]);
    await bookInBulk(db, sessions);
    expect(await invariantViolations(db.db)).toEqual([]);
    await planWakeUps(db, SESSIONS);
    const bookedAt = Date.now();

    // Both instances sweep at once: the wake-ups as they fall due, and an operator's run on each
    // instance in the middle of the spread and right after it.
    const runs: { instance: string; reminded: number }[] = [];
    const runOnBoth = async () => {
      const answers = await Promise.all(
        workers.map((w) => call(w, 'POST', '/admin/jobs/session-reminders/run', undefined, 60_000)),
      );
      answers.forEach((answer, i) => {
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        expect(answer.body!.status).toBe('ok');
        runs.push({
          instance: i === 0 ? 'a' : 'b',
          reminded: (answer.body!.result as { reminded: number }).reminded,
        });
      });
    };
    await sleepUntil(dueFrom + SPREAD_MS / 2);
    await runOnBoth();
    await sleepUntil(dueFrom + SPREAD_MS + 500);
    await runOnBoth();

    const reminderRows = () =>
      db.db
        .selectFrom('outbox')
        .select(['chat_id', 'text', 'status', 'session_id', 'recipient'])
        .where('dedupe_key', 'like', 'reminder:2h:%')
        .execute();
    await until(
      'every reminder written and marked sent',
      async () => {
        const rows = await reminderRows();
        return rows.length === 2 * SESSIONS && rows.every((r) => r.status === 'sent');
      },
      90_000,
      250,
    );
    const deliveredAt = Date.now();

    // What the fake Bot API received, per (chat, text) and per instance.
    const arrivals = telegram.requests.filter((r) => r.method === 'sendMessage');
    const count = new Map<string, number>();
    for (const r of arrivals) {
      const key = `${String(r.body.chat_id)}\n${String(r.body.text)}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    const rows = await reminderRows();
    const twice = [...count].filter(([, n]) => n > 1).map(([key]) => key.split('\n')[0]);
    expect(twice, 'chats that received one text more than once').toEqual([]);
    for (const row of rows) {
      expect(count.get(`${row.chat_id}\n${row.text}`), `${row.recipient} reminder of ${row.session_id}`).toBe(
        1,
      );
    }
    // Nothing but what the outbox holds as sent reached the fake: every reminder, and any message another
    // job wrote meanwhile.
    const sent = await sql<{
      n: number;
    }>`select count(*)::int as n from outbox where status = 'sent'`.execute(db.db);
    expect(arrivals).toHaveLength(sent.rows[0]!.n);
    expect(rows).toHaveLength(2 * SESSIONS);

    // The same, read from the fake alone: each client's chat got one reminder, and each session's lead
    // number reached its psychologist's chat in one reminder.
    const texts = telegram.textsByChat();
    for (const session of sessions) {
      const toClient = (texts.get(session.chat) ?? []).filter((t) => t.startsWith('Напоминаем'));
      expect(toClient, `client ${session.lead}`).toHaveLength(1);
      const toPsychologist = (texts.get(session.psychologist.chat) ?? []).filter(
        (t) => t.startsWith('Напоминание') && t.includes(`клиент ${session.lead}.`),
      );
      expect(toPsychologist, `psychologist of ${session.lead}`).toHaveLength(1);
    }
    const byInstance = tokens.map((token) => arrivals.filter((r) => r.token === token).length);
    expect(
      byInstance.every((n) => n > 0),
      `messages sent per instance: ${byInstance.join(', ')}`,
    ).toBe(true);

    const reminded = await sql<{ n: number }>`
      select count(*)::int as n from hraniteli_sessions where reminded_at is not null`.execute(db.db);
    expect(reminded.rows[0]!.n).toBe(SESSIONS);
    expect(await invariantViolations(db.db)).toEqual([]);
    // Every wake-up was worked, by one instance or the other, and the operators' view counts the runs.
    const wakeUps = await sql<{ state: string; n: number }>`
      select state, count(*)::int as n from pgboss.job
      where name = 'session-reminders' and singleton_key like 'remind:%' group by state`.execute(db.db);
    expect(wakeUps.rows).toEqual([{ state: 'completed', n: SESSIONS }]);
    const jobs = await call(a, 'GET', '/admin/jobs');
    const job = (jobs.body!.jobs as { name: string; runs: number; failures: number }[]).find(
      (j) => j.name === 'session-reminders',
    )!;
    expect(job.runs).toBeGreaterThan(runs.length);
    expect(job.failures).toBe(0);
    await Promise.all([a.stop(), b.stop()]);
    console.info(
      `R3: set-up ${((bookedAt - startedAt) / 1000).toFixed(1)} s, ` +
        `first reminder due ${((dueFrom - bookedAt) / 1000).toFixed(1)} s after the last booking; ` +
        `operators' runs reminded ${runs.map((r) => `${r.instance}:${r.reminded}`).join(' ')}; ` +
        `${arrivals.length} messages delivered (a ${byInstance[0]}, b ${byInstance[1]}) ` +
        `${((deliveredAt - dueFrom) / 1000).toFixed(1)} s after the first was due`,
    );
  });
});
