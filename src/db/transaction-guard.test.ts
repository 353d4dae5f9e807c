// The transaction guard on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): a query
// through the root executor inside an open transaction fails at once, naming where the transaction
// began and where the stray query was issued. Without the guard the planted read below waits for its
// own transaction on PGlite for good (the test would time out) and reads beside it on PostgreSQL.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/database.ts';
import type { Database } from './database.ts';
import { onStrayQuery, outsideTransaction, StrayQueryError } from './transaction-guard.ts';
import type { DB } from './types.ts';

let database: Database;
const strays: StrayQueryError[] = [];
let stopWatching: () => void;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.executeSql('create table guard_probe (n int)');
  stopWatching = onStrayQuery((error) => strays.push(error));
});
afterAll(async () => {
  stopWatching();
  await database.close();
});

/** The planted bug: a read through the root executor, called from inside a transaction. */
async function plantedRootRead(db: Kysely<DB>) {
  return sql`select count(*) as n from guard_probe`.execute(db);
}

/** Opens the transaction the planted read runs in. */
async function openTheTransaction<T>(work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return database.db.transaction().execute(work);
}

const rows = async () =>
  Number(
    ((await database.executeSql('select count(*)::int as n from guard_probe')).rows[0] as { n: number }).n,
  );

/** The stack section of the message that follows `heading`, up to the next heading. */
const section = (message: string, heading: string) => message.split(heading)[1]!.split('The ')[0]!;

describe('the transaction guard', () => {
  it('fails a planted root read inside a transaction at once, with both stacks, and rolls the transaction back', async () => {
    strays.length = 0;
    const started = performance.now();
    const error = await openTheTransaction(async (trx) => {
      await sql`insert into guard_probe values (1)`.execute(trx);
      await plantedRootRead(database.db);
    }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;

    expect(error).toBeInstanceOf(StrayQueryError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^a query through the root executor while this async context holds an open transaction/,
    );
    expect(section(message, 'The transaction began:')).toContain('openTheTransaction');
    expect(section(message, 'The transaction began:')).toContain('src/db/transaction-guard.test.ts');
    expect(section(message, 'The stray query was issued:')).toContain('plantedRootRead');
    // Fails at once rather than after any timeout (PGlite's wait limit is 5 s).
    expect(elapsed).toBeLessThan(1_000);
    expect(strays).toEqual([error]);
    // The transaction rolled back, and the database answers.
    expect(await rows()).toBe(0);
  });

  it('fails raw SQL (the executor pg-boss and scripts use) inside a transaction the same way', async () => {
    const error = await openTheTransaction(async () => {
      await database.executeSql('select 1');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrayQueryError);
    expect((error as Error).message).toMatch(/^a raw statement through the root executor/);
  });

  it('fails a transaction opened through the root executor inside another', async () => {
    const error = await openTheTransaction(async () => {
      await database.db.transaction().execute(async (inner) => sql`select 1`.execute(inner));
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrayQueryError);
    expect((error as Error).message).toMatch(/^a transaction opened through the root executor/);
  });

  it('leaves alone the transaction’s own statements, other async contexts, and work that runs after the commit', async () => {
    strays.length = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let afterCommit: Promise<unknown> | undefined;
    const transaction = openTheTransaction(async (trx) => {
      await sql`insert into guard_probe values (2)`.execute(trx);
      await gate;
      // Started inside, runs once the transaction has ended (a timer, a fire-and-forget wake-up).
      afterCommit = new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
        plantedRootRead(database.db),
      );
      return (await sql<{ n: number }>`select count(*)::int as n from guard_probe`.execute(trx)).rows[0]!.n;
    });
    // Another request's context: it waits for the session on PGlite, runs beside on PostgreSQL — never flagged.
    const elsewhere = plantedRootRead(database.db);
    release();
    expect(await transaction).toBe(1);
    await elsewhere;
    await afterCommit;
    expect(strays).toEqual([]);
    await database.executeSql('delete from guard_probe');
  });

  it('lets work be taken out of the transaction’s context deliberately (outsideTransaction)', async () => {
    const detached = await openTheTransaction(async () =>
      // Not awaited inside: on PGlite it waits for the session this transaction holds.
      ({ read: outsideTransaction(() => plantedRootRead(database.db)) }),
    );
    await expect(detached.read).resolves.toBeDefined();
  });

  it('leaves alone queries on another database (a second gateway or pool waits for nothing of this one)', async () => {
    const other = await createTestDatabase();
    try {
      const answered = await openTheTransaction(async () => {
        await other.executeSql('select 1');
        return (await sql<{ two: number }>`select 2 as two`.execute(other.db)).rows[0]!.two;
      });
      expect(answered).toBe(2);
      // A stray on this database is still caught from inside the other's transaction.
      const error = await openTheTransaction(async () =>
        other.db.transaction().execute(async () => plantedRootRead(database.db)),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StrayQueryError);
    } finally {
      await other.close();
    }
  });

  it('refuses controlled transactions, which the guard cannot see', () => {
    expect(() => database.db.startTransaction()).toThrow(/transaction\(\)\.execute/);
  });
});
