// Idempotency-Key support: a retried submission returns the first answer instead of acting twice.
// The key row is inserted first thing in the action's transaction; a concurrent retry blocks on the
// unique key until the first commits, then reads its stored answer.
import type { Executor } from '../deps.ts';

export async function claimIdempotencyKey(trx: Executor, key: string, now: Date): Promise<boolean> {
  const row = await trx
    .insertInto('idempotency_keys')
    .values({ key, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

export async function storeIdempotentResponse(
  trx: Executor,
  key: string,
  response: unknown,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('idempotency_keys')
    .set({ response: JSON.stringify(response), status_code: 200, updated_at: now })
    .where('key', '=', key)
    .execute();
}

export async function storedResponse(db: Executor, key: string): Promise<unknown> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select('response')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.response ?? undefined;
}

/** Thrown inside a transaction to roll it back when the key was already used. */
export class AlreadyProcessed extends Error {}
