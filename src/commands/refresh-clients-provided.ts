// number_of_clients_provided of one psychologist: their sessions this Moscow month that are completed
// or confirmed and already started. Refreshed whenever a session becomes or stops being completed, and
// by the daily job for everyone, so the coefficient is never a day behind.
import type { Deps, Executor } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { moscowDayStart, moscowNextMonthStart, partsAt } from '../domain/time.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';

export function monthBounds(now: Date): { start: Date; end: Date } {
  const day = partsAt(now).day;
  return { start: moscowDayStart(now, -(day - 1)), end: moscowNextMonthStart(now) };
}

export async function refreshClientsProvided(
  trx: Executor,
  psychologistId: string,
  now: Date,
): Promise<void> {
  await psychologistsRepository.refreshClientsProvided(trx, psychologistId, monthBounds(now), now);
}

/** update-sessions-count: every psychologist's count at once (the daily job). */
export async function refreshAllClientsProvided(
  deps: Deps,
  actor: Actor,
): Promise<{ psychologists: number }> {
  requireService(actor);
  const now = deps.clock.now();
  return {
    psychologists: await psychologistsRepository.refreshAllClientsProvided(deps.db, monthBounds(now), now),
  };
}
