// Cancels the ticket's active session: the slot goes back to free, reminders are dropped, the
// psychologist and the operators are told (the cancellation process).
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { conflict } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { cancelActiveSession } from './session-processes.ts';
import { inTransaction } from './transaction.ts';
import { isActive } from '../domain/session-state.ts';

export async function cancelSession(
  deps: Deps,
  ticket: Ticket,
  reason: string,
  cancelledBy: 'client' | 'operator' | 'psychologist' = 'client',
): Promise<{ message: string }> {
  return inTransaction(deps, async (trx) => {
    const active = await sessionsRepository.activeOfTicket(trx, ticket.ticket_id);
    if (!active) throw conflict('no_active_session', `у заявки ${ticket.ticket_id} нет активной сессии`);
    // Lock order: slot, then session (as in booking), so a cancel and a booking cannot deadlock.
    await trx
      .selectFrom('hraniteli_slots')
      .select('id')
      .where('id', '=', active.slot_id)
      .forUpdate()
      .execute();
    const session = await sessionsRepository.findById(trx, active.id, true);
    if (!session || !isActive(session.status)) {
      throw conflict('no_active_session', `у заявки ${ticket.ticket_id} нет активной сессии`);
    }
    await cancelActiveSession(deps, trx, session, reason, cancelledBy);
    return { message: messages.reply.sessionCancelled };
  });
}
