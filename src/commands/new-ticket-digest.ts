// New tickets' messages to the operators' chat wait in the digest lane (newTicketMessage). In a quiet
// chat — no new ticket announced within the last minute and this one alone waiting — the message goes at
// once. Otherwise it is gathered once its minute is over: a minute with one new ticket sends its full
// message, a busier minute sends one digest listing them all. Sixty submissions in a second thus cost the operators' chat
// one message instead of sixty (Telegram allows a group about 20 a minute), and nothing queues in front
// of a client's relayed words. The database keeps it to one digest per chat and minute, however many
// senders gather at once: rows are locked with SKIP LOCKED (a row is gathered by one transaction only)
// and the digest's dedupe key names the chat and the minute.
import type { Deps } from '../deps.ts';
import { outboxRepository } from '../repositories/outbox.repository.ts';
import { messages } from '../texts/messages.ts';
import { inTransaction } from './transaction.ts';

const MINUTE_MS = 60_000;

/**
 * Releases a quiet chat's lone new-ticket message at once, then gathers every chat's new-ticket messages
 * written before the current minute. Returns messages released or digested.
 */
export async function gatherNewTicketDigests(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const minute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
  let gathered = await releaseInQuietChats(deps, now);
  for (const chatId of await outboxRepository.chatsWithWaitingDigest(deps.db, minute)) {
    gathered += await inTransaction(deps, async (trx) => {
      const rows = await outboxRepository.lockWaitingDigest(trx, chatId, minute);
      if (rows.length === 0) return 0;
      if (rows.length === 1) {
        await outboxRepository.releaseFromDigest(trx, rows[0]!.id, now);
        return 1;
      }
      const digestId = await outboxRepository.insertDigest(
        trx,
        {
          dedupeKey: `ticket-digest:${chatId}:${minute.toISOString()}`,
          recipient: 'admin',
          chatId,
          text: messages.adminChat.newTicketsDigest(
            // The minute just over, when they came (rows left from earlier minutes join it).
            new Date(minute.getTime() - MINUTE_MS),
            rows.map((r) => ({ ticketId: r.ticket_id ?? '—', lead: r.lead_number })),
          ),
        },
        now,
      );
      // This minute's digest was written by another sender that saw other rows: these wait for the next.
      if (digestId === undefined) return 0;
      await outboxRepository.markDigested(
        trx,
        rows.map((r) => r.id),
        digestId,
        now,
      );
      return rows.length;
    });
  }
  return gathered;
}

/**
 * A new ticket need not wait for its minute when the chat is quiet: it is the only one waiting and no
 * new ticket (alone or in a digest) was announced there within the last minute. A second one within that
 * minute waits for the digest, so a burst still costs the chat one message more at most.
 */
async function releaseInQuietChats(deps: Deps, now: Date): Promise<number> {
  const upTo = new Date(now.getTime() + 1);
  let released = 0;
  for (const chatId of await outboxRepository.chatsWithWaitingDigest(deps.db, upTo)) {
    released += await inTransaction(deps, async (trx) => {
      const rows = await outboxRepository.lockWaitingDigest(trx, chatId, upTo);
      if (rows.length !== 1) return 0;
      const since = new Date(now.getTime() - MINUTE_MS);
      if (await outboxRepository.newTicketsAnnouncedSince(trx, chatId, since, rows[0]!.id)) return 0;
      await outboxRepository.releaseFromDigest(trx, rows[0]!.id, now);
      return 1;
    });
  }
  return released;
}
