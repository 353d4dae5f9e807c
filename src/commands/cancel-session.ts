// Cancels the ticket's active session: the slot goes back to free, reminders are dropped, the
// psychologist and the operators are told (the cancellation process).
import type { Deps } from '../deps.ts';
import { conflict } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { cancelActiveSession } from './session-processes.ts';
import { inTransaction } from './transaction.ts';
import { isActive } from '../domain/vocabulary.ts';
import type { Actor } from '../domain/access.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ownedTicket } from './owned-ticket.ts';

export async function cancelSession(
  deps: Deps,
  actor: Actor,
  /** `sessionId` (a button under one session's message): cancel only if that session is still the active one. */
  input: { ticketId: string; reason: string; sessionId?: string },
): Promise<{ message: string }> {
  const ticket = await ownedTicket(deps, actor, input.ticketId);
  const cancelledBy = actor.kind === 'service' ? 'operator' : 'client';
  return inTransaction(deps, async (trx, events) => {
    const active = await sessionsRepository.activeOfTicket(trx, ticket.ticket_id);
    if (!active) throw conflict('no_active_session', `у заявки ${ticket.ticket_id} нет активной сессии`);
    if (input.sessionId && active.id !== input.sessionId)
      throw conflict('session_changed', 'эта запись уже изменилась');
    // Lock order: slot, then session (as in booking), so a cancel and a booking cannot deadlock.
    await slotsRepository.lock(trx, active.slot_id);
    const session = await sessionsRepository.findById(trx, active.id, true);
    if (!session || !isActive(session.status)) {
      throw conflict('no_active_session', `у заявки ${ticket.ticket_id} нет активной сессии`);
    }
    await cancelActiveSession(deps, trx, events, session, input.reason, cancelledBy);
    return { message: messages.reply.sessionCancelled };
  });
}
