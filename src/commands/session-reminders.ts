// session-reminders: two hours before a session, the client (with the link and preparation tips) and
// the psychologist are reminded — once per session and start, a moved session again for its new time.
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages } from '../texts/messages.ts';
import { factsOf, loadParties, notify } from './session-processes.ts';
import { sweepDue } from './sweep.ts';

export async function sendDueReminders(deps: Deps, actor: Actor): Promise<{ reminded: number }> {
  requireService(actor);
  const now = deps.clock.now();
  const reminded = await sweepDue(
    deps,
    (limit) => sessionsRepository.dueForReminder(deps.db, now, limit),
    async (trx, _events, { id }) => {
      const session = await sessionsRepository.claimReminder(trx, id, now);
      if (!session) return false;
      const parties = await loadParties(trx, session);
      const facts = factsOf(parties);
      const key = `reminder:2h:${session.id}:${session.start_at.toISOString()}`;
      const refs = { clientId: session.client_id, ticketId: session.ticket_id, sessionId: session.id };
      await notify(deps, trx, [
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
      ]);
      return true;
    },
  );
  if (reminded) deps.outbox.wake();
  return { reminded };
}
