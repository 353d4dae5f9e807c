// The vocabularies as SQL literals. Written into the query text, not bound as parameters: the planner
// matches the partial indexes over active sessions (migrations 001, 002) only against literal lists.
import { sql } from 'kysely';
import { ACTIVE_SESSION_STATUSES } from '../domain/vocabulary.ts';

const literalList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/** `pending, confirmed` — the statuses that hold a slot. */
export const ACTIVE_STATUSES_SQL = literalList(ACTIVE_SESSION_STATUSES);

/** The active statuses and those of a session that took place: its slot stays booked. */
export const SLOT_HOLDING_STATUSES_SQL = literalList([...ACTIVE_SESSION_STATUSES, 'completed', 'missed']);
