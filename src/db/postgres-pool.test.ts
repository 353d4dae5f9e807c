// The PostgreSQL pool's watchdog against a real server behind a TCP proxy that turns into a black hole.
// A watchdog that did not work would leave these tests hanging on a silent connection until they time out.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, onPostgres } from '../../test/support/database.ts';
import { TcpProxy } from '../../test/support/tcp-proxy.ts';
import { openPostgres, type Database } from './database.ts';
import { DatabaseUnreachableError } from './postgres-pool.ts';
import { outsideTransaction } from './transaction-guard.ts';

const describeOnPostgres = onPostgres() ? describe : describe.skip;

const SETTINGS = { stallMs: 200, probeTimeoutMs: 300 };

describeOnPostgres('the PostgreSQL pool when the database stops answering', () => {
  let direct: Database & { url?: string };
  let proxy: TcpProxy;
  let url: string;

  beforeAll(async () => {
    direct = await createTestDatabase();
    const target = new URL(direct.url!);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.start();
    target.host = `127.0.0.1:${proxy.port}`;
    url = target.toString();
    await direct.executeSql('create table pool_probe (n int)');
  });

  afterAll(async () => {
    await proxy?.stop();
    await direct?.close();
  });

  it('fails the statement caught by the silence and its transaction, fails new work at once, serves again after', async () => {
    const changes: boolean[] = [];
    const database = openPostgres(url, 4, SETTINGS, {
      onReachability: (unreachable) => changes.push(unreachable),
    });
    try {
      const inTransaction = await database.db
        .transaction()
        .execute(async (trx) => {
          await sql`insert into pool_probe values (1)`.execute(trx);
          proxy.silence();
          await sql`insert into pool_probe values (2)`.execute(trx);
        })
        .catch((error: unknown) => error);
      expect(inTransaction).toBeInstanceOf(DatabaseUnreachableError);
      expect(changes).toEqual([true]);
      // While unreachable, nothing waits for a connection that would not answer.
      expect(await database.executeSql('select 1').catch((error: unknown) => error)).toBeInstanceOf(
        DatabaseUnreachableError,
      );

      proxy.restore();
      for (;;) {
        const answered = await database.executeSql('select 1').then(
          () => true,
          () => false,
        );
        if (answered) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(changes).toEqual([true, false]);
      // No connection is left on a dead socket: more statements at once than the pool has connections.
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) => database.executeSql('select $1::int as i', [i])),
      );
      expect(burst.map((result) => (result.rows[0] as { i: number }).i)).toEqual([...Array(12).keys()]);
      // The dropped connection took its transaction with it.
      expect((await direct.executeSql('select n from pool_probe')).rows).toEqual([]);
    } finally {
      proxy.restore();
      await database.close();
    }
  });

  it('lets a slow statement on a database that answers run to its end', async () => {
    const changes: boolean[] = [];
    const database = openPostgres(url, 2, SETTINGS, {
      onReachability: (unreachable) => changes.push(unreachable),
    });
    try {
      const { rows } = await database.executeSql('select pg_sleep(1) is not null as slept');
      expect(rows).toEqual([{ slept: true }]);
      expect(changes).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('fails a statement whose connection died silently, and nothing else', async () => {
    const changes: boolean[] = [];
    const database = openPostgres(url, 4, SETTINGS, {
      onReachability: (unreachable) => changes.push(unreachable),
    });
    try {
      let outcomes: PromiseSettledResult<unknown>[] = [];
      const failure = await database.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          // The server ends the session, and the proxy keeps that from the pool: the connection looks open.
          proxy.freezeOpen();
          await direct.executeSql('select pg_terminate_backend($1)', [rows[0]!.pid]);
          outcomes = await Promise.allSettled([
            sql`select 1`.execute(trx),
            // Others meanwhile (another request: outside this transaction's context) get connections of
            // their own, which work.
            outsideTransaction(() => database.executeSql('select 2 as two')),
          ]);
        })
        .catch((error: unknown) => error);
      const [stuck, other] = outcomes;
      expect(stuck).toMatchObject({ status: 'rejected', reason: expect.any(DatabaseUnreachableError) });
      expect(((stuck as PromiseRejectedResult).reason as Error).message).toMatch(/died/);
      expect(other).toMatchObject({ status: 'fulfilled', value: { rows: [{ two: 2 }] } });
      // Its transaction cannot commit on a dropped connection.
      expect(failure).toBeInstanceOf(DatabaseUnreachableError);
      expect(changes).toEqual([]);
    } finally {
      proxy.restore();
      await database.close();
    }
  });
});
