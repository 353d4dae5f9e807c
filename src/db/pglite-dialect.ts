// A Kysely dialect over one PGlite instance. PGlite is a single session: a statement sent while some
// other caller's transaction is open would run inside it. So every caller (Kysely and pg-boss alike)
// goes through one gateway that lets a transaction hold the session exclusively until it ends.
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { openTransaction } from './transaction-guard.ts';

/** Who holds the session: what began a transaction, or a single statement's first word — never data. */
export interface SessionHolder {
  kind: 'transaction' | 'statement' | 'close';
  /** A transaction: the application frames that began it; a statement: its first keyword. */
  what: string[];
  /** When it took the session. */
  since: number;
}

/** What the gateway tells when a wait for the session ran out. */
export interface SessionWaitReport {
  holder: SessionHolder | null;
  heldMs: number;
  /** Waits that failed this time. */
  failed: number;
  /** Waits still queued behind them. */
  queued: number;
}

export interface GatewaySettings {
  /** A wait for the session longer than this fails with DatabaseBusyError (503). */
  waitMs: number;
  /** Called when waits ran out, at most once per `waitMs` (the service logs it). */
  onWaitExpired?(report: SessionWaitReport): void;
}

export const DEFAULT_PGLITE_WAIT_MS = 5_000;

/**
 * The session has been held longer than a caller may wait: like the PostgreSQL pool's watchdog, the
 * caller gets an error the HTTP layer answers with 503 instead of a request that never ends.
 */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError';
  /** SQLSTATE class 08 (connection exception): the HTTP layer answers 503 for it. */
  readonly code = '08004';
}

interface Waiter {
  since: number;
  owner: SessionHolder;
  grant(release: () => void): void;
  fail(error: Error): void;
}

/**
 * Serializes access to the PGlite session: a holder runs alone until it releases, and waiters get the
 * session strictly in the order they asked for it. A queue rather than a chain of promises: the hand-over
 * is one direct call, so under load no waiter is overtaken or left behind a growing chain.
 *
 * A wait is bounded (`waitMs`): a holder that never gives the session back (a transaction waiting for
 * something that waits for it) must not stop the whole service silently. The waits that ran out fail,
 * and the holder is reported by what began it, so the stall can be found.
 */
export class PgliteGateway {
  private holder: SessionHolder | null = null;
  private readonly waiters: (Waiter | undefined)[] = [];
  /** Index of the next waiter: shifting a long array on every hand-over would copy it each time. */
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When a wait that ran out was last reported: at most once per `waitMs`, however many fail. */
  private reportedAt = -Infinity;
  readonly pglite: PGlite;
  private readonly settings: GatewaySettings;

  constructor(pglite: PGlite, settings: GatewaySettings = { waitMs: DEFAULT_PGLITE_WAIT_MS }) {
    this.pglite = pglite;
    this.settings = settings;
  }

