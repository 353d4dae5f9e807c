// The PostgreSQL pool prepares each parameterized statement once per connection (database.ts), and a
// statement prepared before another instance changed a table's shape still runs, in a transaction or not.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, onPostgres } from '../../test/support/database.ts';
import { inTransaction } from '../commands/transaction.ts';
import type { Deps } from '../deps.ts';
import { openPostgres, type Database } from './database.ts';

const describeOnPostgres = onPostgres() ? describe : describe.skip;

describeOnPostgres('prepared statements on PostgreSQL', () => {
  let created: Database;
  // One connection, so that a statement prepared by one call is the one the next call meets.
  let one: Database;

  beforeAll(async () => {
    created = await createTestDatabase();
    one = openPostgres((created as Database & { url: string }).url, 1);
    await sql`create table prepared_probe (id int primary key, label text)`.execute(one.db);
    await sql`insert into prepared_probe values (1, 'one'), (2, 'two')`.execute(one.db);
  });
  afterAll(async () => {
    await one?.close();
    await created?.close();
  });

  const probe = (id: number) => sql<Record<string, unknown>>`select * from prepared_probe where id = ${id}`;

  /** Another instance migrating: the change comes through another connection. */
  const otherInstanceAdds = (column: string) =>
    sql`alter table prepared_probe add column ${sql.id(column)} int default 7`.execute(created.db);

  it('prepares a statement with parameters once and reuses it; one without parameters stays unnamed', async () => {
    expect((await probe(1).execute(one.db)).rows).toEqual([{ id: 1, label: 'one' }]);
    expect((await probe(2).execute(one.db)).rows).toEqual([{ id: 2, label: 'two' }]);
    await sql`select 1`.execute(one.db);
    const prepared = await sql<{ name: string; statement: string }>`
      select name, statement from pg_prepared_statements where statement like '%prepared_probe%'
        or statement = 'select 1'`.execute(one.db);
    expect(prepared.rows).toHaveLength(1);
    expect(prepared.rows[0]!.name).toMatch(/^hraniteli_\d+$/);
    expect(prepared.rows[0]!.statement).toContain('where id = $1');
  });

  it('runs a statement prepared before the table changed shape again, outside a transaction', async () => {
    await probe(1).execute(one.db);
    await otherInstanceAdds('extra');
    expect((await probe(1).execute(one.db)).rows).toEqual([{ id: 1, label: 'one', extra: 7 }]);
  });

  it('runs the transaction again when such a statement fails inside it', async () => {
    await probe(2).execute(one.db);
    await otherInstanceAdds('more');
    const deps = { db: one.db, effects: { run: async () => {} } } as unknown as Deps;
    let attempts = 0;
    const row = await inTransaction(deps, async (trx) => {
      attempts++;
      return (await probe(2).execute(trx)).rows[0];
    });
    expect(row).toEqual({ id: 2, label: 'two', extra: 7, more: 7 });
    expect(attempts).toBe(2);
  });
});
