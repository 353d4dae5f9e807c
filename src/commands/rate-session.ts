// The client rates the ticket's most recent session that has started and was not cancelled. Rating
// again overwrites the session's rating (latest wins) while every rating stays in session_ratings.
// Operators hear of a low rating once per session, however often it is rated again. The buttons under
// the feedback request name their session: it is rated when it is that ticket's and took place.
import type { Deps } from '../deps.ts';
import type { Actor } from '../domain/access.ts';
import { ownedTicket } from './owned-ticket.ts';
import { conflict } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { adminMessage, loadParties, notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';

export async function rateSession(
  deps: Deps,
  actor: Actor,
  input: { ticketId: string; rating: number; feedback: string | null; sessionId?: string },
): Promise<{ message: string }> {
  const ticket = await ownedTicket(deps, actor, input.ticketId);
  const { rating, feedback } = input;
  return inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const target = await sessionsRepository.latestStartedOfTicket(
      trx,
      ticket.ticket_id,
      now,
      input.sessionId,
    );
    if (!target)
      throw conflict('no_session_to_rate', 'у заявки пока нет прошедшей сессии, которую можно оценить');
    const rated = await sessionsRepository.update(trx, target.id, { rating, feedback, rated_at: now }, now);
    await sessionsRepository.addRating(trx, target.id, rating, feedback, now);
    if (rating <= 2) {
      const parties = await loadParties(trx, rated);
      await notify(deps, trx, [
        adminMessage(
          deps,
          `low-rating:${target.id}`,
          messages.lowRatingAdmin(parties.client.lead_number, rating, parties.psychologist.name, feedback),
          { clientId: parties.client.id, ticketId: ticket.ticket_id, sessionId: target.id },
        ),
      ]);
    }
    return { message: messages.reply.sessionRated };
  });
}
