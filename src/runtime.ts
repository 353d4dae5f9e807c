// Opens everything the service runs on (database, migrations, secrets, context) from a configuration.
// main.ts and the CLI use it; tests build their context the same way through test/support.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Deps } from './deps.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { openPglite, openPostgres, type Database } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { SessionWaitReport } from './db/pglite-dialect.ts';
import { onStrayQuery } from './db/transaction-guard.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { createTokenService } from './tokens.ts';
import { createVideoLinks } from './integrations/video-chain.ts';
import { ListingCache } from './cache/listing-cache.ts';
import { sessionHostCalendar } from './commands/meeting-hosts.ts';
import { deleteMeetingAfterCommit, linkSessionAfterCommit } from './effects/video-links.ts';
import { createEffects } from './effects/events.ts';
import { createCallbackCodec } from './texts/callback-data.ts';
import { resolveSecrets } from './secrets.ts';
import { Api } from 'grammy';
import { checkedAnswers, telegramClient } from './telegram/client.ts';
import { createOutboxSender, disabledOutbox, type OutboxSender } from './telegram/outbox-sender.ts';

/** Deps as built here: the outbox is the sender itself, which main.ts starts and stops. */
export type RuntimeDeps = Deps & { outbox: OutboxSender };

export interface Runtime {
  deps: RuntimeDeps;
  generatedApiKey: boolean;
  close(): Promise<void>;
}

export async function openDatabase(
  config: Config,
  log?: Logger,
): Promise<{ database: Database; release: () => void }> {
  if (config.databaseUrl) {
    const database = openPostgres(config.databaseUrl, undefined, config.database, {
      onReachability(unreachable) {
        if (unreachable) log?.error('the database stopped answering: requests get 503 until it is back');
        else log?.info('the database answers again');
      },
    });
    return { database, release: () => {} };
  }
  const release = lockDataDir(config.dataDir);
  try {
    const database = await openPglite({
      dataDir: path.join(config.dataDir, 'pglite'),
      waitMs: config.pgliteWaitMs,
      ...(log ? { onWaitExpired: logSessionWaits(log) } : {}),
    });
    return { database, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** The log line of a wait for the embedded database's session that ran out (like the pool's watchdog). */
export function logSessionWaits(log: Logger): (report: SessionWaitReport) => void {
  return ({ holder, heldMs, failed, queued }) =>
    // The holder is named by the code that began it (function names and source lines), never data.
    log.error(
      { holder: holder && { kind: holder.kind, began: holder.what }, heldMs, failed, queued },
      'the embedded database session is held too long: waiting requests get 503',
    );
}

export function createDeps(
  config: Config,
  database: Database,
  log: Logger,
  secrets: { apiKey: string; jwtSecret: string },
  clock: Clock = systemClock,
): RuntimeDeps {
  const listings = new ListingCache(config.slotsCacheMs);
  const deps: RuntimeDeps = {
    config,
    database,
    db: database.db,
    clock,
    log,
    apiKey: secrets.apiKey,
    tokens: createTokenService(secrets.jwtSecret),
    callbacks: createCallbackCodec(secrets.jwtSecret),
    video: createVideoLinks(config, {
      calendar: { reserve: (host, request) => sessionHostCalendar(deps).reserve(host, request) },
      log,
      clock,
    }),
    effects: createEffects(
      {
        'slots-changed': () => listings.invalidate(),
        'session-needs-link': (event) => linkSessionAfterCommit(deps, event),
        'meeting-released': (event) => deleteMeetingAfterCommit(deps, event),
        'job-due': (event) => deps.jobs.wake(event.job, event.at, event.key),
      },
      log,
    ),
    listings,
    outbox: disabledOutbox,
    jobs: { wake: () => {} },
  };
  const { botToken } = config.telegram;
  if (botToken)
    deps.outbox = createOutboxSender(deps, checkedAnswers(new Api(botToken, telegramClient(config))));
  return deps;
}

export async function openRuntime(config: Config, log: Logger): Promise<Runtime> {
  // A stray query is thrown where it happens, but a job's sweep only logs an item's error code: the
  // stacks that find the bug are logged here, whoever catches the error.
  const stopStrayLog = onStrayQuery((error) =>
    log.error({ err: { name: error.name, code: error.code, message: error.message } }, 'stray query'),
  );
  const { database, release } = await openDatabase(config, log).catch((error: unknown) => {
    stopStrayLog();
    throw error;
  });
  try {
    await migrateToLatest(database.db);
    const secrets = resolveSecrets(config);
    const deps = createDeps(config, database, log, secrets);
    return {
      deps,
      generatedApiKey: secrets.generated,
      async close() {
        await deps.outbox.stop();
        await database.close();
        release();
        stopStrayLog();
      },
    };
  } catch (error) {
    await database.close().catch(() => {});
    release();
    stopStrayLog();
    throw error;
  }
}
