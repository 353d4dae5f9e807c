// The shape of every job: find what is due at `now`, then handle each item in its own transaction
// after claiming it with a conditional update, so two sweeps running at once (two instances, a cron
// run and a wake-up) never handle one item twice. One item failing does not stop the others; the
// sweep then throws, so the job is retried and shows as failed.
import type { Deps, Executor } from '../deps.ts';
import type { EventLog } from '../effects/events.ts';
import { inTransaction } from './transaction.ts';

const BATCH = 200;

export class SweepFailed extends Error {
  readonly handled: number;
  readonly failed: number;

  constructor(handled: number, failed: number) {
    super(`${failed} item(s) failed`);
    this.handled = handled;
    this.failed = failed;
  }
}

/**
 * Runs `handle` for every due item, batch after batch until a batch is not full. `handle` returns
 * whether it did anything (false when another sweep had claimed the item first).
 */
export async function sweepDue<T>(
  deps: Deps,
  due: (limit: number) => Promise<T[]>,
  handle: (trx: Executor, events: EventLog, item: T) => Promise<boolean>,
): Promise<number> {
  let handled = 0;
  let failed = 0;
  const seen = new Set<string>();
  for (;;) {
    const batch = (await due(BATCH)).filter((item) => !seen.has(JSON.stringify(item)));
    for (const item of batch) {
      seen.add(JSON.stringify(item));
      try {
        if (await inTransaction(deps, (trx, events) => handle(trx, events, item))) handled++;
      } catch (error) {
        failed++;
        deps.log.error({ err: { code: (error as { code?: string }).code } }, 'sweep item failed');
      }
    }
    if (batch.length < BATCH) break;
  }
  if (failed) throw new SweepFailed(handled, failed);
  return handled;
}
