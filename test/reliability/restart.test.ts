// R6 of quality.md, on PostgreSQL and on the embedded PGlite folder `npm start` uses, both at once: the
// real service (a child process, jobs on) books sessions whose reminders fall due seconds later — one
// group while it is down, one shortly after it is back — is stopped before any is due and started again;
// SIGTERM in a first round, SIGKILL in a second. The wake-ups are kept by the stopped service's database;
// each runs after the restart and its reminder reaches the fake Bot API exactly once (the client's and
// the psychologist's message), none before; /admin/jobs shows the runs; the invariant check passes.
// Reminders are the delayed jobs whose delay follows from data a test can choose (two hours before the
// session); the others wait minutes or days.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openPglite, type Database } from '../../src/db/database.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { createTestDatabase, onPostgres } from '../support/database.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { call, killAll, startService, until, type ServiceProcess } from '../support/service-process.ts';

const HOUR = 3_600_000;
/** Sessions of each group, each with a psychologist and a client of its own. */
const PER_GROUP = 3;
/** After the slots are entered: the first group falls due while the service is down (it stops ~1.5 s in) … */
const DUE_WHILE_DOWN_MS = 4_000;
/** … the second a few seconds after it answers again (a restart takes 2–8 s here). */
const DUE_AFTER_RESTART_MS = 12_000;

if (!onPostgres()) console.warn('R6 on PostgreSQL skipped: TEST_DATABASE_URL is not set (see .ci/run)');

