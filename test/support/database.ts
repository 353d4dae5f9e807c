// An isolated, migrated database for one test file: PGlite loaded from the template dump, or a fresh
// PostgreSQL database copied from the template when TEST_DATABASE_URL is set.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { openPglite, openPostgres, type Database } from '../../src/db/database.ts';

export const onPostgres = () => Boolean(process.env.TEST_DATABASE_URL);

export function databaseUrl(name: string): string {
  const parsed = new URL(process.env.TEST_DATABASE_URL!);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function createTestDatabase(): Promise<Database & { url?: string }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
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
  const dump = new Blob([readFileSync(inject('pgliteTemplate'))]);
  return openPglite({ loadDataDir: dump });
}
