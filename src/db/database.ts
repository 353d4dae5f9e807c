// Opens the one database the service uses: embedded PGlite in DATA_DIR, or a PostgreSQL pool when
// DATABASE_URL is set. Both give the same Kysely<DB> and a raw SQL executor for pg-boss.
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PgliteDialect, PgliteGateway } from './pglite-dialect.ts';
import { DEFAULT_POOL_SETTINGS, GuardedPool, type PoolEvents, type PoolSettings } from './postgres-pool.ts';
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

export async function openPglite(options: { dataDir?: string; loadDataDir?: Blob }): Promise<Database> {
  const pglite = new PGlite({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: pgliteParsers,
    // startParams replace PGlite's own, which must stay (single-user mode, no parallel workers …).
    startParams: [...PGlite.defaultStartParams, ...PGLITE_MEMORY.flatMap((setting) => ['-c', setting])],
  });
  await pglite.waitReady;
  return fromPgliteInstance(pglite);
}

export function fromPgliteInstance(pglite: PGlite): Database {
  const gateway = new PgliteGateway(pglite);
  const db = new Kysely<DB>({ dialect: new PgliteDialect(gateway) });
  return {
    kind: 'pglite',
    db,
    executeSql: (sql, params = []) => gateway.run(sql, params),
    async close() {
      await db.destroy();
      const release = await gateway.acquire();
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
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    executeSql: (sql, params = []) => pool.query(sql, params),
    async close() {
      await db.destroy();
    },
  };
}
