// Opens the one database the service uses: embedded PGlite in DATA_DIR, or a PostgreSQL pool when
// DATABASE_URL is set. Both give the same Kysely<DB> and a raw SQL executor for pg-boss.
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PgliteDialect, PgliteGateway } from './pglite-dialect.ts';
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

/**
 * Statements with parameters are prepared once per connection under a name of their text, so that
 * PostgreSQL parses and plans each of them once per connection instead of on every call: planning was
 * most of the database's CPU on the booking path (a taken slot's refusal: ~250 → ~85 µs of it). Statements
 * without parameters (migrations' DDL, often several commands in one text) and pool.query's (pg-boss)
 * stay unnamed.
 */
const preparedNames = new Map<string, string>();
/** Texts built with a varying number of parameters could name without end: past this, they stay unnamed. */
const MAX_PREPARED = 1_000;
let preparedCount = 0;

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `hraniteli_${++preparedCount}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * A statement prepared before its tables changed shape (another instance migrated): PostgreSQL refuses to
 * run it again ("cached plan must not change result type"). The text gets a new name, so it is prepared
 * anew; outside a transaction it is run again at once, inside one the transaction is (transaction.ts).
 */
export function isStalePreparedStatement(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '0A000' && (e.message ?? '').includes('cached plan must not change result type');
}

class PreparingClient extends pg.Client {}
type Query = (this: pg.Client, ...args: unknown[]) => Promise<pg.QueryResult>;
const plainQuery = pg.Client.prototype.query as Query;
// One implementation for all of pg's query overloads: only (text, values) calls are changed.
const preparingQuery: Query = function (this: pg.Client, ...args: unknown[]) {
  const [text, values] = args;
  const name =
    args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0
      ? preparedName(text)
      : undefined;
  if (name === undefined) return plainQuery.apply(this, args);
  const outsideTransaction = this.getTransactionStatus() === 'I';
  return plainQuery.call(this, { name, text, values }).catch((error: unknown) => {
    if (!isStalePreparedStatement(error)) throw error;
    preparedNames.delete(text as string);
    if (!outsideTransaction) throw error;
    return plainQuery.call(this, { name: preparedName(text as string), text, values });
  });
};
PreparingClient.prototype.query = preparingQuery as typeof pg.Client.prototype.query;

export function openPostgres(connectionString: string, poolSize = 10): Database {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 15_000,
  });
  // A dropped idle connection must not take the process down; the next query reconnects.
  pool.on('error', () => {});
  // Nor one dropped while checked out between two queries (a transaction running code, a query about to
  // start): the pool listens only to idle clients, and an 'error' nobody listens to ends the process —
  // PostgreSQL stopping under load did that (R7). The query on it fails (→ 503) and the pool discards it.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    executeSql: (sql, params = []) => pool.query(sql, params as unknown[]),
    async close() {
      await db.destroy();
    },
  };
}
