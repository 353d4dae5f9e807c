// R7 of quality.md: PostgreSQL goes away while the real service (a child process, jobs and the Telegram
// outbox on) is under load — stopped (`fast`, `immediate`) or gone silent (a black hole: every server
// process stopped with SIGSTOP, connections open, nothing answering). Requests then get 503 within 5 s —
// none hangs, none gets another 5xx — /ready answers 503, the process stays up, and once the database is
// back /ready answers 200, every pooled connection serves again, a booking goes through and pg-boss's
// workers and the outbox sender pick up where they stopped. The test runs a PostgreSQL server of its
// own, since it stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { APPLICATION_NAME, DEFAULT_POOL_SETTINGS } from '../../src/db/postgres-pool.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { postgresBin, PostgresServer } from '../support/postgres-server.ts';
import { call, freePort, startService, until, type ServiceProcess } from '../support/service-process.ts';

const bin = postgresBin();
if (!bin) console.warn('R7 skipped: no PostgreSQL server binaries under /usr/lib/postgresql (see .ci/run)');
const describeWithPostgres = bin ? describe : describe.skip;

const ANSWER_WITHIN_MS = 5_000;
const POOL_SIZE = DEFAULT_POOL_SETTINGS.size; // the service's pool

interface Outcome {
  what: string;
  startedAt: number;
  ms: number;
  status: number | 'no answer';
}

