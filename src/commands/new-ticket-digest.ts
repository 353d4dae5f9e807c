// New tickets' messages to the operators' chat wait in the digest lane (newTicketMessage) and are
// gathered once their minute is over: a minute with one new ticket sends its full message, a busier
// minute sends one digest listing them all. Sixty submissions in a second thus cost the operators' chat
// one message instead of sixty (Telegram allows a group about 20 a minute), and nothing queues in front
// of a client's relayed words. The database keeps it to one digest per chat and minute, however many
// senders gather at once: rows are locked with SKIP LOCKED (a row is gathered by one transaction only)
// and the digest's dedupe key names the chat and the minute.
import type { Deps } from '../deps.ts';
import { outboxRepository } from '../repositories/outbox.repository.ts';
import { messages } from '../texts/messages.ts';
import { inTransaction } from './transaction.ts';

const MINUTE_MS = 60_000;

/** Gathers every chat's new-ticket messages written before the current minute. Returns messages released or digested. */
export async function gatherNewTicketDigests(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const minute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
  let gathered = 0;
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
