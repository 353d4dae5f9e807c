// Books a free slot for a client: the one booking command behind process-diagnostic-session-request,
// confirm-session-by-client, the operator's POST /admin/sessions and the bot's slot buttons.
// The slot flips free → booked with a conditional UPDATE (the row lock makes racers wait and then see
// `booked`), and the partial unique index on active sessions per slot is the last line: whatever the
// path, two active sessions on one slot cannot be committed.
import type { Deps, Executor } from '../deps.ts';
import type { Session, Ticket } from '../db/types.ts';
import { requireClientAccess, requireTicketAccess, unknownTo, type Actor } from '../domain/access.ts';
import { feedbackDueAt, reminderDueAt } from '../domain/due-times.ts';
import type { PaymentStatus, SessionKind } from '../domain/vocabulary.ts';
import type { EventLog } from '../effects/events.ts';
import { AppError, badRequest, conflict, notFound } from '../errors.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository, type Bookability } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { runBookingProcess, type SessionParties } from './session-processes.ts';
import { inTransaction, isUniqueViolation } from './transaction.ts';

export interface BookSlotInput {
  slotId: string;
  clientId: string;
  /** When given, the slot must belong to this psychologist. */
  psychologistId?: string;
  /** The ticket the session belongs to; else the client's latest open ticket, else a new one. */
  ticketId?: string;
  kind: SessionKind;
  /** Only operators set what was paid; a client's booking records none. */
  payment?: { amount: number; status: PaymentStatus };
  /** Book and confirm at once (the client chose the time themselves). */
  confirm?: boolean;
  /** Operators may book a slot closer than MIN_LEAD_MINUTES; clients may not. */
  ignoreLeadTime?: boolean;
}

/** A booking as committed: the session, its ticket, and who takes part (as the messages named them). */
export interface Booking {
  session: Session;
  ticket: Ticket;
  parties: SessionParties;
}

/** A booking for an actor, and what of the request it did not record (so the answer can say so). */
export interface ActorBooking extends Booking {
  /** A client gave a payment: only operators record payments, so none was recorded. */
  paymentIgnored: boolean;
}

export const slotTaken = () => conflict('slot_taken', 'это время уже заняли — выберите, пожалуйста, другое');

/** Who books: a client by id, or as a request names them (lead number or UUID), unknown → 404 `message`. */
export type BookingClient = { clientId: string } | { clientLeadOrId: string; unknownClient: string };

/**
 * Books a slot for the actor: the service for anyone, a client token for its own client (and, when the
 * token is limited to one ticket, for that ticket). A slot that is visibly not bookable is refused
 * before any transaction opens (most callers of a popular slot lose, and they then cost one query: the
 * client named by lead number is looked up in the same one); the claim in the transaction stays the one
 * that decides.
 */
export async function bookSlotFor(
  deps: Deps,
  actor: Actor,
  request: Omit<BookSlotInput, 'clientId'> & BookingClient,
): Promise<ActorBooking> {
  if ('clientId' in request) {
    return bookChecked(deps, actor, request, () => slotsRepository.bookability(deps.db, request.slotId));
  }
  const { clientLeadOrId, unknownClient, ...input } = request;
  const found = await slotsRepository.bookabilityWithClient(deps.db, input.slotId, clientLeadOrId);
  if (!found.clientId) throw unknownTo(actor, notFound('client', unknownClient));
  return bookChecked(deps, actor, { ...input, clientId: found.clientId }, async () => found.slot);
}

