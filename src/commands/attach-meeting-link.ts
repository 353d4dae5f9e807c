// Gives a booked or moved session its video link after the booking committed, then writes the client's
// and psychologist's messages that carry it. Runs as the after-commit effect of every booking and as a
// sweep over sessions left without a link (a crash or a provider outage between commit and effect).
// The link is set once per session and start: a second runner finds it set and writes nothing.
import type { Deps } from '../deps.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { loadParties, writeBookingMessages } from './session-processes.ts';
import { inTransaction } from './transaction.ts';

export async function attachMeetingLink(
  deps: Deps,
  input: { sessionId: string; startAt: Date; previousStart: Date | null },
): Promise<boolean> {
  const session = await sessionsRepository.findById(deps.db, input.sessionId);
  if (!session || session.meeting_link || session.start_at.getTime() !== input.startAt.getTime())
    return false;
  // The provider is called with no transaction open: a slow one holds no lock and no connection.
  const meeting = await deps.video.create({
    sessionId: session.id,
    startAt: session.start_at,
    durationMinutes: session.duration_minutes,
  });
  return inTransaction(deps, async (trx) => {
    const linked = await sessionsRepository.attachMeetingLink(
      trx,
      session.id,
      input.startAt,
      meeting,
      deps.clock.now(),
    );
    if (!linked) return false;
    const parties = await loadParties(trx, linked);
    await writeBookingMessages(deps, trx, parties, input.previousStart ?? undefined);
    return true;
  });
}

/** The backstop: every active session without a link gets one (and its messages). Returns how many. */
export async function attachMissingMeetingLinks(deps: Deps, limit = 200): Promise<number> {
  let attached = 0;
  for (const session of await sessionsRepository.activeWithoutLink(deps.db, limit)) {
    if (
      await attachMeetingLink(deps, { sessionId: session.id, startAt: session.start_at, previousStart: null })
    )
      attached++;
  }
  return attached;
}
