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

/**
 * Serializes access to the PGlite session: a holder runs alone until it releases, and waiters get the
 * session strictly in the order they asked for it. A queue rather than a chain of promises: the hand-over
 * is one direct call, so under load no waiter is overtaken or left behind a growing chain.
 */
export class PgliteGateway {
  private held = false;
  private readonly waiters: (((release: () => void) => void) | undefined)[] = [];
  /** Index of the next waiter: shifting a long array on every hand-over would copy it each time. */
  private head = 0;
  readonly pglite: PGlite;

  constructor(pglite: PGlite) {
    this.pglite = pglite;
  }

  /** Waits for the session and returns the function that gives it back (calling it twice is harmless). */
  acquire(): Promise<() => void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.waiters.push(resolve));
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
      this.held = false;
      this.waiters.length = 0;
      this.head = 0;
      return;
    }
    this.waiters[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    next(this.releaser());
  }

  /** One statement (or a parameterless multi-statement script) with the session to itself. */
  async run(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: unknown[]; affectedRows?: number }> {
    const release = await this.acquire();
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

class PgliteConnection implements DatabaseConnection {
  private release: (() => void) | null = null;
  private readonly gateway: PgliteGateway;

  constructor(gateway: PgliteGateway) {
    this.gateway = gateway;
  }

  async begin(settings: TransactionSettings): Promise<void> {
    this.release = await this.gateway.acquire();
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
