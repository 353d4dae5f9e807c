// Opens the transaction of a business action in plain sight, and runs what it recorded for after the
// commit (src/effects/events.ts). PostgreSQL may abort one of two transactions that wait on each other
// (deadlock) or on a serialization conflict, or refuse a statement prepared before another instance
// changed the schema; the action is then run again from the start with a fresh event log, which is safe
// because nothing of the aborted attempt was kept.
import type { Deps, Executor } from '../deps.ts';
import { isStalePreparedStatement } from '../db/prepared-statements.ts';
import { EventLog } from '../effects/events.ts';

const RETRYABLE = new Set(['40P01', '40001']);
const retryable = (error: unknown) =>
  RETRYABLE.has((error as { code?: string }).code ?? '') || isStalePreparedStatement(error);

export async function inTransaction<T>(
  deps: Deps,
  action: (trx: Executor, events: EventLog) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const events = new EventLog();
    let result: T;
    try {
      result = await deps.db.transaction().execute((trx) => action(trx as unknown as Executor, events));
    } catch (error) {
      if (!retryable(error) || attempt >= 5) throw error;
      continue;
    }
    await deps.effects.run(events.events);
    return result;
  }
}

/** True for a PostgreSQL unique violation, optionally of the named constraint/index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e.code !== '23505') return false;
  return !constraint || e.constraint === constraint || (e.message ?? '').includes(constraint);
}
