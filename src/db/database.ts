// Opens the one database the service uses: embedded PGlite in DATA_DIR, or a PostgreSQL pool when
// DATABASE_URL is set. Both give the same Kysely<DB> and a raw SQL executor for pg-boss.
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { PostgresDialect, sql, type Kysely } from 'kysely';
import pg from 'pg';
import {
  DEFAULT_PGLITE_WAIT_MS,
  PgliteDialect,
  PgliteGateway,
  type SessionWaitReport,
} from './pglite-dialect.ts';
import { DEFAULT_POOL_SETTINGS, GuardedPool, type PoolEvents, type PoolSettings } from './postgres-pool.ts';
import { TransactionGuard } from './transaction-guard.ts';
import type { DB } from './types.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  kind: DatabaseKind;
  db: Kysely<DB>;
  /** Raw SQL for pg-boss and scripts, through the same gateway or pool. */
  executeSql(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  close(): Promise<void>;
}

const toNumber = (value: string) => Number(value);

// 64-bit integers and numerics are read as JS numbers on both drivers: counts and ids stay far below 2^53.
pg.types.setTypeParser(20, toNumber);
pg.types.setTypeParser(1700, toNumber);
const pgliteParsers = { [pgliteTypes.INT8]: toNumber, [pgliteTypes.NUMERIC]: toNumber };

// PGlite's defaults are sized for a server (shared_buffers 128 MB and more, all of it resident in the
// WASM memory once touched); one embedded session with this data set needs a fraction of that. On the
// bench the restarted server is ~235 MB when ready instead of ~390–420 MB.
const PGLITE_MEMORY = ['shared_buffers=16MB', 'work_mem=1MB', 'temp_buffers=1MB', 'wal_buffers=512kB'];

export interface PgliteOptions {
  dataDir?: string;
  loadDataDir?: Blob;
  /** How long a caller may wait for the one session before a 503 (PGLITE_WAIT_MS). */
  waitMs?: number;
  /** A wait ran out: who held the session (the service logs it). */
  onWaitExpired?(report: SessionWaitReport): void;
}

export async function openPglite(options: PgliteOptions): Promise<Database> {
  const pglite = new PGlite({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: pgliteParsers,
    // startParams replace PGlite's own, which must stay (single-user mode, no parallel workers …).
    startParams: [...PGlite.defaultStartParams, ...PGLITE_MEMORY.flatMap((setting) => ['-c', setting])],
  });
  await pglite.waitReady;
  return fromPgliteInstance(pglite, options);
}

export function fromPgliteInstance(
  pglite: PGlite,
  options: Pick<PgliteOptions, 'waitMs' | 'onWaitExpired'> = {},
): Database {
  const gateway = new PgliteGateway(pglite, {
    waitMs: options.waitMs ?? DEFAULT_PGLITE_WAIT_MS,
    ...(options.onWaitExpired ? { onWaitExpired: options.onWaitExpired } : {}),
  });
  const guard = new TransactionGuard();
  const db = guard.kysely<DB>(new PgliteDialect(gateway));
  return {
    kind: 'pglite',
    db,
    async executeSql(sql, params = []) {
      guard.assertOutside('a raw statement');
      return gateway.run(sql, params);
    },
    async close() {
      await db.destroy();
      const release = await gateway.acquire({
        kind: 'close',
        what: ['closing the database'],
        since: Date.now(),
      });
      try {
        await pglite.close();
      } finally {
        release();
      }
    },
  };
}

/**
 * Refreshes the planner statistics of the tables the hot queries read. PostgreSQL's autovacuum does it
 * on its own a while after a bulk write; PGlite has no autovacuum, so after migrations, the demo data and
 * bulk operator writes the service runs it itself. Without statistics a listing by psychologist was
 * planned as a walk over every free slot of the window (~20 ms instead of ~1 ms).
 */
export async function analyzeHotTables(db: Kysely<DB>): Promise<void> {
  await sql`analyze hraniteli_psychologists, hraniteli_slots, hraniteli_sessions, hraniteli_tickets`.execute(
    db,
  );
}

export function openPostgres(
  connectionString: string,
  poolSize = DEFAULT_POOL_SETTINGS.size,
  settings: Partial<Omit<PoolSettings, 'size'>> = {},
  events: PoolEvents = {},
): Database {
  const pool = new GuardedPool(
    connectionString,
    { ...DEFAULT_POOL_SETTINGS, ...settings, size: poolSize },
    events,
  );
  const guard = new TransactionGuard();
  const db = guard.kysely<DB>(new PostgresDialect({ pool }));
  return {
    kind: 'postgres',
    db,
    async executeSql(sql, params = []) {
      guard.assertOutside('a raw statement');
      return pool.query(sql, params);
    },
    async close() {
      await db.destroy();
    },
  };
}
