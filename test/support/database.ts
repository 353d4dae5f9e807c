// An isolated, migrated database for one test file: PGlite loaded from the template dump, or a fresh
// PostgreSQL database copied from the template when TEST_DATABASE_URL is set.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { openPglite, openPostgres, type Database, type PgliteOptions } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

export const onPostgres = () => Boolean(process.env.TEST_DATABASE_URL);

export function databaseUrl(name: string): string {
  const parsed = new URL(process.env.TEST_DATABASE_URL!);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export interface TestDatabaseOptions {
  /** The embedded database even on a PostgreSQL run (a test of PGlite's own behaviour). */
  pglite?: boolean;
  /** PGlite: how long a caller may wait for the session (PGLITE_WAIT_MS), and who hears of a wait that ran out. */
  waitMs?: number;
  onWaitExpired?: PgliteOptions['onWaitExpired'];
}

export async function createTestDatabase(
  options: TestDatabaseOptions = {},
): Promise<Database & { url?: string }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl && !options.pglite) {
    const name = `hraniteli_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      // Copies from one template must not overlap: PostgreSQL refuses a template in use.
      await admin.query('select pg_advisory_lock(7301)');
      await admin.query(`create database "${name}" template "${inject('postgresTemplate')}"`);
      await admin.query('select pg_advisory_unlock(7301)');
    } finally {
      await admin.end();
    }
    const url = databaseUrl(name);
    return { ...openPostgres(url, 20), url };
  }
  const settings = {
    ...(options.waitMs ? { waitMs: options.waitMs } : {}),
    ...(options.onWaitExpired ? { onWaitExpired: options.onWaitExpired } : {}),
  };
  const template = inject('pgliteTemplate');
  if (!template) {
    // A PostgreSQL run prepares no PGlite template: this one is migrated from scratch (~4 s).
    const database = await openPglite(settings);
    await migrateToLatest(database.db);
    return database;
  }
  return openPglite({ loadDataDir: new Blob([readFileSync(template)]), ...settings });
}
