// The first lines of every client action on a ticket: find it, then check the actor may touch it.
import type { Deps, Executor } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { requireTicketAccess, unknownTo, type Actor } from '../domain/access.ts';
import { notFound } from '../errors.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';

export async function ownedTicket(
  deps: Deps,
  actor: Actor,
  ticketId: string,
  db: Executor = deps.db,
): Promise<Ticket> {
  const ticket = await ticketsRepository.find(db, ticketId);
  if (!ticket) throw unknownTo(actor, notFound('ticket', `заявка ${ticketId} не найдена`));
  requireTicketAccess(actor, ticket);
  return ticket;
}
