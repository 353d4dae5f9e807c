// What every command and route needs, built once at start (or per test) and passed down explicitly.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { DB } from './db/types.ts';
import type { Clock } from './domain/clock.ts';
import type { TokenService } from './tokens.ts';
import type { Effects } from './effects/events.ts';
import type { CallbackCodec } from './texts/callback-data.ts';
import type { VideoLinks } from './integrations/video.ts';
import type { ListingCache } from './cache/listing-cache.ts';
import type { JobName } from './domain/jobs.ts';

export interface Deps {
  config: Config;
  database: Database;
  db: Kysely<DB>;
  clock: Clock;
  log: Logger;
  apiKey: string;
  tokens: TokenService;
  /** Signs and verifies inline-button data. */
  callbacks: CallbackCodec;
  video: VideoLinks;
  /** What runs after a commit (src/effects/events.ts). */
  effects: Effects;
  /** Free-slot listings; invalidated after commits that change slots, sessions or psychologists. */
  listings: ListingCache;
  /** Delivers outbox rows to Telegram (src/telegram/outbox-sender.ts); does nothing without a bot token. */
  outbox: OutboxDelivery;
  /** Wake-ups of jobs at due times (main.ts keeps those asked for while the job system starts; the cron sweeps are the backstop). */
  jobs: JobWakeups;
}

export interface JobWakeups {
  wake(job: JobName, at: Date, key: string): void;
}

export interface OutboxDelivery {
  /** Look for deliverable rows now (called after a commit that wrote messages). */
  wake(): void;
  /** Try to deliver these rows now, waiting up to waitMs; true when all were sent. */
  deliver(ids: number[], waitMs: number): Promise<boolean>;
}

/** A Kysely handle that may be the whole database or an open transaction. */
export type Executor = Kysely<DB>;
