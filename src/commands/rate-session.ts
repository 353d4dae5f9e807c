// The client rates the ticket's most recent session that has started and was not cancelled. Rating
// again overwrites the session's rating (latest wins) while every rating stays in session_ratings.
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { conflict } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { adminMessage, loadParties, notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';

export async function rateSession(
  deps: Deps,
  ticket: Ticket,
  rating: number,
  feedback: string | null,
): Promise<{ message: string }> {
  return inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const target = await trx
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', ticket.ticket_id)
      .where('start_at', '<=', now)
      .where('status', '!=', 'cancelled')
      .orderBy('start_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    if (!target)
      throw conflict('no_session_to_rate', 'у заявки пока нет прошедшей сессии, которую можно оценить');
    const rated = await sessionsRepository.update(trx, target.id, { rating, feedback, rated_at: now }, now);
    const history = await trx
      .insertInto('session_ratings')
      .values({ session_id: target.id, rating, feedback, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (rating <= 2) {
      const parties = await loadParties(trx, rated);
      await notify(deps, trx, [
        adminMessage(
          deps,
          `low-rating:${history.id}`,
          messages.lowRatingAdmin(parties.client.lead_number, rating, parties.psychologist.name, feedback),
          { clientId: parties.client.id, ticketId: ticket.ticket_id, sessionId: target.id },
        ),
      ]);
    }
    return { message: messages.reply.sessionRated };
  });
}