describeWithPostgres('R7: PostgreSQL gone under load', () => {
  let server: PostgresServer;
  let proc: ServiceProcess;
  let psychologistId = '';
  const slotIds: string[] = [];
  const telegram = new FakeTelegram();

  // fast: PostgreSQL ends the sessions (57P01) and shuts down, as on an operator's restart;
  // immediate: it dies without a word (connections just drop), as on a crash;
  // black hole: it stops answering and closes nothing, as behind a dead network link.
  const OUTAGES = {
    fast: { begin: () => server.stop('fast'), end: () => server.start() },
    immediate: { begin: () => server.stop('immediate'), end: () => server.start() },
    'black hole': { begin: () => server.pause(), end: () => server.resume() },
  };

  beforeAll(async () => {
    await telegram.start();
    server = new PostgresServer(bin!, await freePort());
    server.init();
    server.start();
    proc = await startService({
      DATABASE_URL: server.url,
      VIDEO_TIMEOUT_MS: '1000',
      TELEGRAM_BOT_TOKEN: '123456:reliability-token',
      TELEGRAM_API_ROOT: telegram.url,
      // Webhook mode: no long polling against the fake, which does not answer getUpdates.
      TELEGRAM_WEBHOOK_SECRET: 'reliability-webhook-secret',
      TELEGRAM_ADMIN_CHAT_ID: '-1000',
    });
    const made = await call(proc, 'POST', '/admin/psychologists', {
      name: 'Отказоустойчивая Вера',
      sex: 'female',
      min_price: 2000,
      max_price: 4000,
      queries: ['Тревога'],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    psychologistId = (made.body!.psychologist as { id: string }).id;
    const first = new Date();
    first.setUTCHours(6, 0, 0, 0);
    first.setUTCDate(first.getUTCDate() + 7);
    const times = Array.from({ length: 80 }, (_, i) =>
      new Date(first.getTime() + i * 3_600_000).toISOString(),
    );
    const added = await call(proc, 'POST', '/admin/slots', { psychologist_id: psychologistId, slots: times });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    for (const slot of added.body!.created as { id: string }[]) slotIds.push(slot.id);
  });

  afterAll(async () => {
    try {
      await proc?.kill();
    } finally {
      server?.destroy();
      await telegram.stop();
    }
  });

  async function newClient(n: number): Promise<string> {
    const made = await call(proc, 'POST', '/submit-application', {
      name: 'Мария',
      age: 30,
      contact: { type: 'telegram', value: `@outage_client_${n}` },
      selected_slots: [],
      preferences: { gender: 'any', price_max: 5000, specializations: [] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    return String(made.body!.lead_number);
  }

  /** A slot starting within 2 hours: booking it plans a reminder wake-up that pg-boss runs at once. */
  async function soonSlot(minutes: number): Promise<string> {
    const at = new Date(Date.now() + minutes * 60_000);
    at.setUTCSeconds(0, 0);
    const added = await call(proc, 'POST', '/admin/slots', {
      psychologist_id: psychologistId,
      slots: [at.toISOString()],
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    return (added.body!.created as { id: string }[])[0]!.id;
  }

  async function reminderRuns(): Promise<number> {
    const jobs = await call(proc, 'GET', '/admin/jobs');
    expect(jobs.status).toBe(200);
    return (jobs.body!.jobs as { name: string; runs: number }[]).find((j) => j.name === 'session-reminders')!
      .runs;
  }

  it.each([
    ['fast', 0, 60],
    ['immediate', 2000, 70],
    ['black hole', 4000, 80],
  ] as const)(
    '%s: 503 within 5 s while the database is gone, survives, recovers',
    async (mode, base, soonMinutes) => {
      const outage = OUTAGES[mode];
      const leads = await Promise.all(Array.from({ length: 20 }, (_, i) => newClient(base + i)));
      const soon = await soonSlot(soonMinutes);
      const outcomes: Outcome[] = [];
      let stopLoad = false;
      let n = 0;
      // A mix of what the service does: a read that always queries, a public listing (cached for a second),
      // a submission and a booking.
      const requests: [string, () => Promise<{ status: number }>][] = [
        ['admin list', () => call(proc, 'GET', '/admin/psychologists', undefined, 10_000)],
        ['listing', () => call(proc, 'GET', '/get-available-slots', undefined, 10_000)],
        [
          'submission',
          () =>
            call(
              proc,
              'POST',
              '/submit-application',
              {
                name: 'Мария',
                age: 30,
                contact: { type: 'telegram', value: `@outage_load_${base + n++}` },
                selected_slots: [],
                preferences: { gender: 'any', price_max: 5000, specializations: [] },
              },
              10_000,
            ),
        ],
        [
          'booking',
          () =>
            call(
              proc,
              'POST',
              '/admin/sessions',
              {
                slot_id: slotIds[Math.floor(Math.random() * slotIds.length)],
                lead_number: leads[Math.floor(Math.random() * leads.length)],
              },
              10_000,
            ),
        ],
      ];
      const worker = async (index: number) => {
        for (let i = index; !stopLoad; i++) {
          const [what, request] = requests[i % requests.length]!;
          const startedAt = Date.now();
          let status: Outcome['status'];
          try {
            status = (await request()).status;
          } catch {
            status = 'no answer';
          }
          outcomes.push({ what, startedAt, ms: Date.now() - startedAt, status });
        }
      };
      const workers = Array.from({ length: 16 }, (_, i) => worker(i));
      await until('the load is served', () => outcomes.length >= 100);
      expect(outcomes.filter((o) => o.status === 'no answer' || o.status >= 500)).toEqual([]);

      const beginCalledAt = Date.now();
      outage.begin();
      const goneAt = Date.now();
      const during = () => outcomes.filter((o) => o.startedAt >= goneAt);
      // Gone for at least 3 s: pg-boss's workers (polling every 2 s) and the outbox meet the outage too.
      await until(
        'the database gone for 3 s and 200 requests sent meanwhile',
        () => during().length >= 200 && Date.now() - goneAt >= 3_000,
        30_000,
      );
      const readyDown = await call(proc, 'GET', '/ready', undefined, ANSWER_WITHIN_MS);
      expect(readyDown.status).toBe(503);

      const endCalledAt = Date.now();
      outage.end();
      const backAt = Date.now();
      // The pool reconnects on its own: /ready turns 200 again.
      await until(
        '/ready 200 after the database came back',
        async () => (await call(proc, 'GET', '/ready', undefined, ANSWER_WITHIN_MS)).status === 200,
        30_000,
        100,
      );
      const recoveredInMs = Date.now() - backAt;
      stopLoad = true;
      await Promise.all(workers);

      // None waited more than 5 s, those caught mid-way by the outage included.
      const slow = outcomes.filter((o) => o.ms > ANSWER_WITHIN_MS);
      expect(slow, 'answers slower than 5 s').toEqual([]);
      // Sent while the database was gone; the ones still open when it was coming back may succeed.
      const down = outcomes.filter(
        (o) => o.startedAt >= goneAt && o.startedAt < endCalledAt && o.startedAt + o.ms < endCalledAt,
      );
      // Nothing but 503 (or a listing still served from the cache) while it was gone.
      const wrong = down.filter((o) => o.status !== 503 && !(o.what === 'listing' && o.status === 200));
      expect(
        wrong,
        `answers other than 503 while the database was gone (${beginCalledAt}..${goneAt})\n${server.log()}`,
      ).toEqual([]);
      expect(down.filter((o) => o.status === 503).length).toBeGreaterThan(100);
      expect(proc.exitCode(), proc.output()).toBeUndefined();

      // Every pooled connection serves again: more requests at once than the pool has connections, none
      // held up by a connection left on a dead socket.
      const burst = await Promise.all(
        Array.from({ length: 3 * POOL_SIZE }, async () => {
          const startedAt = Date.now();
          const answer = await call(proc, 'GET', '/admin/psychologists', undefined, ANSWER_WITHIN_MS);
          return { status: answer.status, ms: Date.now() - startedAt };
        }),
      );
      expect(burst.filter((b) => b.status !== 200)).toEqual([]);

      // One connection: the check of the service's connections below leaves it out by its pid.
      const database: Database = openPostgres(server.url, 1);
      let serverConnections: number;
      try {
        // Back to work: a booking of a slot nobody holds goes through.
        const taken = new Set(
          (await database.db.selectFrom('hraniteli_sessions').select('slot_id').execute()).map(
            (s) => s.slot_id,
          ),
        );
        const free = slotIds.find((id) => !taken.has(id));
        expect(free, 'a free slot left').toBeDefined();
        const booking = await call(proc, 'POST', '/admin/sessions', {
          slot_id: free,
          lead_number: await newClient(base + 1000),
        });
        expect(booking.status, JSON.stringify(booking.body)).toBe(201);
        expect(await invariantViolations(database.db)).toEqual([]);

        // pg-boss works again: a session starting within 2 hours has its reminder due now, and a worker
        // (polling every 2 s) runs the reminders job for it.
        const runsBefore = await reminderRuns();
        const soonBooking = await call(proc, 'POST', '/admin/sessions', {
          slot_id: soon,
          lead_number: await newClient(base + 1001),
        });
        expect(soonBooking.status, JSON.stringify(soonBooking.body)).toBe(201);
        await until(
          'pg-boss runs the reminder wake-up',
          async () => (await reminderRuns()) > runsBefore,
          20_000,
        );
        // The outbox sender works again: the operators' chat gets messages after the database came back.
        await until(
          'a message at the fake Bot API after the database came back',
          () => telegram.requests.some((r) => r.method === 'sendMessage' && r.at > backAt),
          20_000,
        );

        // No connection of the service is left behind on the server: at most the pool (and one probe).
        const connections = await database.executeSql(
          'select state, now() - state_change as held from pg_stat_activity ' +
            'where application_name = $1 and pid <> pg_backend_pid()',
          [APPLICATION_NAME],
        );
        serverConnections = connections.rows.length;
        expect(serverConnections, JSON.stringify(connections.rows)).toBeLessThanOrEqual(POOL_SIZE + 1);
      } finally {
        await database.close();
      }
      const worst = Math.max(...outcomes.filter((o) => o.startedAt + o.ms >= goneAt).map((o) => o.ms));
      console.info(
        `R7 (${mode}): ${down.length} requests while the database was gone, slowest answer ${worst} ms; ` +
          `/ready 200 again ${recoveredInMs} ms after the database came back; ` +
          `slowest of ${burst.length} requests right after: ${Math.max(...burst.map((b) => b.ms))} ms; ` +
          `${serverConnections} connections of the service on the server after`,
      );
    },
  );
});