/** Access, then the visible refusals (`slot` reads the slot if not read yet), then the booking. */
async function bookChecked(
  deps: Deps,
  actor: Actor,
  input: BookSlotInput,
  slot: () => Promise<Bookability | undefined>,
): Promise<ActorBooking> {
  const ticketId = input.ticketId ?? (actor.kind === 'client' ? actor.ticketId : undefined);
  if (ticketId) requireTicketAccess(actor, { client_id: input.clientId, ticket_id: ticketId });
  else requireClientAccess(actor, input.clientId);
  const booking: BookSlotInput = {
    ...input,
    ...(ticketId ? { ticketId } : {}),
    ...(actor.kind === 'service' ? {} : { payment: undefined, ignoreLeadTime: false }),
  };
  const now = deps.clock.now();
  const earliest = booking.ignoreLeadTime
    ? now
    : new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
  const refusal = await bookingRefusal(deps.db, booking, await slot(), earliest);
  if (refusal) throw refusal;
  const booked = await inTransaction(deps, (trx, events) => bookSlot(deps, trx, events, booking));
  // A video link made after the commit is not in the booked row: the answer shows the session as it is now.
  const session = booked.session.meeting_link
    ? booked.session
    : ((await sessionsRepository.findById(deps.db, booked.session.id)) ?? booked.session);
  return {
    ...booked,
    session,
    parties: { ...booked.parties, session },
    paymentIgnored: input.payment !== undefined && booking.payment === undefined,
  };
}

/** Books a slot inside the caller's transaction (access already checked by the caller). */
export async function bookSlot(
  deps: Deps,
  trx: Executor,
  events: EventLog,
  input: BookSlotInput,
): Promise<Booking> {
  const now = deps.clock.now();
  const earliest = input.ignoreLeadTime ? now : new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
  // Lock order everywhere: the slot first, then the ticket — so two bookings cannot deadlock. The claim
  // checks everything a bookable slot needs in one statement; only a refused claim asks why.
  const slot = await slotsRepository.claimBookable(trx, input.slotId, {
    now,
    earliest,
    ...(input.psychologistId ? { psychologistId: input.psychologistId } : {}),
  });
  if (!slot) {
    const refusal = await bookingRefusal(
      trx,
      input,
      await slotsRepository.bookability(trx, input.slotId),
      earliest,
    );
    throw refusal ?? slotTaken();
  }

  const ticket = await resolveTicket(deps, trx, input, now);
  if (ticket.status === 'closed' || ticket.status === 'cancelled') {
    throw conflict('ticket_closed', `заявка ${ticket.ticket_id} уже в статусе ${ticket.status}`);
  }

  // The due times go in with the session, and a video link that needs no call out (Jitsi); any other
  // link is made after the commit.
  const timing = { start_at: slot.start_at, duration_minutes: slot.duration_minutes };
  const meeting = deps.video.local({ startAt: slot.start_at, durationMinutes: slot.duration_minutes });
  let row: Awaited<ReturnType<typeof sessionsRepository.insertBooking>>;
  try {
    row = await sessionsRepository.insertBooking(
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
        remind_at: reminderDueAt(timing),
        feedback_due_at: feedbackDueAt(timing),
        meeting_link: meeting?.link ?? null,
        meeting_platform: meeting?.platform ?? null,
        meeting_id: meeting?.meetingId ?? null,
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
  const {
    client_name,
    client_age,
    lead_number,
    client_telegram_id,
    client_telegram_username,
    client_phone,
    client_email,
    psychologist_name,
    psychologist_telegram_id,
    ...session
  } = row;
  // The ticket is locked since resolveTicket: as updated, it is that row with the three values set.
  const booked: Ticket = {
    ...ticket,
    status: 'booked',
    psychologist_id: slot.psychologist_id,
    updated_at: now,
  };
  const parties: SessionParties = {
    session,
    client: {
      id: input.clientId,
      name: client_name,
      age: client_age,
      lead_number,
      telegram_id: client_telegram_id,
      telegram_username: client_telegram_username,
      phone: client_phone,
      email: client_email,
    },
    psychologist: { name: psychologist_name, telegram_id: psychologist_telegram_id },
    ticket: booked,
  };
  await runBookingProcess(deps, trx, events, parties);
  return { session, ticket: booked, parties };
}

/** Why a slot cannot be booked (unknown, another psychologist's, taken, too soon), or null when it can. */
async function bookingRefusal(
  trx: Executor,
  input: BookSlotInput,
  slot: Bookability | undefined,
  earliest: Date,
): Promise<AppError | null> {
  if (!slot) return notFound('slot');
  if (input.psychologistId && slot.psychologist_id !== input.psychologistId) {
    if (!(await psychologistsRepository.findById(trx, input.psychologistId)))
      return notFound('psychologist', 'психолог не найден');
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
