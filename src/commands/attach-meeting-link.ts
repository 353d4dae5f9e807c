// Gives a booked or moved session its video link after the booking committed, then writes the client's
// and psychologist's messages that carry it. Runs as the after-commit effect of every booking or move
// whose link needs a provider's call (a Jitsi link is made by the booking itself) and as a sweep over
// sessions left without a link (a crash or a provider outage between commit and effect).
//
// Exactly one meeting per session and start, though the effect may run twice, the sweep may overlap it
// and two instances may race:
// 1. the runner first claims the session for a while (a conditional UPDATE): a second runner finds the
//    claim and leaves the session alone, so normally only one runner calls the providers;
// 2. the providers are called with no transaction open (a slow one holds no lock and no connection);
// 3. the link is set with a conditional UPDATE (still active, same start, no link yet);
// 4. a runner that loses there anyway (its claim expired while a provider hung, or the session moved or
//    ended meanwhile) deletes the meeting it made at the provider.
import type { Deps } from '../deps.ts';
import { MeetingNotNeeded, type Meeting } from '../integrations/video.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { loadParties, writeBookingMessages } from './session-processes.ts';
import { SweepFailed } from './sweep.ts';
import { inTransaction } from './transaction.ts';

/** A claim outlasts the whole chain (at most three providers, each within its time) by a margin. */
const claimMs = (deps: Deps) => 3 * deps.config.videoTimeoutMs + 60_000;

export async function attachMeetingLink(
  deps: Deps,
  input: { sessionId: string; startAt: Date; previousStart: Date | null },
): Promise<boolean> {
  const now = deps.clock.now();
  const until = new Date(now.getTime() + claimMs(deps));
  const session = await sessionsRepository.claimMeetingLink(
    deps.db,
    input.sessionId,
    input.startAt,
    now,
    until,
  );
  if (!session) return false;
  let meeting: Meeting;
  try {
    meeting = await deps.video.create({
      sessionId: session.id,
      startAt: session.start_at,
      durationMinutes: session.duration_minutes,
    });
  } catch (error) {
    // Give the claim back so that the sweep may try again without waiting for it to expire.
    await sessionsRepository.releaseMeetingLinkClaim(deps.db, session.id, until);
    if (error instanceof MeetingNotNeeded) return false;
    throw error;
  }
  let linked = false;
  try {
    linked = await inTransaction(deps, async (trx) => {
      const updated = await sessionsRepository.attachMeetingLink(
        trx,
        session.id,
        input.startAt,
        meeting,
        deps.clock.now(),
      );
      if (!updated) return false;
      const parties = await loadParties(trx, updated);
      await writeBookingMessages(deps, trx, parties, input.previousStart ?? undefined);
      return true;
    });
  } finally {
    // Another runner linked the session, or it moved or ended meanwhile: this meeting is nobody's.
    if (!linked) await deps.video.remove(meeting);
  }
  return linked;
}

/**
 * The backstop: every active session without a link gets one (and its messages). One session failing
 * does not stop the others; the sweep then throws (the job shows as failed). Returns how many got one.
 */
export async function attachMissingMeetingLinks(deps: Deps, limit = 200): Promise<number> {
  let attached = 0;
  let failed = 0;
  for (const session of await sessionsRepository.activeWithoutLink(deps.db, deps.clock.now(), limit)) {
    try {
      const input = { sessionId: session.id, startAt: session.start_at, previousStart: null };
      if (await attachMeetingLink(deps, input)) attached++;
    } catch (error) {
      failed++;
      deps.log.error({ err: { name: (error as Error).name } }, 'video link not attached');
    }
  }
  if (failed) throw new SweepFailed(attached, failed);
  return attached;
}
