// Moves the ticket's active session to the free slot of the same psychologist at a new time, in one
// transaction: the new slot is booked, the old one freed, the session keeps its id and goes back to
// pending; reminders, the video link and notifications follow the new time.
import type { Deps } from '../deps.ts';
import type { Actor } from '../domain/access.ts';
import { ownedTicket } from './owned-ticket.ts';
import { conflict, notFound } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { messages } from '../texts/messages.ts';
import { slotTaken } from './book-slot.ts';
import { releaseMeeting, runBookingProcess } from './session-processes.ts';
import { inTransaction, isUniqueViolation } from './transaction.ts';
import { isActive } from '../domain/vocabulary.ts';

export async function rescheduleSession(
  deps: Deps,
  actor: Actor,
  input: { ticketId: string; newStart: Date },
): Promise<{ message: string }> {
  const ticket = await ownedTicket(deps, actor, input.ticketId);
  const newStart = input.newStart;
  const active = await sessionsRepository.activeOfTicket(deps.db, ticket.ticket_id);
  if (!active) throw conflict('no_active_session', `у заявки ${ticket.ticket_id} нет активной сессии`);
  const target = await slotsRepository.findByPsychologistAndStart(deps.db, active.psychologist_id, newStart);
  if (!target) throw notFound('slot', 'у психолога нет слота на это время');
  if (target.id === active.slot_id) return { message: messages.reply.sessionRescheduled };

  return inTransaction(deps, async (trx, events) => {
    const now = deps.clock.now();
    if (target.start_at.getTime() < now.getTime() + deps.config.minLeadMinutes * 60_000) {
      throw conflict(
        'slot_unavailable',
        'это время уже недоступно для записи — выберите, пожалуйста, другое',
      );
    }
    // Lock order as in booking: slots first (new, then old), then the session.
    const claimed = await slotsRepository.claimFree(trx, target.id, now);
    if (!claimed) throw slotTaken();
    await slotsRepository.lock(trx, active.slot_id);
    const session = await sessionsRepository.findById(trx, active.id, true);
    if (!session || !isActive(session.status) || session.slot_id !== active.slot_id) {
      throw conflict(
        'session_changed',
        'сессия изменилась, пока мы её переносили — обновите, пожалуйста, страницу',
      );
    }
    let moved;
    try {
      moved = await sessionsRepository.update(
        trx,
        session.id,
        {
          slot_id: target.id,
          start_at: target.start_at,
          duration_minutes: target.duration_minutes,
          status: 'pending',
          confirmed_at: null,
          rescheduled_at: now,
          meeting_link: null,
          meeting_platform: null,
          meeting_id: null,
          meeting_host: null,
          link_claimed_until: null,
        },
        now,
      );
    } catch (error) {
      if (isUniqueViolation(error, 'sessions_one_active_per_slot')) throw slotTaken();
      throw error;
    }
    await slotsRepository.release(trx, session.slot_id, now);
    // The old meeting is deleted before the new one is made (events run in order): a new meeting, not a
    // moved one, so the host is chosen afresh for the new time.
    releaseMeeting(events, session);
    await runBookingProcess(deps, trx, events, moved, session.start_at);
    return { message: messages.reply.sessionRescheduled };
  });
}