  /**
   * Waits for the session and returns the function that gives it back (calling it twice is harmless).
   * `owner` says who will hold it, for the report of a wait that ran out.
   */
  acquire(owner: SessionHolder = statementHolder('')): Promise<() => void> {
    if (!this.holder) {
      this.holder = owner;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ since: Date.now(), owner, grant: resolve, fail: reject });
      this.timer ??= setTimeout(() => this.expireWaits(), this.settings.waitMs).unref();
    });
  }

  /** Who holds the session now (null: nobody). */
  currentHolder(): SessionHolder | null {
    return this.holder;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handOver();
    };
  }

  private handOver(): void {
    const next = this.waiters[this.head];
    if (!next) {
      this.holder = null;
      this.waiters.length = 0;
      this.head = 0;
      return;
    }
    this.waiters[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    this.holder = { ...next.owner, since: Date.now() };
    next.grant(this.releaser());
  }

  /** Fails the waits older than `waitMs` (always the front of the queue) and reports the holder. */
  private expireWaits(): void {
    this.timer = undefined;
    const now = Date.now();
    const cutoff = now - this.settings.waitMs;
    let failed = 0;
    const holder = this.holder;
    const error = new DatabaseBusyError(
      `gave up waiting ${this.settings.waitMs} ms for the embedded database, held for ` +
        `${holder ? now - holder.since : 0} ms by a ${holder?.kind ?? 'caller'} (${holder?.what.join(' ← ') ?? '?'})`,
    );
    for (;;) {
      const waiter = this.waiters[this.head];
      if (!waiter || waiter.since > cutoff) break;
      this.waiters[this.head++] = undefined;
      waiter.fail(error);
      failed++;
    }
    const next = this.waiters[this.head];
    if (next)
      this.timer = setTimeout(() => this.expireWaits(), next.since + this.settings.waitMs - now).unref();
    else {
      this.waiters.length = 0;
      this.head = 0;
    }
    if (failed && now - this.reportedAt >= this.settings.waitMs) {
      this.reportedAt = now;
      this.settings.onWaitExpired?.({
        holder,
        heldMs: holder ? now - holder.since : 0,
        failed,
        queued: this.waiters.length - this.head,
      });
    }
  }

  /** One statement (or a parameterless multi-statement script) with the session to itself. */
  async run(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: unknown[]; affectedRows?: number }> {
    const release = await this.acquire(statementHolder(sql));
    try {
      return await this.runHeld(sql, params);
    } catch (error) {
      // A script with its own BEGIN … COMMIT (pg-boss's locked blocks) that failed half-way leaves the
      // one session in an aborted transaction; a pool would drop that connection, here it is rolled back.
      if (params.length === 0 && sql.includes(';')) await this.pglite.exec('rollback').catch(() => {});
      throw error;
    } finally {
      release();
    }
  }

  /** A statement by a caller already holding the session. */
  async runHeld(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: unknown[]; affectedRows?: number }> {
    if (params.length === 0 && sql.includes(';')) {
      const results = await this.pglite.exec(sql);
      return { rows: results.flatMap((r) => r.rows) };
    }
    return this.pglite.query(sql, params as unknown[]);
  }
}

/** A statement holding the session, named by its first keyword (the rest may carry data). */
function statementHolder(sql: string): SessionHolder {
  return {
    kind: 'statement',
    what: [/^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'statement'],
    since: Date.now(),
  };
}

class PgliteConnection implements DatabaseConnection {
  private release: (() => void) | null = null;
  private readonly gateway: PgliteGateway;

  constructor(gateway: PgliteGateway) {
    this.gateway = gateway;
  }

  async begin(settings: TransactionSettings): Promise<void> {
    const mark = openTransaction();
    this.release = await this.gateway.acquire({
      kind: 'transaction',
      what: mark?.origin() ?? ['a transaction outside the guard (a migration)'],
      since: Date.now(),
    });
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    const mode = settings.accessMode ? ` ${settings.accessMode}` : '';
    try {
      await this.gateway.runHeld(`begin${isolation}${mode}`);
    } catch (error) {
      this.end();
      throw error;
    }
  }

  async finish(statement: 'commit' | 'rollback'): Promise<void> {
    try {
      await this.gateway.runHeld(statement);
    } finally {
      this.end();
    }
  }

  private end(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = this.release
      ? await this.gateway.runHeld(compiled.sql, compiled.parameters)
      : await this.gateway.run(compiled.sql, compiled.parameters);
    const isWrite = /^\s*(insert|update|delete|merge)/i.test(compiled.sql);
    return {
      rows: result.rows as R[],
      ...(isWrite && result.affectedRows !== undefined
        ? { numAffectedRows: BigInt(result.affectedRows) }
        : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on the embedded database');
  }
}

class PgliteDriver implements Driver {
  private readonly gateway: PgliteGateway;
  constructor(gateway: PgliteGateway) {
    this.gateway = gateway;
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new PgliteConnection(this.gateway);
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PgliteConnection).begin(settings);
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).finish('commit');
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PgliteConnection).finish('rollback');
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

export class PgliteDialect implements Dialect {
  private readonly gateway: PgliteGateway;
  constructor(gateway: PgliteGateway) {
    this.gateway = gateway;
  }
  createDriver(): Driver {
    return new PgliteDriver(this.gateway);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's Dialect signature takes any schema
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
}
