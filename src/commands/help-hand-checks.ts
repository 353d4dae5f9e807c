// confirm-help-hand: a helping-hand ticket still waiting for a psychologist is asked about at 7 and 14
// days («заявка ещё актуальна?», Да/Нет; «Нет» closes it) and reported to the operators at 21 days.
import type { Deps } from '../deps.ts';
import { requireTicketAccess, requireService, unknownTo, type Actor } from '../domain/access.ts';
import { conflict, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { ticketsRepository, OPEN_TICKET_STATUSES } from '../repositories/tickets.repository.ts';
import { helpHandButtons } from '../texts/callback-data.ts';
import { messages } from '../texts/messages.ts';
import { adminMessage, notify } from './session-processes.ts';
import { sweepDue } from './sweep.ts';
import { inTransaction } from './transaction.ts';

const DAY_MS = 24 * 3_600_000;
/** Stage n's check falls due this many days after the ticket was made (then stage n+1). */
const CHECK_DAYS = [7, 14, 21];

export async function checkHelpHand(deps: Deps, actor: Actor): Promise<{ asked: number; alerted: number }> {
  requireService(actor);
  const now = deps.clock.now();
  let asked = 0;
  let alerted = 0;
  await sweepDue(
    deps,
    (limit) => ticketsRepository.dueHelpHand(deps.db, now, limit),
    async (trx, _events, due) => {
      const stage = due.help_hand_stage;
      const current = await ticketsRepository.find(trx, due.ticket_id);
      if (!current) return false;
      const nextDay = CHECK_DAYS[stage + 1];
      const next = {
        stage: stage + 1,
        at: nextDay === undefined ? null : new Date(current.created_at.getTime() + nextDay * DAY_MS),
      };
      const ticket = await ticketsRepository.advanceHelpHand(trx, due.ticket_id, stage, next, now);
      if (!ticket) return false;
      const open = OPEN_TICKET_STATUSES.includes(ticket.status) && !ticket.psychologist_id;
      if (!open) return true;
      const client = await clientsRepository.findById(trx, ticket.client_id);
      const refs = { clientId: ticket.client_id, ticketId: ticket.ticket_id };
      if (stage < 2) {
        await notify(deps, trx, [
          {
            dedupeKey: `help-hand:${ticket.ticket_id}:${stage}:client`,
            recipient: 'client',
            chatId: client?.telegram_id ?? null,
            text: messages.jobs.helpHandStillWanted,
            buttons: helpHandButtons(deps.callbacks, ticket.ticket_id),
            ...refs,
          },
        ]);
        asked++;
      } else {
        await notify(deps, trx, [
          adminMessage(
            deps,
            `help-hand:${ticket.ticket_id}:21d:admin`,
            messages.jobs.helpHandNobodyAdmin(ticket.ticket_id, client?.lead_number ?? '—'),
            refs,
          ),
        ]);
        alerted++;
      }
      return true;
    },
  );
  if (asked || alerted) deps.outbox.wake();
  return { asked, alerted };
}

/** The client's answer to «заявка ещё актуальна?»: «Нет» closes the ticket. */
export async function answerHelpHand(
  deps: Deps,
  actor: Actor,
  input: { ticketId: string; stillWanted: boolean },
): Promise<{ message: string }> {
  return inTransaction(deps, async (trx) => {
    const ticket = await ticketsRepository.lock(trx, input.ticketId);
    if (!ticket) throw unknownTo(actor, notFound('ticket'));
    requireTicketAccess(actor, ticket);
    if (!OPEN_TICKET_STATUSES.includes(ticket.status)) throw conflict('ticket_closed', 'заявка уже закрыта');
    const now = deps.clock.now();
    if (!input.stillWanted) {
      await ticketsRepository.update(
        trx,
        ticket.ticket_id,
        { status: 'closed', help_hand_next_check_at: null },
        now,
      );
      return { message: messages.jobs.helpHandNo };
    }
    await ticketsRepository.update(trx, ticket.ticket_id, { help_hand_confirmed_at: now }, now);
    return { message: messages.jobs.helpHandYes };
  });
}
