// Books a free slot for a client: the one booking command behind process-diagnostic-session-request,
// confirm-session-by-client, the operator's POST /admin/sessions and the bot's slot buttons.
// The slot flips free → booked with a conditional UPDATE (the row lock makes racers wait and then see
// `booked`), and the partial unique index on active sessions per slot is the last line: whatever the
// path, two active sessions on one slot cannot be committed.
import type { Deps, Executor } from '../deps.ts';
import type { Session, Ticket } from '../db/types.ts';
import { AppError, badRequest, conflict, notFound } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { runBookingProcess } from './session-processes.ts';
import { feedbackDueAt, reminderDueAt } from '../jobs/session-jobs.ts';
import { inTransaction, isUniqueViolation } from './transaction.ts';

export interface BookSlotInput {
  slotId: string;
  clientId: string;
  /** When given, the slot must belong to this psychologist. */
  psychologistId?: string;
  /** The ticket the session belongs to; else the client's latest open ticket, else a new one. */
  ticketId?: string;
  kind: 'diagnostic' | 'regular';
  payment?: { amount: number; status: 'pending' | 'completed' };
  /** Book and confirm at once (the client chose the time themselves). */
  confirm?: boolean;
  /** Operators may book a slot closer than MIN_LEAD_MINUTES; clients may not. */
  ignoreLeadTime?: boolean;
}

export const slotTaken = () => conflict('slot_taken', 'это время уже заняли — выберите, пожалуйста, другое');

/**
 * Books a slot in a transaction of its own. A slot that is visibly not bookable is refused before any
 * transaction opens (most callers of a popular slot lose, and they then cost one query); the claim in
 * the transaction stays the one that decides.
 */
export async function bookSlotNow(
  deps: Deps,
  input: BookSlotInput,
): Promise<{ session: Session; ticket: Ticket }> {
  const now = deps.clock.now();
  const earliest = input.ignoreLeadTime ? now : new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
  const refusal = await bookingRefusal(deps.db, input, earliest);
  if (refusal) throw refusal;
  return inTransaction(deps, (trx) => bookSlot(deps, trx, input));
}

export async function bookSlot(
  deps: Deps,
  trx: Executor,
  input: BookSlotInput,
): Promise<{ session: Session; ticket: Ticket }> {
  const now = deps.clock.now();
  const earliest = input.ignoreLeadTime ? now : new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
  // Lock order everywhere: the slot first, then the ticket — so two bookings cannot deadlock. The claim
  // checks everything a bookable slot needs in one statement; only a refused claim asks why.
  const slot = await slotsRepository.claimBookable(trx, input.slotId, {
    now,
    earliest,
    ...(input.psychologistId ? { psychologistId: input.psychologistId } : {}),
  });
  if (!slot) throw (await bookingRefusal(trx, input, earliest)) ?? slotTaken();

  const ticket = await resolveTicket(deps, trx, input, now);
  if (ticket.status === 'closed' || ticket.status === 'cancelled') {
    throw conflict('ticket_closed', `заявка ${ticket.ticket_id} уже в статусе ${ticket.status}`);
  }

  // The video link and the due times go in with the session: fewer round trips inside the lock.
  const meeting = await deps.video.create({ startAt: slot.start_at, durationMinutes: slot.duration_minutes });
  const timing = { start_at: slot.start_at, duration_minutes: slot.duration_minutes };
  let session: Session;
  try {
    session = await sessionsRepository.insert(
      trx,
      {
        ticket_id: ticket.ticket_id,
        client_id: input.clientId,
        psychologist_id: slot.psychologist_id,
        slot_id: slot.id,
        kind: input.kind,
        start_at: slot.start_at,
        duration_minutes: slot.duration_minutes,
        payment_amount: input.payment?.amount ?? null,
        payment_status: input.payment?.status ?? null,
        status: input.confirm ? 'confirmed' : 'pending',
        confirmed_at: input.confirm ? now : null,
        meeting_link: meeting.link,
        meeting_platform: meeting.platform,
        meeting_id: meeting.meetingId,
        remind_at: reminderDueAt(timing),
        feedback_due_at: feedbackDueAt(timing),
      },
      now,
    );
  } catch (error) {
    if (isUniqueViolation(error, 'sessions_one_active_per_slot')) throw slotTaken();
    if (isUniqueViolation(error, 'sessions_one_active_per_ticket')) {
      throw conflict('ticket_has_active_session', `у заявки ${ticket.ticket_id} уже есть активная сессия`);
    }
    throw error;
  }
  const booked = await ticketsRepository.update(
    trx,
    ticket.ticket_id,
    { status: 'booked', psychologist_id: slot.psychologist_id },
    now,
  );
  session = await runBookingProcess(deps, trx, session);
  return { session, ticket: booked };
}

/** Why a slot cannot be booked (unknown, another psychologist's, taken, too soon), or null when it can. */
async function bookingRefusal(trx: Executor, input: BookSlotInput, earliest: Date): Promise<AppError | null> {
  const slot = await trx
    .selectFrom('hraniteli_slots as s')
    .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
    .select(['s.psychologist_id', 's.start_at', 's.state', 'p.is_active'])
    .where('s.id', '=', input.slotId)
    .executeTakeFirst();
  if (!slot) return notFound('slot');
  if (input.psychologistId && slot.psychologist_id !== input.psychologistId) {
    const named = await trx
      .selectFrom('hraniteli_psychologists')
      .select('id')
      .where('id', '=', input.psychologistId)
      .executeTakeFirst();
    if (!named) return notFound('psychologist', 'психолог не найден');
    return badRequest('slot_id', 'the slot belongs to another psychologist');
  }
  if (slot.state === 'booked') return slotTaken();
  if (!slot.is_active) return conflict('slot_unavailable', 'психолог сейчас не принимает новых клиентов');
  if (slot.start_at.getTime() < earliest.getTime()) {
    return conflict('slot_unavailable', 'это время уже недоступно для записи — выберите, пожалуйста, другое');
  }
  return null;
}

async function resolveTicket(deps: Deps, trx: Executor, input: BookSlotInput, now: Date): Promise<Ticket> {
  if (input.ticketId) {
    const ticket = await ticketsRepository.lock(trx, input.ticketId);
    if (!ticket) throw notFound('ticket');
    if (ticket.client_id !== input.clientId)
      throw badRequest('ticket_id', 'the ticket belongs to another client');
    return ticket;
  }
  const open = await ticketsRepository.latestOpenOfClient(trx, input.clientId);
  if (open) return open;
  return ticketsRepository.insert(trx, {
    client_id: input.clientId,
    type: 'diagnostic',
    status: 'new',
    created_at: now,
    updated_at: now,
  });
}
