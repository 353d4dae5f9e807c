// Prepares one migrated template database for the whole run: a PGlite data-folder dump that each test
// file loads (~1 s instead of ~4 s for a fresh one), or, with TEST_DATABASE_URL, a PostgreSQL template
// database that each test file copies with CREATE DATABASE … TEMPLATE.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { fromPgliteInstance, openPostgres } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    const template = `hraniteli_tpl_${process.pid}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const stale = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'hraniteli_t%'",
    );
    for (const row of stale.rows) await admin.query(`drop database if exists "${row.datname}" with (force)`);
    await admin.query(`create database "${template}"`);
    const database = openPostgres(withDatabase(serverUrl, template), 2);
    await migrateToLatest(database.db);
    await database.close();
    project.provide('postgresTemplate', template);
    project.provide('pgliteTemplate', '');
    return async () => {
      const made = await admin.query<{ datname: string }>(
        "select datname from pg_database where datname like 'hraniteli_t%'",
      );
      for (const row of made.rows) await admin.query(`drop database if exists "${row.datname}" with (force)`);
      await admin.end();
    };
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'hraniteli-test-'));
  const pglite = new PGlite();
  const database = fromPgliteInstance(pglite);
  await migrateToLatest(database.db);
  const dump = await pglite.dumpDataDir('none');
  const file = path.join(dir, 'template.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await database.close();
  project.provide('pgliteTemplate', file);
  project.provide('postgresTemplate', '');
  return () => rmSync(dir, { recursive: true, force: true });
}
