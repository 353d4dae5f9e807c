// The invariant check of quality.md, run after every reliability test. A slot whose session took
// place (completed or missed) stays booked: the time was used, and schedules keep showing it as taken.
// So "exactly one active session" reads "exactly one session that is active or took place".
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from './types.ts';
import { ACTIVE_STATUSES_SQL, SLOT_HOLDING_STATUSES_SQL } from './vocabulary-sql.ts';

export async function invariantViolations(db: Kysely<DB>): Promise<string[]> {
  const problems: string[] = [];
  // A booked slot holds one client session, or one event registration of its psychologist (migration 013).
  const bookedWithoutOne = await sql<{ id: string; n: number }>`
    select s.id, (count(x.id) + (select count(*) from event_registrations r where r.slot_id = s.id))::int as n
    from hraniteli_slots s
    left join hraniteli_sessions x on x.slot_id = s.id and x.status in (${SLOT_HOLDING_STATUSES_SQL})
    where s.state = 'booked' group by s.id
    having count(x.id) + (select count(*) from event_registrations r where r.slot_id = s.id) <> 1`.execute(
    db,
  );
  for (const r of bookedWithoutOne.rows)
    problems.push(`booked slot ${r.id} has ${r.n} active or held sessions and event registrations`);
  const registrationOnFree = await sql<{ slot_id: string }>`
    select r.slot_id from event_registrations r join hraniteli_slots s on s.id = r.slot_id
    where s.state <> 'booked' or s.psychologist_id <> r.psychologist_id`.execute(db);
  for (const r of registrationOnFree.rows)
    problems.push(`event registration on slot ${r.slot_id} does not hold its psychologist's booked slot`);
  const miscounted = await sql<{ id: string }>`
    select e.id from calendar_events e
    where e.current_participants <> (select count(*) from event_registrations r where r.event_id = e.id)
       or e.current_participants > e.max_participants`.execute(db);
  for (const r of miscounted.rows)
    problems.push(`event ${r.id} counts participants other than its registrations`);
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
