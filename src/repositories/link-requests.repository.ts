// SQL for the bot's open link requests: an account asked to open a ticket that typed a phone number and
// has yet to prove it with Telegram's "share my number" button. Kept a day (retention); a ticket linked
// drops them.
import type { Executor } from '../deps.ts';
import type { Ticket } from '../db/types.ts';

export const linkRequestsRepository = {
  async remember(db: Executor, telegramId: string, ticketId: string, now: Date): Promise<void> {
    await db
      .insertInto('link_requests')
      .values({ telegram_id: telegramId, ticket_id: ticketId, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['telegram_id', 'ticket_id']).doUpdateSet({ updated_at: now }))
      .execute();
  },

  /** The tickets this account asked for since `since`, locked (oldest request first). */
  async lockTicketsAskedBy(db: Executor, telegramId: string, since: Date): Promise<Ticket[]> {
    return db
      .selectFrom('hraniteli_tickets as t')
      .innerJoin('link_requests as r', 'r.ticket_id', 't.ticket_id')
      .selectAll('t')
      .where('r.telegram_id', '=', telegramId)
      .where('r.updated_at', '>', since)
      .orderBy('r.created_at')
      .limit(20)
      .forUpdate('t')
      .execute();
  },

  async forgetTicket(db: Executor, ticketId: string): Promise<void> {
    await db.deleteFrom('link_requests').where('ticket_id', '=', ticketId).execute();
  },
};
