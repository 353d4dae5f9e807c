// The client confirms a session time. An active pending session at that time becomes confirmed
// (again: a no-op); with no active session the time must be one of the ticket's candidate slots or a
// free slot of its chosen psychologist, and it is booked and confirmed in one go.
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { conflict, notFound } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { bookSlotFor } from './book-slot.ts';
import type { Actor } from '../domain/access.ts';
import { ownedTicket } from './owned-ticket.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { factsOf, loadParties, notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';
import { isActive } from '../domain/vocabulary.ts';

export async function confirmSession(
  deps: Deps,
  actor: Actor,
  input: { ticketId: string; slotTime: Date },
): Promise<{ message: string }> {
  const ticket = await ownedTicket(deps, actor, input.ticketId);
  const slotTime = input.slotTime;
  const active = await sessionsRepository.activeOfTicket(deps.db, ticket.ticket_id);
  if (active) {
    if (active.start_at.getTime() !== slotTime.getTime()) {
      throw conflict(
        'session_at_other_time',
        'у заявки уже есть активная сессия на другое время — его можно перенести',
      );
    }
    return inTransaction(deps, async (trx) => {
      const session = await sessionsRepository.findById(trx, active.id, true);
      if (!session || !isActive(session.status)) {
        throw conflict('session_not_active', `сессия уже в статусе ${session?.status ?? 'cancelled'}`);
      }
      if (session.status === 'confirmed') return { message: messages.reply.sessionAlreadyConfirmed };
      const now = deps.clock.now();
      const confirmed = await sessionsRepository.update(
        trx,
        session.id,
        { status: 'confirmed', confirmed_at: now },
        now,
      );
      const parties = await loadParties(trx, confirmed);
      const facts = factsOf(parties);
      const key = `confirmed:${session.id}:${session.start_at.toISOString()}`;
      const refs = { clientId: parties.client.id, ticketId: ticket.ticket_id, sessionId: session.id };
      await notify(deps, trx, [
        {
          dedupeKey: `${key}:client`,
          recipient: 'client',
          chatId: parties.client.telegram_id,
          text: messages.sessionConfirmedClient(facts),
          ...refs,
        },
        {
          dedupeKey: `${key}:psychologist`,
          recipient: 'psychologist',
          chatId: parties.psychologist.telegram_id,
          text: messages.sessionConfirmedPsychologist(facts),
          ...refs,
        },
      ]);
      return { message: messages.reply.sessionConfirmed };
    });
  }

  const past = await sessionsRepository.ofTicketAt(deps.db, ticket.ticket_id, slotTime);
  if (past) throw conflict('session_not_active', `сессия на это время уже в статусе ${past.status}`);

  const slot = await findTicketSlot(deps, ticket, slotTime);
  if (!slot) throw notFound('slot', 'на это время нет слота для этой заявки');
  await bookSlotFor(deps, actor, {
    slotId: slot.id,
    clientId: ticket.client_id,
    ticketId: ticket.ticket_id,
    kind: ticket.type === 'reassignment' ? 'regular' : 'diagnostic',
    confirm: true,
  });
  return { message: messages.reply.sessionBookedAndConfirmed };
}

/** A candidate slot of the ticket at that time, else a slot of its chosen psychologist then. */
async function findTicketSlot(deps: Deps, ticket: Ticket, at: Date) {
  if (ticket.candidate_slot_ids.length) {
    const candidate = await slotsRepository.candidateAt(deps.db, ticket.candidate_slot_ids, at);
    if (candidate) return candidate;
  }
  if (ticket.psychologist_id)
    return slotsRepository.findByPsychologistAndStart(deps.db, ticket.psychologist_id, at);
  return undefined;
}
