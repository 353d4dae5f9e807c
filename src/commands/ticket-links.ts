// The bot deep link of a new ticket and when to check that the person opened it.
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import type { EventLog } from '../effects/events.ts';

const LINK_CHECK_DELAY_MS = 2 * 60_000;

/** `https://t.me/<bot>?start=<ticket_id>`, or null while no bot username is configured. */
export function botLink(deps: Deps, ticketId: string): string | null {
  const bot = deps.config.telegram.botUsername;
  return bot ? `https://t.me/${bot}?start=${ticketId}` : null;
}

/** check-link-transition is due 2 minutes after the link was created (a due time on the ticket). */
export function linkCheckFields(now: Date) {
  return {
    link_check_due_at: new Date(now.getTime() + LINK_CHECK_DELAY_MS),
    created_at: now,
    updated_at: now,
  };
}

/** Wake-ups of the jobs a new ticket falls due for: its link check, and a helping hand's first question. */
export function recordTicketDueTimes(
  events: EventLog,
  ticket: Pick<Ticket, 'ticket_id' | 'link_check_due_at' | 'help_hand_next_check_at'>,
): void {
  if (ticket.link_check_due_at)
    events.record({
      type: 'job-due',
      job: 'check-link-transition',
      at: ticket.link_check_due_at,
      key: `link:${ticket.ticket_id}`,
    });
  if (ticket.help_hand_next_check_at)
    events.record({
      type: 'job-due',
      job: 'confirm-help-hand',
      at: ticket.help_hand_next_check_at,
      key: `help-hand:${ticket.ticket_id}:${ticket.help_hand_next_check_at.toISOString()}`,
    });
}
