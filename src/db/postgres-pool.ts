// The PostgreSQL pool, with a watchdog for a database that stops answering without closing anything (a
// stopped server, a dead network link). node-postgres waits on such a connection for as long as TCP keeps
// it open — many minutes — so every request would hang and the pool would fill with dead connections.
//
// The watchdog looks at everything waiting on the database (a statement, or a caller waiting for a
// connection). Once something has waited `stallMs`, it asks the database on a fresh connection, within
// `probeTimeoutMs`, which of the stalled statements' server sessions still exist:
// - no answer: the database is unreachable. Every wait fails at once with DatabaseUnreachableError (the
//   HTTP layer answers 503), every pooled connection is dropped, and new work fails at once until a
//   check (once per `stallMs`) gets an answer again;
// - an answer: a statement whose session is gone (its connection died silently while the database stayed
//   up) fails and its connection is dropped; slow statements on live sessions run on, left to the server's
//   `statement_timeout`.
// A dropped connection takes its open transaction with it: PostgreSQL rolls it back when it sees the
// connection gone. Only a COMMIT already on its way may still take effect with its answer lost — the
// caller got an error, as on any network failure; the actions are safe to repeat (a repeated booking
// meets its own slot taken).
import type { Socket } from 'node:net';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { PreparingClient } from './prepared-statements.ts';

export interface PoolSettings {
  size: number;
  /** A wait on the database this long makes the watchdog check that the database answers. */
  stallMs: number;
  /** How long that check may take before the database counts as unreachable. */
  probeTimeoutMs: number;
  /** PostgreSQL cancels a statement running longer than this (its statement_timeout). */
  statementTimeoutMs: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  size: 10,
  stallMs: 1_000,
  probeTimeoutMs: 1_500,
  statementTimeoutMs: 15_000,
};

/** The name the service's connections carry in pg_stat_activity. */
export const APPLICATION_NAME = 'hraniteli';

export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
  /** SQLSTATE connection_failure: the HTTP layer answers 503 for class 08. */
  readonly code = '08006';
}

export interface PoolEvents {
  /** The database stopped answering (true) or answers again (false). */
  onReachability?(unreachable: boolean): void;
}

interface Wait {
  since: number;
  /** The server session a statement runs in; none while waiting for a connection. */
  pid?: number;
  fail(error: Error): void;
}

type Probe = { reachable: false } | { reachable: true; live: Set<number> | null };

const socketOf = (client: pg.ClientBase) =>
  (client as unknown as { connection: { stream: Socket } }).connection.stream;

/** An error the server itself sent (a SQLSTATE), other than "cannot connect now" and connection errors. */
function serverAnswered(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    !code.startsWith('08') &&
    !code.startsWith('57P')
  );
}

/** A checked-out connection as Kysely and executeSql use it: a statement on it is watched while it runs. */
export class GuardedClient implements PostgresPoolClient {
  private readonly guard: GuardedPool;
  private readonly client: pg.PoolClient;

  constructor(guard: GuardedPool, client: pg.PoolClient) {
    this.guard = guard;
    this.client = client;
  }

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sql: string | PostgresCursor<R>,
    parameters: readonly unknown[] = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sql !== 'string') throw new Error('streaming is not set up on this pool');
    return this.run(sql, parameters) as Promise<PostgresQueryResult<R>>;
  }

  async run(sql: string, parameters: readonly unknown[]): Promise<pg.QueryResult> {
    const dropped = this.guard.droppedWith(this.client);
    if (dropped) throw dropped;
    const wait: Wait = {
      since: Date.now(),
      pid: (this.client as unknown as { processID: number }).processID,
      fail: (error) => this.guard.drop(this.client, error),
    };
    this.guard.waits.add(wait);
    try {
      return await this.client.query(sql, parameters as unknown[]);
    } catch (error) {
      // The statement died with the connection: say why, not "connection terminated".
      throw this.guard.droppedWith(this.client) ?? error;
    } finally {
      this.guard.waits.delete(wait);
    }
  }

  /** Back to the pool; a dropped connection (or one the caller wants gone) leaves it. */
  release(destroy?: boolean): void {
    this.client.release(Boolean(destroy) || this.guard.droppedWith(this.client) !== undefined);
  }
}

export class GuardedPool implements PostgresPool {
  readonly options: pg.PoolConfig;
  readonly waits = new Set<Wait>();
  private readonly pool: pg.Pool;
  private readonly settings: PoolSettings;
  private readonly events: PoolEvents;
  private readonly clients = new Set<pg.ClientBase>();
  private readonly dropped = new WeakMap<pg.ClientBase, Error>();
  private readonly timer: NodeJS.Timeout;
  private unreachable = false;
  private probing = false;
  private lastProbe = 0;

