// The server under test, run by bench/run.ts as a child process (child_process.fork, so it has an IPC
// channel). It builds the real application from the environment exactly as the service does (config,
// database, migrations, context, buildApp), adds the two baseline routes, listens on a free port on
// 127.0.0.1 and tells the parent. The parent then drives it over HTTP and, for the bulk loader and the
// invariant checks, over IPC.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openPostgres } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createLogger } from '../src/logger.ts';
import { ListingCache } from '../src/cache/listing-cache.ts';
import { runJob } from '../src/commands/run-job.ts';
import { SERVICE } from '../src/domain/access.ts';
import type { JobName } from '../src/domain/jobs.ts';
import { createDeps, openDatabase } from '../src/runtime.ts';
import { invariantViolations, loadBookings, stormOutcome } from './dataset.ts';
import { deliverOutbox } from './outbox.ts';
import { loadDueSessions, remindersOutcome } from './reminders.ts';
import { B0_BODY, type CallMessage, type ServerMessage } from './protocol.ts';

function send(message: ServerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/server.ts is started by bench/run.ts (it needs an IPC channel)');
  const config = loadConfig(process.env);
  if (!config.apiKey || !config.jwtSecret) throw new Error('API_KEY and JWT_SECRET must be set');
  const log = createLogger(config.logLevel);
  // BENCH_POOL_SIZE (--pool): an experiment with another PostgreSQL pool size than the service's own.
  const poolSize = Number(process.env.BENCH_POOL_SIZE) || undefined;
  const { database, release } =
    poolSize && config.databaseUrl
      ? { database: openPostgres(config.databaseUrl, poolSize, config.database), release: () => {} }
      : await openDatabase(config);
  const migrated = await migrateToLatest(database.db);
  const deps = createDeps(config, database, log, { apiKey: config.apiKey, jwtSecret: config.jwtSecret });
  const app = await buildApp(deps);

  // B0: the HTTP ceiling (a fixed ~1 KB JSON); B1: one database round trip through the same Kysely.
  app.get('/__bench/b0', { schema: { hide: true } }, async () => B0_BODY);
  app.get('/__bench/b1', { schema: { hide: true } }, async () => {
    const result = await sql<{ one: number }>`select 1 as one`.execute(deps.db);
    return { success: true, one: result.rows[0]?.one ?? null };
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the server has no TCP address');

  // --profile: one V8 CPU profile per scenario, written where the parent says.
  let profiler: Session | undefined;
  const profileStart = async () => {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.post('Profiler.start');
  };
  const profileStop = async (file: string) => {
    if (!profiler) throw new Error('no profile is running');
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    writeFileSync(file, JSON.stringify(profile));
    return file;
  };

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await app.close();
      await database.close();
    } finally {
      release();
    }
  };

  process.on('message', (raw: CallMessage) => {
    if (raw?.type !== 'call') return;
    const run = async (): Promise<unknown> => {
      switch (raw.method) {
        case 'loadBookings':
          return loadBookings(deps.db);
        case 'invariants':
          return invariantViolations(deps.db);
        case 'stormOutcome':
          return stormOutcome(deps.db, raw.args as string[]);
        // S7: the outbox sender against the fake Bot API the parent runs at this address.
        case 'deliverOutbox':
          return deliverOutbox(deps, raw.args as string);
        // S6: its own data set, the sweep as pg-boss's worker runs it (timed here), and what it left.
        case 'loadDueSessions':
          return loadDueSessions(deps.db);
        case 'runJob': {
          const started = performance.now();
          const result = await runJob(deps, SERVICE, raw.args as JobName);
          return { result, seconds: (performance.now() - started) / 1000 };
        }
        case 'remindersOutcome':
          return remindersOutcome(deps.db);
        // An empty listing cache with the given TTL: S1 starts cold, and runs once more with the cache off.
        case 'resetListingCache':
          deps.listings = new ListingCache(raw.args as number);
          return true;
        case 'profileStart':
          return profileStart();
        case 'profileStop':
          return profileStop(raw.args as string);
        case 'memory':
          return {
            ...process.memoryUsage(),
            ...Object.fromEntries(
              getHeapSpaceStatistics()
                .filter((space) => space.space_size > 0)
                .map((space) => [space.space_name, space.space_size]),
            ),
          };
        case 'stop':
          await stop();
          return true;
      }
    };
    run().then(
      (result) => {
        send({ type: 'reply', id: raw.id, ok: true, result });
        if (raw.method === 'stop') process.disconnect();
      },
      (error: unknown) =>
        send({
          type: 'reply',
          id: raw.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  });
  // The parent went away (killed, crashed): do not outlive it.
  process.on('disconnect', () => {
    void stop().finally(() => process.exit(0));
  });
  process.on('SIGTERM', () => {
    void stop().finally(() => process.exit(0));
  });

  send({ type: 'ready', port: address.port, database: database.kind, migrated });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ type: 'failed', error: message });
  console.error('bench server failed:', message);
  process.exit(1);
});
