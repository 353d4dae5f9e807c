// The session state machine of SPEC §4 (the seed's SessionStatus).
import { isActive, type SessionStatus } from './vocabulary.ts';

// Marking what happened (completed / missed) is allowed from either active status once the session
// has started: the psychologist's "Не пришёл" on a confirmed session must not wait for the sweep.
const TRANSITIONS: Record<SessionStatus, SessionStatus[]> = {
  pending: ['confirmed', 'cancelled', 'missed', 'completed'],
  confirmed: ['cancelled', 'completed', 'missed'],
  completed: ['missed'],
  missed: ['completed'],
  cancelled: [],
};

export function isAllowedTransition(from: SessionStatus, to: SessionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export { isActive } from './vocabulary.ts';

/**
 * Whether a session took place by `now`: completed, or still active once its end has passed (the
 * feedback sweep marks it later). Only such a session can be rated; a missed or cancelled one cannot.
 */
export function tookPlace(
  session: { status: SessionStatus; start_at: Date; duration_minutes: number },
  now: Date,
): boolean {
  if (session.status === 'completed') return true;
  const ended = session.start_at.getTime() + session.duration_minutes * 60_000 <= now.getTime();
  return ended && isActive(session.status);
}
