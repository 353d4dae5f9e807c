// The transaction guard: a query through the root executor (`deps.db`, the raw SQL of pg-boss and
// scripts) while the same async context holds an open transaction fails at once. On PGlite such a query
// waits for the one session its own transaction holds — both wait for good, and the whole service with
// them; on PostgreSQL it reads outside the transaction's snapshot and takes a second pooled connection,
// so enough of them at once empty the pool and wait on each other. Either way it is a bug in the caller,
// which must use the transaction's executor: the error names where the transaction began and where the
// stray query was issued.
//
// Each database has its own guard (a query on another database waits for nothing of this one). The
// transaction's async context is marked with AsyncLocalStorage around `transaction().execute()`;
// the mark counts only while the transaction is open, so work started inside it that runs after the
// commit (a timer, a fire-and-forget wake-up) is not flagged. Effects recorded for after the commit run
// outside the mark altogether (src/commands/transaction.ts runs them after `execute` returned).
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Kysely,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type KyselyConfig,
  type QueryCompiler,
  type TransactionBuilder,
  type TransactionSettings,
} from 'kysely';

/** An open (or opening) transaction as the guard knows it. */
export class TransactionMark {
  /** Where the transaction began: captured once, formatted only when it is reported. */
  readonly began: Error;
  /** From the driver's BEGIN to the end of `execute`: only then is a root query a stray one. */
  open = false;
  /** The database it belongs to: a query on another database waits for nothing of this one. */
  readonly guard: TransactionGuard;
  /** The transaction (of another database) whose context this one began in, if any. */
  readonly outer: TransactionMark | undefined;

  constructor(guard: TransactionGuard, outer: TransactionMark | undefined) {
    this.guard = guard;
    this.outer = outer;
    // Taken for every transaction, so kept short: the transaction's opener is a few frames up (the
    // stray query's stack, taken only on failure, runs through Kysely's query builder and needs more).
    this.began = captureStack('transaction began', 20);
  }

  /** The application frames that began it (no data: function names and source lines). */
  origin(frames = 4): string[] {
    return applicationFrames(this.began).slice(0, frames);
  }
}

const scope = new AsyncLocalStorage<TransactionMark>();

/** The innermost open transaction the current async context holds, of any database. */
export function openTransaction(): TransactionMark | undefined {
  for (let mark = scope.getStore(); mark; mark = mark.outer) if (mark.open) return mark;
  return undefined;
}

/** A query (or a transaction) through the root executor while this async context holds a transaction. */
export class StrayQueryError extends Error {
  override name = 'StrayQueryError';
  readonly code = 'stray_query';

  constructor(mark: TransactionMark, what: string) {
    const issued = captureStack('stray query issued');
    super(
      `${what} through the root executor while this async context holds an open transaction; ` +
        `use the transaction's executor (trx), or run the work after the commit.\n` +
        `The transaction began:\n${indent(applicationFrames(mark.began))}\n` +
        `The stray query was issued:\n${indent(applicationFrames(issued))}`,
    );
  }
}

const listeners = new Set<(error: StrayQueryError) => void>();

/**
 * Tells `listener` about every stray query (it is thrown as well); the service logs them, tests fail
 * on them. Returns the function that stops it.
 */
