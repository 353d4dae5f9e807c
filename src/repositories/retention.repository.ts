// SQL of the retention job: what is kept only for a while.
import type { Executor } from '../deps.ts';

export const REDACTED_TEXT = '[текст удалён по сроку хранения]';

export const retentionRepository = {
  /** Outbox texts and buttons older than `before` are replaced; the rows (counts, statuses) stay. */
  async redactOutbox(db: Executor, before: Date): Promise<number> {
    const result = await db
      .updateTable('outbox')
      .set({ text: REDACTED_TEXT, buttons: null })
      .where('created_at', '<', before)
      .where('status', '!=', 'pending')
      .where('text', '!=', REDACTED_TEXT)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** Login codes spent or expired before `before`, and failed tries older than it. */
  async deleteOldCodes(db: Executor, now: Date, before: Date): Promise<number> {
    const codes = await db
      .deleteFrom('verification_codes')
      .where((eb) => eb.or([eb('spent_at', '<', before), eb('expires_at', '<', now)]))
      .executeTakeFirst();
    const failures = await db.deleteFrom('verification_failures').where('at', '<', before).executeTakeFirst();
    // A bot link request waits a day for its "share my number" press.
    const requests = await db.deleteFrom('link_requests').where('updated_at', '<', before).executeTakeFirst();
    return Number(codes.numDeletedRows) + Number(failures.numDeletedRows) + Number(requests.numDeletedRows);
  },

  /** Webhook dedupe rows older than `before` and idempotency keys past their expiry. */
  async deleteOldDedupe(db: Executor, now: Date, before: Date): Promise<number> {
    const events = await db
      .deleteFrom('processed_events')
      .where('created_at', '<', before)
      .executeTakeFirst();
    const keys = await db.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst();
    return Number(events.numDeletedRows) + Number(keys.numDeletedRows);
  },
};
