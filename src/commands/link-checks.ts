// check-link-transition: two minutes after a ticket's bot link was made, if the person has not opened
// it, the operators are told once, with the ticket number and the contact the submission typed.
import type { Deps } from '../deps.ts';
import { requireService, SERVICE, type Actor } from '../domain/access.ts';
import { contactShownTo } from './shown-contact.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { messages } from '../texts/messages.ts';
import { adminMessage, notify } from './session-processes.ts';
import { sweepDue } from './sweep.ts';

export async function checkDueLinks(deps: Deps, actor: Actor): Promise<{ checked: number; alerted: number }> {
  requireService(actor);
  const now = deps.clock.now();
  let alerted = 0;
  const checked = await sweepDue(
    deps,
    (limit) => ticketsRepository.dueLinkChecks(deps.db, now, limit),
    async (trx, _events, { ticket_id }) => {
      const ticket = await ticketsRepository.claimLinkCheck(trx, ticket_id, now);
      if (!ticket) return false;
      // No bot link was made (no bot configured), or the person opened it: nothing to tell.
      if (ticket.link_opened_at || !ticket.bot_link) return true;
      const client = await clientsRepository.findById(trx, ticket.client_id);
      const shown = await contactShownTo(trx, SERVICE, ticket, client);
      await notify(deps, trx, [
        adminMessage(
          deps,
          `link-not-opened:${ticket.ticket_id}`,
          messages.jobs.linkNotOpenedAdmin(
            ticket.ticket_id,
            client?.lead_number ?? '—',
            shown.telegram ?? shown.phone ?? shown.email ?? client?.contact_value ?? null,
          ),
          { clientId: ticket.client_id, ticketId: ticket.ticket_id },
        ),
      ]);
      alerted++;
      return true;
    },
  );
  if (alerted) deps.outbox.wake();
  return { checked, alerted };
}
