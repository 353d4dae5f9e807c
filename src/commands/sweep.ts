// The shape of every job: find what is due at `now`, then handle each item in its own transaction
// after claiming it with a conditional update, so two sweeps running at once (two instances, a cron
// run and a wake-up) never handle one item twice. One item failing does not stop the others; the
// sweep then throws, so the job is retried and shows as failed. A job with thousands of items due at
// once (session reminders) claims and handles them a batch per transaction (sweepInBatches).
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

/** A sweep that claims many items in one statement (see sweepInBatches). */
export interface BatchedSweep<T, C> {
  /** Claims up to `limit` due items; rows other sweeps hold are skipped (FOR UPDATE SKIP LOCKED). */
  claim: (trx: Executor, limit: number) => Promise<C[]>;
  /** Does the work of claimed items, in the claim's transaction. */
  handle: (trx: Executor, events: EventLog, claimed: C[]) => Promise<void>;
  /** The item-at-a-time form, for a batch that failed: what is due, and the claim of one item. */
  due: (limit: number) => Promise<T[]>;
  claimOne: (trx: Executor, item: T) => Promise<C | undefined>;
}

/**
 * Claims and handles up to BATCH items per transaction, until a claim comes back short: a few round
 * trips and one commit per batch instead of per item. The claim and the work commit together, so an
 * item is handled once or, rolled back with its batch, stays due. A batch that fails is not retried
 * whole: the rest of the run goes item by item (sweepDue), so one bad item fails alone, as there.
 */
export async function sweepInBatches<T, C>(deps: Deps, sweep: BatchedSweep<T, C>): Promise<number> {
  let handled = 0;
  for (;;) {
    let claimed: number;
    try {
      claimed = await inTransaction(deps, async (trx, events) => {
        const items = await sweep.claim(trx, BATCH);
        if (items.length) await sweep.handle(trx, events, items);
        return items.length;
      });
    } catch (error) {
      deps.log.warn({ err: { code: (error as { code?: string }).code } }, 'sweep batch failed');
      try {
        return handled + (await sweepDue(deps, sweep.due, handleOne));
      } catch (failure) {
        if (failure instanceof SweepFailed) throw new SweepFailed(handled + failure.handled, failure.failed);
        throw failure;
      }
    }
    handled += claimed;
    if (claimed < BATCH) return handled;
  }

  async function handleOne(trx: Executor, events: EventLog, item: T): Promise<boolean> {
    const claimed = await sweep.claimOne(trx, item);
    if (claimed === undefined) return false;
    await sweep.handle(trx, events, [claimed]);
    return true;
  }
}
