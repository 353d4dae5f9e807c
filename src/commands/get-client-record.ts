// What the service holds about one person, for operators: the client with their tickets, sessions,
// questionnaires and messages (GET /admin/clients/:lead_number; the erasure's counterpart).
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { formsRepository } from '../repositories/forms.repository.ts';
import { outboxRepository } from '../repositories/outbox.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';

export async function getClientRecord(deps: Deps, actor: Actor, input: { leadNumber: string }) {
  requireService(actor);
  const client = await clientsRepository.findByLeadOrId(deps.db, input.leadNumber);
  if (!client) throw notFound('client');
  const [tickets, sessions, questionnaires, messages] = await Promise.all([
    ticketsRepository.ofClient(deps.db, client.id),
    sessionsRepository.historyOfClient(deps.db, client.id),
    formsRepository.questionnairesOfClient(deps.db, client.id),
    outboxRepository.list(deps.db, { clientId: client.id, limit: 200 }),
  ]);
  return { client, tickets, sessions, questionnaires, messages };
}
