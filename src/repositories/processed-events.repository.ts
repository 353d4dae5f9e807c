// SQL for the dedupe of incoming webhooks: the first delivery of an event key inserts its row.
import type { Executor } from '../deps.ts';

export const processedEventsRepository = {
  /** True for the first delivery of this key; a repeat finds the row and gets false. */
  async firstDelivery(db: Executor, key: string, now: Date): Promise<boolean> {
    const row = await db
      .insertInto('processed_events')
      .values({ key, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    return row !== undefined;
  },
};
