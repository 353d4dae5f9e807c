// Prepared statements for the PostgreSQL pool (postgres-pool.ts uses PreparingClient for its connections).
import pg from 'pg';

/**
 * Statements with parameters are prepared once per connection under a name of their text, so that
 * PostgreSQL parses and plans each of them once per connection instead of on every call: planning was
 * most of the database's CPU on the booking path (a taken slot's refusal: ~250 → ~85 µs of it). Statements
 * without parameters (migrations' DDL, often several commands in one text) stay unnamed; pg-boss's,
 * which come through the same pool, are prepared like ours.
 */
const preparedNames = new Map<string, string>();
/** Texts built with a varying number of parameters could name without end: past this, they stay unnamed. */
const MAX_PREPARED = 1_000;
let preparedCount = 0;

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `hraniteli_${++preparedCount}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * A statement prepared before its tables changed shape (another instance migrated): PostgreSQL refuses to
 * run it again ("cached plan must not change result type"). The text gets a new name, so it is prepared
 * anew; outside a transaction it is run again at once, inside one the transaction is (transaction.ts).
 */
export function isStalePreparedStatement(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '0A000' && (e.message ?? '').includes('cached plan must not change result type');
}

export class PreparingClient extends pg.Client {}
type Query = (this: pg.Client, ...args: unknown[]) => Promise<pg.QueryResult>;
const plainQuery = pg.Client.prototype.query as Query;
// One implementation for all of pg's query overloads: only (text, values) calls are changed.
const preparingQuery: Query = function (this: pg.Client, ...args: unknown[]) {
  const [text, values] = args;
  const name =
    args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0
      ? preparedName(text)
      : undefined;
  if (name === undefined) return plainQuery.apply(this, args);
  const outsideTransaction = this.getTransactionStatus() === 'I';
  return plainQuery.call(this, { name, text, values }).catch((error: unknown) => {
    if (!isStalePreparedStatement(error)) throw error;
    preparedNames.delete(text as string);
    if (!outsideTransaction) throw error;
    return plainQuery.call(this, { name: preparedName(text as string), text, values });
  });
};
PreparingClient.prototype.query = preparingQuery as typeof pg.Client.prototype.query;
