// The session state machine of SPEC §4 (the seed's SessionStatus).
import type { SessionStatus } from './vocabulary.ts';

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
