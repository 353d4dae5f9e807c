// session-reminders: two hours before a session, the client (with the link and preparation tips) and
// the psychologist are reminded — once per session and start, a moved session again for its new time.
// Many sessions fall due at once (a whole hour's start times), so they are claimed a batch at a time.
import type { Deps, Executor } from '../deps.ts';
import type { Session } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import type { OutgoingMessage } from '../repositories/outbox.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { factsOf, loadPartiesOfSessions, notify } from './session-processes.ts';
import { sweepInBatches } from './sweep.ts';

export async function sendDueReminders(deps: Deps, actor: Actor): Promise<{ reminded: number }> {
  requireService(actor);
  const now = deps.clock.now();
  const reminded = await sweepInBatches(deps, {
    claim: (trx, limit) => sessionsRepository.claimDueReminders(trx, now, limit),
    handle: (trx, _events, sessions) => writeReminders(deps, trx, sessions),
    due: (limit) => sessionsRepository.dueForReminder(deps.db, now, limit),
    claimOne: (trx, { id }) => sessionsRepository.claimReminder(trx, id, now),
  });
  if (reminded) deps.outbox.wake();
  return { reminded };
}

/** The claimed sessions' reminders, to the client and to the psychologist, in one write. */
async function writeReminders(deps: Deps, trx: Executor, sessions: Session[]): Promise<void> {
  const outgoing: OutgoingMessage[] = [];
  for (const parties of await loadPartiesOfSessions(trx, sessions)) {
    const { session } = parties;
    const facts = factsOf(parties);
    const key = `reminder:2h:${session.id}:${session.start_at.toISOString()}`;
    const refs = { clientId: session.client_id, ticketId: session.ticket_id, sessionId: session.id };
    outgoing.push(
      {
        dedupeKey: `${key}:client`,
        recipient: 'client',
        chatId: parties.client.telegram_id,
        text: messages.jobs.reminderClient(facts, deps.config.preparationTipsUrl ?? null),
        ...refs,
      },
      {
        dedupeKey: `${key}:psychologist`,
        recipient: 'psychologist',
        chatId: parties.psychologist.telegram_id,
        text: messages.jobs.reminderPsychologist(facts, parties.client.lead_number),
        ...refs,
      },
    );
  }
  await notify(deps, trx, outgoing);
}
