// R7 of quality.md: PostgreSQL stops while the real service (a child process, jobs on) is under load.
// Requests then get 503 within 5 s — none hangs, none gets another 5xx — the process stays up, and once
// the database is back /ready answers 200 and a booking goes through. The test runs a PostgreSQL
// server of its own, since it stops it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { postgresBin, PostgresServer } from '../support/postgres-server.ts';
import { call, freePort, startService, until, type ServiceProcess } from '../support/service-process.ts';

const bin = postgresBin();
if (!bin) console.warn('R7 skipped: no PostgreSQL server binaries under /usr/lib/postgresql (see .ci/run)');
const describeWithPostgres = bin ? describe : describe.skip;

const ANSWER_WITHIN_MS = 5_000;

interface Outcome {
  what: string;
  startedAt: number;
  ms: number;
  status: number | 'no answer';
}

describeWithPostgres('R7: PostgreSQL stopped under load', () => {
  let server: PostgresServer;
  let proc: ServiceProcess;
  let psychologistId = '';
  const slotIds: string[] = [];

  beforeAll(async () => {
    server = new PostgresServer(bin!, await freePort());
    server.init();
    server.start();
    proc = await startService({ DATABASE_URL: server.url, VIDEO_TIMEOUT_MS: '1000' });
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

  // fast: PostgreSQL ends the sessions (57P01) and shuts down, as on an operator's restart;
  // immediate: it dies without a word (connections just drop), as on a crash.
  it.each([
    ['fast', 0],
    ['immediate', 2000],
  ] as const)(
    '%s stop: 503 within 5 s while the database is down, survives, recovers',
    async (mode, base) => {
      const leads = await Promise.all(Array.from({ length: 20 }, (_, i) => newClient(base + i)));
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

      const stopCalledAt = Date.now();
      server.stop(mode);
      const stoppedAt = Date.now();
      const during = () => outcomes.filter((o) => o.startedAt >= stoppedAt);
      // Down for at least 3 s: pg-boss's workers (polling every 2 s) and the outbox meet the outage too.
      await until(
        'the database down for 3 s and 200 requests sent meanwhile',
        () => during().length >= 200 && Date.now() - stoppedAt >= 3_000,
        30_000,
      );
      const readyDown = await call(proc, 'GET', '/ready', undefined, ANSWER_WITHIN_MS);
      expect(readyDown.status).toBe(503);

      const startCalledAt = Date.now();
      server.start();
      const restartedAt = Date.now();
      // The pool reconnects on its own: /ready turns 200 again.
      await until(
        '/ready 200 after the database came back',
        async () => (await call(proc, 'GET', '/ready', undefined, ANSWER_WITHIN_MS)).status === 200,
        30_000,
        100,
      );
      const recoveredInMs = Date.now() - restartedAt;
      stopLoad = true;
      await Promise.all(workers);

      // Sent while the database was down; the ones still open when it was being started may succeed.
      const sentWhileDown = outcomes.filter((o) => o.startedAt >= stoppedAt && o.startedAt < startCalledAt);
      const down = sentWhileDown.filter((o) => o.startedAt + o.ms < startCalledAt);
      const slow = sentWhileDown.filter((o) => o.ms > ANSWER_WITHIN_MS);
      expect(slow, 'answers slower than 5 s while the database was down').toEqual([]);
      // Nothing but 503 (or a listing still served from the cache) while it was down.
      const wrong = down.filter((o) => o.status !== 503 && !(o.what === 'listing' && o.status === 200));
      expect(
        wrong,
        `answers other than 503 while the database was down (stop ${stopCalledAt}..${stoppedAt})\n${server.log()}`,
      ).toEqual([]);
      expect(down.filter((o) => o.status === 503).length).toBeGreaterThan(100);
      expect(proc.exitCode(), proc.output()).toBeUndefined();

      // Back to work: a booking of a slot nobody holds goes through.
      const database: Database = openPostgres(server.url, 2);
      try {
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
      } finally {
        await database.close();
      }
      const worst = Math.max(...down.map((o) => o.ms));
      console.info(
        `R7 (${mode} stop): ${down.length} requests while the database was down, slowest answer ${worst} ms; ` +
          `/ready 200 again ${recoveredInMs} ms after the database came back`,
      );
    },
  );
});
