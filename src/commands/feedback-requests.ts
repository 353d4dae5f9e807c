// feedback-reminders: an hour after a session's end, a session still `confirmed` becomes `completed`
// and one still `pending` (never confirmed) becomes `missed`; the client is asked how it went (when it
// took place, with buttons 1–5 that rate it) and the psychologist to mark it with «Состоялась» /
// «Не пришёл». Once per session and start.
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { attendanceButtons, ratingButtons } from '../texts/callback-data.ts';
import { messages } from '../texts/messages.ts';
import { factsOf, loadParties, notify, recordOutcome } from './session-processes.ts';
import { sweepDue } from './sweep.ts';

export async function askDueFeedback(
  deps: Deps,
  actor: Actor,
): Promise<{ asked: number; completed: number; missed: number }> {
  requireService(actor);
  const now = deps.clock.now();
  let completed = 0;
  let missed = 0;
  const asked = await sweepDue(
    deps,
    (limit) => sessionsRepository.dueForFeedback(deps.db, now, limit),
    async (trx, _events, { id }) => {
      let session = await sessionsRepository.claimFeedback(trx, id, now);
      if (!session) return false;
      if (session.status === 'cancelled') return true;
      if (session.status === 'confirmed') {
        session = await recordOutcome(trx, session, 'completed', now);
        completed++;
      } else if (session.status === 'pending') {
        session = await recordOutcome(trx, session, 'missed', now);
        missed++;
      }
      const parties = await loadParties(trx, session);
      const facts = factsOf(parties);
      const key = `feedback:${session.id}:${session.start_at.toISOString()}`;
      const refs = { clientId: session.client_id, ticketId: session.ticket_id, sessionId: session.id };
      await notify(deps, trx, [
        ...(session.status === 'completed'
          ? [
              {
                dedupeKey: `${key}:client`,
                recipient: 'client' as const,
                chatId: parties.client.telegram_id,
                text: messages.jobs.feedbackClient(facts),
                buttons: ratingButtons(deps.callbacks, session.id),
                ...refs,
              },
            ]
          : []),
        {
          dedupeKey: `${key}:psychologist`,
          recipient: 'psychologist',
          chatId: parties.psychologist.telegram_id,
          text: messages.jobs.feedbackPsychologist(facts, parties.client.lead_number),
          buttons: attendanceButtons(deps.callbacks, session.id),
          ...refs,
        },
      ]);
      return true;
    },
  );
  if (asked) deps.outbox.wake();
  return { asked, completed, missed };
}
