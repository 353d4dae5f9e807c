// retention (daily): outbox texts older than 90 days are redacted (the rows, their statuses and counts
// stay), spent or expired login codes, failed tries and bot link requests older than a day deleted, webhook dedupe rows
// older than a day and expired idempotency keys deleted.
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { retentionRepository } from '../repositories/retention.repository.ts';
import { inTransaction } from './transaction.ts';

const DAY_MS = 24 * 3_600_000;
export const OUTBOX_TEXT_DAYS = 90;

export async function applyRetention(
  deps: Deps,
  actor: Actor,
): Promise<{ redacted: number; codes: number; dedupe: number }> {
  requireService(actor);
  const now = deps.clock.now();
  const dayAgo = new Date(now.getTime() - DAY_MS);
  return inTransaction(deps, async (trx) => ({
    redacted: await retentionRepository.redactOutbox(
      trx,
      new Date(now.getTime() - OUTBOX_TEXT_DAYS * DAY_MS),
    ),
    codes: await retentionRepository.deleteOldCodes(trx, now, dayAgo),
    dedupe: await retentionRepository.deleteOldDedupe(trx, now, dayAgo),
  }));
}
