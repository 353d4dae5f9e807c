// GET /get-ticket-info: a ticket as the person or a public page sees it. Personal fields are filled only
// for the service or this ticket's own token, and they show what this ticket's submission typed — never
// the stored contacts of the person the typed handle belongs to.
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { mayAccessTicket, type Actor } from '../domain/access.ts';
import { formatDateTime } from '../domain/time.ts';
import { forbidden, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';

interface TypedContact {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  telegram?: string | null;
}

/** The ticket, unless a client token of someone else asks (403); anonymous callers get it reduced. */
async function visibleTicket(
  deps: Deps,
  actor: Actor,
  ticketId: string,
): Promise<{ ticket: Ticket; personal: boolean }> {
  const ticket = await ticketsRepository.find(deps.db, ticketId);
  if (!ticket) throw notFound('ticket', `заявка ${ticketId} не найдена`);
  const personal = mayAccessTicket(actor, ticket);
  if (actor.kind === 'client' && !personal) throw forbidden();
  return { ticket, personal };
}

export async function getTicketInfo(deps: Deps, actor: Actor, input: { ticketId: string }) {
  const { ticket, personal } = await visibleTicket(deps, actor, input.ticketId);
  const typed = (ticket.typed_contact ?? null) as TypedContact | null;
  // Tickets made by operators or the booking path carry nothing typed: their own client's record shows.
  const stored = personal && !typed ? await clientsRepository.findById(deps.db, ticket.client_id) : undefined;
  const session =
    (await sessionsRepository.activeOfTicket(deps.db, ticket.ticket_id)) ??
    (await sessionsRepository.latestOfTicket(deps.db, ticket.ticket_id));
  const psychologistId = session?.psychologist_id ?? ticket.psychologist_id;
  const psychologist = psychologistId
    ? await psychologistsRepository.findById(deps.db, psychologistId)
    : undefined;
  const slot = session ? await slotsRepository.findById(deps.db, session.slot_id) : undefined;
  const storedTelegram = stored
    ? stored.telegram_username
      ? `@${stored.telegram_username}`
      : stored.telegram_id
    : null;
  return {
    id: ticket.ticket_id,
    client_name: personal ? (typed ? (typed.name ?? null) : (stored?.name ?? null)) : null,
    client_phone: personal ? (typed ? (typed.phone ?? null) : (stored?.phone ?? null)) : null,
    client_telegram: personal ? (typed ? (typed.telegram ?? null) : storedTelegram) : null,
    client_email: personal ? (typed ? (typed.email ?? null) : (stored?.email ?? null)) : null,
    request_text: personal ? ticket.request_text : null,
    status: ticket.status,
    session_status: session?.status ?? null,
    created_at: ticket.created_at.toISOString(),
    updated_at: ticket.updated_at.toISOString(),
    psychologist_name: psychologist?.name ?? null,
    slot_time: session ? formatDateTime(session.start_at) : null,
    slot_time_iso: session ? session.start_at.toISOString() : null,
    price: session
      ? (session.payment_amount ?? slot?.price ?? psychologist?.min_price ?? null)
      : (psychologist?.min_price ?? null),
  };
}

/** The stored-record form (client_id + link_id): the ticket row, 404 unless it belongs to that lead. */
export async function getTicketRecord(
  deps: Deps,
  actor: Actor,
  input: { leadOrClientId: string; ticketId: string },
) {
  const { ticket, personal } = await visibleTicket(deps, actor, input.ticketId);
  const client = await clientsRepository.findByLeadOrId(deps.db, input.leadOrClientId);
  if (!client || client.id !== ticket.client_id) throw notFound('ticket', 'у этого лида нет такой заявки');
  return { ticket, personal };
}
