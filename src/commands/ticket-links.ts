// The bot deep link of a new ticket and when to check that the person opened it.
import type { Deps } from '../deps.ts';

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
