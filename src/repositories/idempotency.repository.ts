// SQL for Idempotency-Key rows. The key row is inserted first thing in the action's transaction; a
// concurrent retry blocks on the unique key until the first commits, then reads its stored answer.
import type { Executor } from '../deps.ts';

export interface StoredAnswer {
  bodyHash: string | null;
  response: unknown;
}

export const idempotencyRepository = {
  /** Takes the key for this body; false when a live (unexpired) row holds it already. */
  async claim(trx: Executor, key: string, bodyHash: string, now: Date, expiresAt: Date): Promise<boolean> {
    // An expired key is free again: its row goes before the insert, in the same transaction.
    await trx.deleteFrom('idempotency_keys').where('key', '=', key).where('expires_at', '<=', now).execute();
    const row = await trx
      .insertInto('idempotency_keys')
      .values({ key, body_hash: bodyHash, expires_at: expiresAt, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    return row !== undefined;
  },

  async storeAnswer(trx: Executor, key: string, response: unknown, now: Date): Promise<void> {
    await trx
      .updateTable('idempotency_keys')
      .set({ response: JSON.stringify(response), status_code: 200, updated_at: now })
      .where('key', '=', key)
      .execute();
  },

  async find(db: Executor, key: string): Promise<StoredAnswer | undefined> {
    const row = await db
      .selectFrom('idempotency_keys')
      .select(['body_hash', 'response'])
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { bodyHash: row.body_hash, response: row.response };
  },
};
