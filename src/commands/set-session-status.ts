// An operator (or the psychologist's buttons) marks a session completed, missed or cancelled. The
// state machine of SPEC §4 decides what is allowed; everything else is a 409 naming the status.
import type { Deps } from '../deps.ts';
import type { Session } from '../db/types.ts';
import { conflict, notFound } from '../errors.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { isAllowedTransition } from '../domain/session-state.ts';
import { cancelActiveSession, recordOutcome } from './session-processes.ts';
import { inTransaction } from './transaction.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';

export async function setSessionStatus(
  deps: Deps,
  actor: Actor,
  input: { sessionId: string; status: 'completed' | 'missed' | 'cancelled'; reason: string | null },
): Promise<Session> {
  requireService(actor);
  const { sessionId, status, reason } = input;
  return inTransaction(deps, async (trx, events) => {
    const found = await sessionsRepository.findById(trx, sessionId);
    if (!found) throw notFound('session');
    await slotsRepository.lock(trx, found.slot_id);
    const session = (await sessionsRepository.findById(trx, sessionId, true))!;
    if (session.status === status) return session;
    if (!isAllowedTransition(session.status, status)) {
      throw conflict(
        'transition_not_allowed',
        `сессия в статусе ${session.status}: перевести в ${status} нельзя`,
      );
    }
    const now = deps.clock.now();
    if (status === 'cancelled') return cancelActiveSession(deps, trx, events, session, reason, 'operator');
    if (session.start_at.getTime() > now.getTime()) {
      throw conflict(
        'session_not_started',
        'сессия ещё не началась: отметить её состоявшейся или пропущенной нельзя',
      );
    }
    const updated = await recordOutcome(trx, session, status, now);
    return updated;
  });
}
