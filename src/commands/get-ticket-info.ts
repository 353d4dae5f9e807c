// GET /get-ticket-info: a ticket as the person or a public page sees it. Personal fields are filled only
// for the service or this ticket's own token (see shown-contact.ts for which contacts show).
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { mayAccessTicket, type Actor } from '../domain/access.ts';
import { contactShownTo } from './shown-contact.ts';
import { formatDateTime } from '../domain/time.ts';
import { forbidden, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';

/**
 * The ticket (by our id or the web form's own id), unless a client token of someone else asks (403);
 * anonymous callers get it reduced.
 */
async function visibleTicket(
  deps: Deps,
  actor: Actor,
  ticketId: string,
): Promise<{ ticket: Ticket; personal: boolean }> {
  const ticket = await ticketsRepository.findByRef(deps.db, ticketId);
  // Anonymous callers still learn it (the help-hand confirm page reads it, web-form.md), tokens do not.
  if (!ticket)
    throw actor.kind === 'client' ? forbidden() : notFound('ticket', `заявка ${ticketId} не найдена`);
  const personal = mayAccessTicket(actor, ticket);
  if (actor.kind === 'client' && !personal) throw forbidden();
  return { ticket, personal };
}

export async function getTicketInfo(deps: Deps, actor: Actor, input: { ticketId: string }) {
  const { ticket, personal } = await visibleTicket(deps, actor, input.ticketId);
  const contact = await contactShownTo(deps.db, actor, ticket);
  const session =
    (await sessionsRepository.activeOfTicket(deps.db, ticket.ticket_id)) ??
    (await sessionsRepository.latestOfTicket(deps.db, ticket.ticket_id));
  const psychologistId = session?.psychologist_id ?? ticket.psychologist_id;
  const psychologist = psychologistId
    ? await psychologistsRepository.findById(deps.db, psychologistId)
    : undefined;
  const slot = session ? await slotsRepository.findById(deps.db, session.slot_id) : undefined;
  return {
    id: ticket.ticket_id,
    client_name: contact.name,
    client_phone: contact.phone,
    client_telegram: contact.telegram,
    client_email: contact.email,
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
    // The price the person named on the helping-hand form: /help_hand_confirm shows it (web-form.md C.2).
    price_session: ticket.price_session,
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
