// An operator moves a ticket through its lifecycle (SPEC §4) or chooses its psychologist. On a helping-hand
// ticket that choice is the allotment (help-hand.ts): a helping-hand psychologist only, and the client gets
// a new confirm link. A ticket with an active session keeps its status until that session is cancelled:
// the session and the ticket must not tell different stories.
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import type { TicketStatus } from '../domain/vocabulary.ts';
import { conflict, notFound } from '../errors.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { allotHelpHand } from './help-hand.ts';
import { inTransaction } from './transaction.ts';

export interface MoveTicketInput {
  /** Our ticket id or the web form's own id for it. */
  ticketId: string;
  status?: Exclude<TicketStatus, 'booked'>;
  /** The chosen psychologist, by id or name; a `new` ticket becomes `matched` unless a status is given. */
  psychologist?: string;
  note?: string;
}

export interface MovedTicket {
  ticket: Ticket;
  /** A helping-hand allotment's confirm link (also sent to the client), for the operator to pass on. */
  confirmUrl: string | null;
}

export async function moveTicket(deps: Deps, actor: Actor, input: MoveTicketInput): Promise<MovedTicket> {
  requireService(actor);
  return inTransaction(deps, async (trx) => {
    const ticket = await ticketsRepository.lockByLinkRef(trx, input.ticketId);
    if (!ticket) throw notFound('ticket');
    let psychologistId: string | undefined;
    let allotment: Awaited<ReturnType<typeof allotHelpHand>> | undefined;
    if (input.psychologist) {
      const p = await psychologistsRepository.findByIdOrName(trx, input.psychologist);
      if (!p) throw notFound('psychologist');
      psychologistId = p.id;
      if (ticket.type === 'help_hand' && !input.status) allotment = await allotHelpHand(deps, trx, ticket, p);
    }
    if (input.status && input.status !== ticket.status) {
      const active = await sessionsRepository.activeOfTicket(trx, ticket.ticket_id);
      if (active) {
        throw conflict(
          'ticket_has_active_session',
          `заявка в статусе ${ticket.status} с активной сессией: сначала отмените сессию`,
        );
      }
    }
    const moved = await ticketsRepository.update(
      trx,
      ticket.ticket_id,
      {
        ...allotment?.values,
        ...(input.status ? { status: input.status } : {}),
        ...(psychologistId
          ? {
              psychologist_id: psychologistId,
              matched_psychologists: ticket.matched_psychologists.includes(psychologistId)
                ? ticket.matched_psychologists
                : [...ticket.matched_psychologists, psychologistId],
              ...(!input.status && ticket.status === 'new' ? { status: 'matched' as const } : {}),
            }
          : {}),
        ...(input.note !== undefined ? { note: input.note } : {}),
      },
      deps.clock.now(),
    );
    return { ticket: moved, confirmUrl: allotment?.url ?? null };
  });
}
