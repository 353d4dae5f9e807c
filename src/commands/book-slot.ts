// Books a free slot for a client: the one booking command behind process-diagnostic-session-request,
// confirm-session-by-client, the operator's POST /admin/sessions and the bot's slot buttons.
// The slot flips free → booked with a conditional UPDATE (the row lock makes racers wait and then see
// `booked`), and the partial unique index on active sessions per slot is the last line: whatever the
// path, two active sessions on one slot cannot be committed.
import type { Context, Executor } from '../context.ts';
import type { Session, Ticket } from '../db/types.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { runBookingProcess } from './session-processes.ts';
import { isUniqueViolation } from './transaction.ts';

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

export async function bookSlot(
  ctx: Context,
  trx: Executor,
  input: BookSlotInput,
): Promise<{ session: Session; ticket: Ticket }> {
  const now = ctx.clock.now();
  const slot = await slotsRepository.findById(trx, input.slotId);
  if (!slot) throw notFound('slot');
  if (input.psychologistId && slot.psychologist_id !== input.psychologistId) {
    throw badRequest('slot_id', 'the slot belongs to another psychologist');
  }
  const earliest = input.ignoreLeadTime ? now : new Date(now.getTime() + ctx.config.minLeadMinutes * 60_000);
  if (slot.start_at.getTime() < earliest.getTime()) {
    throw conflict('slot_unavailable', 'это время уже недоступно для записи — выберите, пожалуйста, другое');
  }
  const psychologist = await trx
    .selectFrom('hraniteli_psychologists')
    .select(['is_active'])
    .where('id', '=', slot.psychologist_id)
    .executeTakeFirstOrThrow();
  if (!psychologist.is_active)
    throw conflict('slot_unavailable', 'психолог сейчас не принимает новых клиентов');

  // Lock order everywhere: the slot first, then the ticket — so two bookings cannot deadlock.
  const claimed = await slotsRepository.claimFree(trx, slot.id, now);
  if (!claimed) throw slotTaken();

  const ticket = await resolveTicket(ctx, trx, input, now);
  if (ticket.status === 'closed' || ticket.status === 'cancelled') {
    throw conflict('ticket_closed', `заявка ${ticket.ticket_id} уже в статусе ${ticket.status}`);
  }
  const existing = await sessionsRepository.activeOfTicket(trx, ticket.ticket_id);
  if (existing) {
    throw conflict(
      'ticket_has_active_session',
      `у заявки ${ticket.ticket_id} уже есть активная сессия (${existing.status})`,
    );
  }

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
  session = await runBookingProcess(ctx, trx, session);
  return { session, ticket: booked };
}

async function resolveTicket(ctx: Context, trx: Executor, input: BookSlotInput, now: Date): Promise<Ticket> {
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
