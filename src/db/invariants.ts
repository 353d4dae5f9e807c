// The invariant check of quality.md, run after every reliability test. A slot whose session took
// place (completed or missed) stays booked: the time was used, and schedules keep showing it as taken.
// So "exactly one active session" reads "exactly one session that is active or took place".
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from './types.ts';
import { ACTIVE_STATUSES_SQL, SLOT_HOLDING_STATUSES_SQL } from './vocabulary-sql.ts';

export async function invariantViolations(db: Kysely<DB>): Promise<string[]> {
  const problems: string[] = [];
  const bookedWithoutOne = await sql<{ id: string; n: number }>`
    select s.id, count(x.id)::int as n from hraniteli_slots s
    left join hraniteli_sessions x on x.slot_id = s.id and x.status in (${SLOT_HOLDING_STATUSES_SQL})
    where s.state = 'booked' group by s.id having count(x.id) <> 1`.execute(db);
  for (const r of bookedWithoutOne.rows)
    problems.push(`booked slot ${r.id} has ${r.n} active or held sessions`);
  const activeOnFree = await sql<{ id: string }>`
    select x.id from hraniteli_sessions x join hraniteli_slots s on s.id = x.slot_id
    where x.status in (${ACTIVE_STATUSES_SQL}) and s.state <> 'booked'`.execute(db);
  for (const r of activeOnFree.rows) problems.push(`active session ${r.id} is on a slot that is not booked`);
  const doubled = await sql<{ slot_id: string }>`
    select slot_id from hraniteli_sessions where status in (${ACTIVE_STATUSES_SQL})
    group by slot_id having count(*) > 1`.execute(db);
  for (const r of doubled.rows) problems.push(`slot ${r.slot_id} has two active sessions`);
  const mismatched = await sql<{ id: string }>`
    select x.id from hraniteli_sessions x join hraniteli_slots s on s.id = x.slot_id
    where x.status in (${ACTIVE_STATUSES_SQL})
      and (x.start_at <> s.start_at or x.duration_minutes <> s.duration_minutes)`.execute(db);
  for (const r of mismatched.rows) problems.push(`active session ${r.id} does not match its slot's time`);
  return problems;
}