/** Where a scenario's service keeps its data, and how the test reads it. */
interface Backend {
  env: Record<string, string>;
  /** Runs `read` on the database; the embedded one only while no service holds its folder. */
  read<T>(read: (db: Database['db']) => Promise<T>): Promise<T>;
  /** Whether `read` works while the service runs. */
  shared: boolean;
  remove(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const made = (await createTestDatabase()) as Database & { url: string };
  return {
    env: { DATABASE_URL: made.url },
    read: (read) => read(made.db),
    shared: true,
    remove: () => made.close(),
  };
}

function pgliteBackend(): Backend {
  const dir = mkdtempSync(path.join(tmpdir(), 'hraniteli-r6-'));
  return {
    env: { DATA_DIR: dir, DEMO_DATA: 'off' },
    async read(read) {
      const database = await openPglite({ dataDir: path.join(dir, 'pglite') });
      try {
        return await read(database.db);
      } finally {
        await database.close();
      }
    },
    shared: false,
    async remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const running: ServiceProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  try {
    await killAll(running);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
});

const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

interface JobView {
  name: string;
  runs: number;
  failures: number;
  last_status: string | null;
  last_started_at: string | null;
}

async function remindersJob(proc: ServiceProcess): Promise<JobView> {
  const answer = await call(proc, 'GET', '/admin/jobs');
  expect(answer.status).toBe(200);
  return (answer.body!.jobs as JobView[]).find((j) => j.name === 'session-reminders')!;
}

interface Round {
  proc: ServiceProcess;
  backend: Backend;
  telegram: FakeTelegram;
  service: () => Promise<ServiceProcess>;
  signal: 'SIGTERM' | 'SIGKILL';
  round: number;
}

const isReminder = (text: string) => text.startsWith('Напоминаем') || text.startsWith('Напоминание');

/**
 * Books 2 × PER_GROUP sessions whose reminders fall due DUE_WHILE_DOWN_MS and DUE_AFTER_RESTART_MS later,
 * stops the service with `signal`, starts it again once the first group is due, and checks that every
 * reminder ran once after the restart. Returns the restarted service.
 */
async function restartRound({
  proc,
  backend,
  telegram,
  service,
  signal,
  round,
}: Round): Promise<ServiceProcess> {
  const people = await Promise.all(
    Array.from({ length: 2 * PER_GROUP }, async (_, n) => {
      const i = round * 100 + n;
      const psychologistChat = String(500_000 + i);
      const made = await call(proc, 'POST', '/admin/psychologists', {
        name: `Перезапускова ${i}`,
        sex: 'female',
        min_price: 2000,
        max_price: 4000,
        queries: ['Тревога'],
        telegram_id: psychologistChat,
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const submitted = await call(proc, 'POST', '/submit-application', {
        name: 'Мария',
        age: 30,
        contact: { type: 'telegram', value: `@r6_client_${i}` },
        selected_slots: [],
        preferences: { gender: 'any', price_max: 5000, specializations: [] },
      });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
      const clientChat = String(9_000_000 + i);
      const ticketId = String(submitted.body!.ticket_id);
      const linked = await call(proc, 'POST', '/process-link', { user_id: clientChat, ticket_id: ticketId });
      expect(linked.status, JSON.stringify(linked.body)).toBe(200);
      return {
        psychologistId: (made.body!.psychologist as { id: string }).id,
        psychologistChat,
        clientChat,
        lead: String(submitted.body!.lead_number),
        ticketId,
      };
    }),
  );

  // Each group's sessions start at one moment, so that their reminders are due together.
  const enteredAt = Date.now();
  const dueWhileDown = enteredAt + DUE_WHILE_DOWN_MS;
  const dueAfterRestart = enteredAt + DUE_AFTER_RESTART_MS;
  const sessions = await Promise.all(
    people.map(async (person, n) => {
      const dueAt = n < PER_GROUP ? dueWhileDown : dueAfterRestart;
      const added = await call(proc, 'POST', '/admin/slots', {
        psychologist_id: person.psychologistId,
        slots: [new Date(dueAt + 2 * HOUR).toISOString()],
      });
      expect(added.status, JSON.stringify(added.body)).toBe(200);
      const booked = await call(proc, 'POST', '/admin/sessions', {
        slot_id: (added.body!.created as { id: string }[])[0]!.id,
        lead_number: person.lead,
        ticket_id: person.ticketId,
      });
      expect(booked.status, JSON.stringify(booked.body)).toBe(201);
      return { ...person, dueAt, sessionId: (booked.body!.session as { id: string }).id };
    }),
  );
  const keys = sessions.map((s) => s.sessionId);
  const wakeUps = (db: Database['db']) =>
    sql<{ singleton_key: string; state: string }>`
      select singleton_key, state from pgboss.job
      where name = 'session-reminders' and split_part(singleton_key, ':', 2) = any(${keys}::text[])`.execute(
      db,
    );
  if (backend.shared) {
    // The booking planned its wake-up after the commit: it is in pg-boss before the stop.
    await until(
      'a wake-up planned per session',
      async () => (await backend.read(wakeUps)).rows.length === sessions.length,
      5_000,
    );
  }
  // The booking messages delivered first: a send in flight at a kill holds its chat until its lease ends
  // (R2's subject), and would hold the reminder behind it.
  await until(
    'the booking messages delivered',
    async () => ((await call(proc, 'GET', '/admin/outbox?status=pending')).body!.messages as []).length === 0,
    10_000,
    100,
  );
  const before = await remindersJob(proc);
  const toOurChats = () => {
    const chats = new Set(sessions.flatMap((s) => [s.clientChat, s.psychologistChat]));
    return telegram.requests.filter(
      (r) =>
        r.method === 'sendMessage' && chats.has(String(r.body.chat_id)) && isReminder(String(r.body.text)),
    );
  };

  if (signal === 'SIGTERM') expect(await proc.stop()).toBe(0);
  else await proc.kill();
  const stoppedAt = Date.now();
  expect(stoppedAt, 'the service stopped before the first reminder was due').toBeLessThan(dueWhileDown);
  expect(toOurChats()).toEqual([]);
  // The wake-ups are kept by the stopped service's database, none worked yet.
  const kept = await backend.read(async (db) => ({
    wakeUps: (await wakeUps(db)).rows.map((w) => w.state),
    sessions: await db.selectFrom('hraniteli_sessions').select('id').where('id', 'in', keys).execute(),
  }));
  expect(kept.sessions).toHaveLength(sessions.length);
  expect(kept.wakeUps).toEqual(sessions.map(() => 'created'));

  // Down until the first group is due; it runs when the service is back, the second at its time.
  await sleepUntil(dueWhileDown + 300);
  const restartedAt = Date.now();
  const restarted = await service();
  const readyAt = Date.now();

  await until(
    'every reminder written and sent',
    async () => {
      const outbox = await call(restarted, 'GET', '/admin/outbox?limit=500');
      const rows = (
        outbox.body!.messages as { session_id: string | null; dedupe_key: string; status: string }[]
      ).filter((m) => m.dedupe_key.startsWith('reminder:2h:') && keys.includes(m.session_id ?? ''));
      return rows.length === 2 * sessions.length && rows.every((m) => m.status === 'sent');
    },
    30_000,
    200,
  );
  const after = await remindersJob(restarted);
  expect(after.runs).toBeGreaterThan(before.runs);
  expect(after.failures).toBe(before.failures);
  expect(after.last_status).toBe('ok');
  expect(Date.parse(after.last_started_at!)).toBeGreaterThanOrEqual(restartedAt);

  // Each reminder reached its chat once, after the restart and not before it was due.
  const arrivals = toOurChats();
  for (const session of sessions) {
    for (const chat of [session.clientChat, session.psychologistChat]) {
      const got = arrivals.filter((r) => String(r.body.chat_id) === chat);
      expect(got, `reminders to chat ${chat}`).toHaveLength(1);
      expect(got[0]!.at).toBeGreaterThanOrEqual(Math.max(session.dueAt, restartedAt));
    }
  }
  expect(arrivals).toHaveLength(2 * sessions.length);
  console.info(
    `R6 (${backend.shared ? 'PostgreSQL' : 'PGlite'}, ${signal}): down ${restartedAt - stoppedAt} ms, back in ` +
      `${readyAt - restartedAt} ms; the second group due ${dueAfterRestart - readyAt} ms after that; ` +
      `session-reminders ran ${after.runs - before.runs} times after the restart`,
  );
  return restarted;
}

async function restartScenario(backend: Backend): Promise<void> {
  cleanups.push(() => backend.remove());
  const telegram = new FakeTelegram();
  await telegram.start();
  cleanups.push(() => telegram.stop());
  const env = {
    ...backend.env,
    JOBS: 'on',
    TELEGRAM_BOT_TOKEN: '123456:reliability-token',
    TELEGRAM_API_ROOT: telegram.url,
    // Webhook mode: no long polling against the fake, which does not answer getUpdates.
    TELEGRAM_WEBHOOK_SECRET: 'reliability-webhook-secret',
    VIDEO_TIMEOUT_MS: '1000',
  };
  const service = async () => {
    const proc = await startService(env);
    running.push(proc);
    return proc;
  };
  let proc = await service();
  proc = await restartRound({ proc, backend, telegram, service, signal: 'SIGTERM', round: 0 });
  proc = await restartRound({ proc, backend, telegram, service, signal: 'SIGKILL', round: 1 });
  expect(await proc.stop()).toBe(0);

  await backend.read(async (db) => {
    const wakeUps = await sql<{ state: string; n: number }>`
      select state, count(*)::int as n from pgboss.job
      where name = 'session-reminders' and singleton_key like 'remind:%' group by state`.execute(db);
    expect(wakeUps.rows).toEqual([{ state: 'completed', n: 4 * PER_GROUP }]);
    const reminded = await sql<{ n: number }>`
      select count(*)::int as n from hraniteli_sessions where reminded_at is not null`.execute(db);
    expect(reminded.rows[0]!.n).toBe(4 * PER_GROUP);
    expect(await invariantViolations(db)).toEqual([]);
  });
}

// The two databases at once: most of each scenario is waiting for due times and restarts.
describe.concurrent('R6: restart with reminders planned', () => {
  it.skipIf(!onPostgres())(
    'PostgreSQL: SIGTERM, then SIGKILL; every reminder runs once after its restart',
    async () => restartScenario(await postgresBackend()),
  );
  it('embedded PGlite (DATA_DIR): SIGTERM, then SIGKILL; every reminder runs once after its restart', () =>
    restartScenario(pgliteBackend()));
});