  constructor(connectionString: string, settings: PoolSettings, events: PoolEvents = {}) {
    this.settings = settings;
    this.events = events;
    this.options = {
      // Statements with parameters are prepared once per connection (prepared-statements.ts).
      Client: PreparingClient,
      connectionString,
      max: settings.size,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: settings.statementTimeoutMs,
      application_name: APPLICATION_NAME,
      // Idle connections to a host that vanished are found by the kernel's keepalive probes.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    };
    this.pool = new pg.Pool(this.options);
    // A dropped idle connection must not take the process down; the next query reconnects.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => {
      this.clients.add(client);
      // Nor one dropped while checked out between two queries (a transaction running code, a query about
      // to start): the pool listens only to idle clients, and an 'error' nobody listens to ends the
      // process — PostgreSQL stopping under load did that (R7). The query on it fails (→ 503) and the pool
      // discards it.
      client.on('error', () => {});
    });
    this.pool.on('remove', (client) => this.clients.delete(client));
    this.timer = setInterval(() => void this.watch(), Math.max(50, Math.min(250, settings.stallMs / 4)));
    this.timer.unref();
  }

  /** A connection from the pool; fails at once while the database is unreachable. */
  connect(): Promise<GuardedClient> {
    if (this.unreachable) return Promise.reject(new DatabaseUnreachableError('the database does not answer'));
    return new Promise((resolve, reject) => {
      let settled = false;
      const wait: Wait = {
        since: Date.now(),
        fail: (error) => {
          if (settled) return;
          settled = true;
          this.waits.delete(wait);
          reject(error);
        },
      };
      this.waits.add(wait);
      this.pool.connect().then(
        (client) => {
          // Given up on meanwhile: the connection is back for the next caller.
          if (settled) return client.release();
          settled = true;
          this.waits.delete(wait);
          resolve(new GuardedClient(this, client));
        },
        (error: unknown) => wait.fail(error as Error),
      );
    });
  }

  /** One statement on a connection of its own (pg-boss and scripts). */
  async query(sql: string, parameters: readonly unknown[] = []): Promise<pg.QueryResult> {
    const client = await this.connect();
    let failed = false;
    try {
      return await client.run(sql, parameters);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // As pg's pool.query does: a connection that saw an error is not reused.
      client.release(failed);
    }
  }

  async end(): Promise<void> {
    // The watchdog runs until the end: the pool waits for its connections, one may be stuck on a silence.
    await this.pool.end();
    clearInterval(this.timer);
  }

  droppedWith(client: pg.ClientBase): Error | undefined {
    return this.dropped.get(client);
  }

  /** Fails whatever runs on the connection with `error` and closes its socket; the pool then discards it. */
  drop(client: pg.ClientBase, error: Error): void {
    if (this.dropped.has(client)) return;
    this.dropped.set(client, error);
    socketOf(client).destroy(error);
  }

  private async watch(): Promise<void> {
    if (this.probing) return;
    const now = Date.now();
    const stalled = [...this.waits].filter((wait) => now - wait.since >= this.settings.stallMs);
    if (!this.unreachable && stalled.length === 0) return;
    if (now - this.lastProbe < this.settings.stallMs) return;
    this.probing = true;
    this.lastProbe = now;
    try {
      const pids = stalled.flatMap((wait) => (wait.pid ? [wait.pid] : []));
      const probe = await this.probe(pids);
      if (!probe.reachable) {
        if (!this.unreachable) {
          this.unreachable = true;
          this.events.onReachability?.(true);
        }
        const error = new DatabaseUnreachableError('the database stopped answering');
        for (const wait of [...this.waits]) wait.fail(error);
        for (const client of this.clients) this.drop(client, error);
        return;
      }
      if (this.unreachable) {
        this.unreachable = false;
        this.events.onReachability?.(false);
      }
      if (!probe.live) return;
      for (const wait of stalled) {
        if (wait.pid && !probe.live.has(wait.pid)) {
          wait.fail(new DatabaseUnreachableError('the connection to the database died'));
        }
      }
    } finally {
      this.probing = false;
    }
  }

  /** Asks the database on a fresh connection which of these server sessions exist. */
  private async probe(pids: number[]): Promise<Probe> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: APPLICATION_NAME,
    });
    client.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.settings.probeTimeoutMs);
    });
    const asked = (async () => {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>(
        'select pid from pg_stat_activity where pid = any($1::int[])',
        [pids],
      );
      return new Set(rows.map((row) => row.pid));
    })();
    let answered = false;
    try {
      const live = await Promise.race([asked, timedOut]);
      if (live === 'timeout') return { reachable: false };
      answered = true;
      return { reachable: true, live };
    } catch (error) {
      // Refused, reset, shutting down: unreachable. Any other answer (too many connections …) is the
      // database answering, though it could not tell about the sessions.
      return serverAnswered(error) ? { reachable: true, live: null } : { reachable: false };
    } finally {
      clearTimeout(timer);
      asked.catch(() => {});
      if (answered) client.end().catch(() => {});
      else socketOf(client).destroy();
    }
  }
}