export function onStrayQuery(listener: (error: StrayQueryError) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** One database's guard: its transactions mark their async context, its root queries check the marks. */
export class TransactionGuard {
  /** The root Kysely handle of a database whose dialect is `inner`. */
  kysely<DB>(inner: Dialect): Kysely<DB> {
    return new GuardedKysely<DB>(this, { dialect: new GuardedDialect(inner, this) });
  }

  /** Throws StrayQueryError when this async context holds an open transaction of this database. */
  assertOutside(what: string): void {
    let mark = scope.getStore();
    while (mark && !(mark.open && mark.guard === this)) mark = mark.outer;
    if (!mark) return;
    const error = new StrayQueryError(mark, what);
    for (const listener of listeners) listener(error);
    throw error;
  }

  /** Runs `execute` (a transaction's whole life) marked as this transaction's async context. */
  async run<T>(execute: () => Promise<T>): Promise<T> {
    // A transaction opened through the root executor inside another one waits for the first on PGlite.
    this.assertOutside('a transaction opened');
    const mark = new TransactionMark(this, scope.getStore());
    return scope.run(mark, async () => {
      try {
        return await execute();
      } finally {
        mark.open = false;
      }
    });
  }
}

/**
 * Work started from inside a transaction that deliberately belongs to no transaction (a loop's timer, a
 * fire-and-forget wake-up; prefer an effect recorded for after the commit). The transaction must never
 * await it: on PGlite its statements wait for the session the transaction holds.
 */
export function outsideTransaction<T>(work: () => T): T {
  return scope.exit(work);
}

/**
 * The root Kysely handle: its transactions mark their async context. Controlled transactions
 * (`startTransaction`) have no callback to mark, so they are refused.
 */
class GuardedKysely<DB> extends Kysely<DB> {
  private readonly guard: TransactionGuard;

  constructor(guard: TransactionGuard, config: KyselyConfig) {
    super(config);
    this.guard = guard;
  }

  override transaction(): TransactionBuilder<DB> {
    return marked(super.transaction(), this.guard);
  }

  override startTransaction(): never {
    throw new Error('use transaction().execute(): a controlled transaction escapes the transaction guard');
  }
}

function marked<DB>(builder: TransactionBuilder<DB>, guard: TransactionGuard): TransactionBuilder<DB> {
  return new Proxy(builder, {
    get(target, key) {
      if (key === 'execute') {
        return (callback: Parameters<TransactionBuilder<DB>['execute']>[0]) =>
          guard.run(() => target.execute(callback));
      }
      if (key === 'setIsolationLevel' || key === 'setAccessMode') {
        return (value: never) => marked(target[key](value), guard);
      }
      // The builder keeps its state in private fields: its own methods must see the builder itself.
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Wraps a dialect so that a root query in a transaction's open context fails (see the top). */
class GuardedDialect implements Dialect {
  private readonly inner: Dialect;
  private readonly guard: TransactionGuard;

  constructor(inner: Dialect, guard: TransactionGuard) {
    this.inner = inner;
    this.guard = guard;
  }

  createDriver(): Driver {
    return new GuardedDriver(this.inner.createDriver(), this.guard);
  }
  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }
  createAdapter() {
    return this.inner.createAdapter();
  }
  createIntrospector(db: Parameters<Dialect['createIntrospector']>[0]) {
    return this.inner.createIntrospector(db);
  }
}

/**
 * Kysely acquires a connection for every root query and once per transaction; a transaction's own
 * statements run on the connection it acquired. So a connection asked for while the context's
 * transaction is open can only be a stray query's (or a nested transaction's).
 */
class GuardedDriver implements Driver {
  private readonly inner: Driver;
  private readonly guard: TransactionGuard;

  constructor(inner: Driver, guard: TransactionGuard) {
    this.inner = inner;
    this.guard = guard;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    this.guard.assertOutside('a query');
    return this.inner.acquireConnection();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // Kysely calls this in the context TransactionGuard.run set up (the transaction's own connection was
    // acquired before, unflagged); from here on a root query in this context is a stray one.
    const mark = scope.getStore();
    if (mark && mark.guard === this.guard && !mark.open) mark.open = true;
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/**
 * A stack deep enough to reach the application's frames under Kysely's own (the default 10 frames end
 * inside the query builder).
 */
function captureStack(label: string, frames = 60): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  try {
    return new Error(label);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The frames of a stack outside libraries, Node's internals and this file, paths from the project root. */
function applicationFrames(error: Error): string[] {
  return (error.stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter(
      (line) =>
        line.startsWith('at ') &&
        !line.includes('/node_modules/') &&
        !line.includes('node:') &&
        !line.includes('transaction-guard.ts'),
    )
    .map((line) => line.replace(/(file:\/\/)?\/[^\s()]*?\/(src|test|bench)\//, '$2/'));
}

const indent = (lines: string[]) => lines.map((line) => `    ${line}`).join('\n');
