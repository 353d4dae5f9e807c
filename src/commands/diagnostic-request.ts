// A person asks for a diagnostic session through the short form: a record of its own (or the record a
// whole-client token proves), create a `diagnostic` ticket that keeps what was typed, hand back a token for that
// ticket only and the bot link, tell the operators.
import type { Deps } from '../deps.ts';
import { badRequest } from '../errors.ts';
import { clientsRepository, type ContactIdentity } from '../repositories/clients.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { messages } from '../texts/messages.ts';
import { contactIdentity } from './contact.ts';
import { typedContact } from './submit-application.ts';
import { newTicketMessage, notify } from './session-processes.ts';
import { botLink, linkCheckFields, recordTicketDueTimes } from './ticket-links.ts';
import { inTransaction } from './transaction.ts';
import type { Actor } from '../domain/access.ts';
import { provenClient, provenClientOf } from './proven-client.ts';

export interface DiagnosticRequestInput {
  clientName: string;
  phone?: string;
  telegram?: string;
  email?: string;
  requestText: string;
  utm?: Record<string, unknown>;
  raw: Record<string, unknown>;
}

export async function requestDiagnosticSession(deps: Deps, actor: Actor, input: DiagnosticRequestInput) {
  const proven = provenClientOf(actor);
  const identities: ContactIdentity[] = [];
  if (input.telegram) identities.push(contactIdentity('telegram', input.telegram, 'client_telegram'));
  if (input.phone) identities.push(contactIdentity('phone', input.phone, 'client_phone'));
  if (input.email) identities.push(contactIdentity('email', input.email, 'client_email'));
  const [primary] = identities;
  if (!primary)
    throw badRequest(
      'client_phone',
      'give at least one contact: client_phone, client_telegram or client_email',
    );
  // The first contact is the one the operators are shown first; all of them are kept as claims.
  const contact: ContactIdentity = Object.assign({}, ...identities.slice().reverse());
  contact.key = primary.key;
  contact.type = primary.type;
  contact.value = primary.value;

  const { ticketId, leadNumber, grant, link } = await inTransaction(deps, async (trx, events) => {
    const now = deps.clock.now();
    const client = proven
      ? await provenClient(trx, proven)
      : await clientsRepository.create(trx, contact, { name: input.clientName, utm: input.utm }, now);
    const ticket = await ticketsRepository.insert(
      trx,
      {
        client_id: client.id,
        type: 'diagnostic',
        status: 'new',
        request_text: input.requestText,
        utm: input.utm ? JSON.stringify(input.utm) : null,
        raw_payload: JSON.stringify(input.raw),
        typed_contact: JSON.stringify(typedContact(input.clientName, undefined, contact)),
        ...linkCheckFields(now),
      },
      undefined,
      (ticketId) => ({ bot_link: botLink(deps, ticketId) }),
    );
    recordTicketDueTimes(events, ticket);
    const text = messages.ticketCreatedAdmin({
      ticketId: ticket.ticket_id,
      kind: 'диагностическая сессия',
      lead: client.lead_number,
      name: input.clientName,
      age: null,
      contact: identities.map((i) => `${i.type}: ${i.value}`).join(', '),
      request: input.requestText,
    });
    await notify(deps, trx, [newTicketMessage(deps, ticket.ticket_id, text, { clientId: client.id })]);
    return {
      ticketId: ticket.ticket_id,
      leadNumber: client.lead_number,
      // A public submission's token opens the ticket it created, never the person as a whole.
      grant: { clientId: client.id, ticketId: ticket.ticket_id },
      link: ticket.bot_link,
    };
  });
  return {
    success: true as const,
    message: messages.reply.diagnosticRequestReceived,
    ticket_id: ticketId,
    lead_number: leadNumber,
    client_token: await deps.tokens.issue(grant, deps.clock.now()),
    bot_link: link,
  };
}
