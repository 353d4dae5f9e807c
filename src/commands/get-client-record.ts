// What the service holds about one person, for operators: the client with their tickets, sessions,
// questionnaires and messages, the newest MAX_PAGE of each (GET /admin/clients/:lead_number; the
// erasure's counterpart).
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { formsRepository } from '../repositories/forms.repository.ts';
import { outboxRepository } from '../repositories/outbox.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { MAX_PAGE } from '../domain/limits.ts';

/** The newest messages an operator's view of a person or a ticket shows. */
export const MESSAGES_SHOWN = 200;

export async function getClientRecord(deps: Deps, actor: Actor, input: { leadNumber: string }) {
  requireService(actor);
  const client = await clientsRepository.findByLeadOrId(deps.db, input.leadNumber);
  if (!client) throw notFound('client');
  const [tickets, sessions, questionnaires, messages] = await Promise.all([
    ticketsRepository.ofClient(deps.db, client.id, MAX_PAGE),
    sessionsRepository.historyOfClient(deps.db, client.id, MAX_PAGE),
    formsRepository.questionnairesOfClient(deps.db, client.id, MAX_PAGE),
    outboxRepository.list(deps.db, { clientId: client.id, limit: MESSAGES_SHOWN }),
  ]);
  return { client, tickets, sessions, questionnaires, messages };
}
