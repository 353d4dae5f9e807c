// number_of_clients_provided of one psychologist: their sessions this Moscow month that are completed
// or confirmed and already started. Refreshed whenever a session becomes or stops being completed, and
// by the daily job for everyone, so the coefficient is never a day behind.
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import { moscowDayStart, moscowNextMonthStart, partsAt } from '../domain/time.ts';

export function monthBounds(now: Date): { start: Date; end: Date } {
  const day = partsAt(now).day;
  return { start: moscowDayStart(now, -(day - 1)), end: moscowNextMonthStart(now) };
}

export async function refreshClientsProvided(
  trx: Executor,
  psychologistId: string,
  now: Date,
): Promise<void> {
  const { start, end } = monthBounds(now);
  await trx
    .updateTable('hraniteli_psychologists')
    .set({
      number_of_clients_provided: sql<number>`(select count(*) from hraniteli_sessions s
        where s.psychologist_id = ${psychologistId} and s.start_at >= ${start} and s.start_at < ${end}
        and (s.status = 'completed' or (s.status = 'confirmed' and s.start_at <= ${now})))::int`,
      updated_at: now,
    })
    .where('id', '=', psychologistId)
    .execute();
}
