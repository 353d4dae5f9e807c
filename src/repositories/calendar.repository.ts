// SQL for the psychologists' events calendar: events, registrations and the slots they hold, and the
// calendar tokens (their hashes). Decides nothing: the rules are in src/commands/calendar*.ts.
import { sql, type Insertable, type Updateable } from 'kysely';
import type { Executor } from '../deps.ts';
import type { CalendarEvent, CalendarEventsTable } from '../db/types.ts';
import { ACTIVE_STATUSES_SQL } from '../db/vocabulary-sql.ts';

/** A slot of the psychologist's own calendar, with the event its registration holds. */
export interface CalendarSlotRow {
  id: string;
  start_at: Date;
  state: 'free' | 'booked';
  event: string | null;
  event_modal_type: string | null;
  over_event: boolean;
}

export interface RegistrationRow {
  event_id: string;
  psychologist_id: string;
  slot_id: string;
  slot_created: boolean;
  created_at: Date;
}

export const calendarRepository = {
  // --- tokens ---------------------------------------------------------------------------------------

  /** Stores the hash of a psychologist's new token; the previous one stops matching at once. */
  async setSecretHash(db: Executor, psychologistId: string, hash: string, now: Date): Promise<void> {
    await db
      .insertInto('calendar_secrets')
      .values({ psychologist_id: psychologistId, secret_hash: hash, issued_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.column('psychologist_id').doUpdateSet({ secret_hash: hash, issued_at: now, updated_at: now }),
      )
      .execute();
  },

  /** The active psychologist whose token has this hash. */
  async psychologistBySecretHash(db: Executor, hash: string) {
    return db
      .selectFrom('calendar_secrets as c')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 'c.psychologist_id')
      .select(['p.id', 'p.name', 'c.secret_hash'])
      .where('c.secret_hash', '=', hash)
      .where('p.is_active', '=', true)
      .executeTakeFirst();
  },

  /** Psychologists that hold a token (for the demo data and operators). */
  async hasSecret(db: Executor, psychologistId: string): Promise<boolean> {
    const row = await db
      .selectFrom('calendar_secrets')
      .select('psychologist_id')
      .where('psychologist_id', '=', psychologistId)
      .executeTakeFirst();
    return row !== undefined;
  },

  // --- events ---------------------------------------------------------------------------------------

  async insertEvent(db: Executor, values: Insertable<CalendarEventsTable>): Promise<CalendarEvent> {
    return db.insertInto('calendar_events').values(values).returningAll().executeTakeFirstOrThrow();
  },

  async updateEvent(
    db: Executor,
    id: string,
    values: Updateable<CalendarEventsTable>,
  ): Promise<CalendarEvent> {
    return db
      .updateTable('calendar_events')
      .set(values)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async findEvent(db: Executor, id: string, lock = false): Promise<CalendarEvent | undefined> {
    let query = db.selectFrom('calendar_events').selectAll().where('id', '=', id);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  /** The event the page names by its start and title (a live one before a cancelled one), locked. */
  async lockEventAt(db: Executor, startAt: Date, title: string): Promise<CalendarEvent | undefined> {
    return db
      .selectFrom('calendar_events')
      .selectAll()
      .where('start_at', '=', startAt)
      .where('title', '=', title)
      .orderBy('is_canceled')
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
  },

  /** Events starting in [from, to), by time then title: the published ones, or every one (operators). */
  async list(
    db: Executor,
    range: { from: Date; to: Date },
    limit: number,
    which: 'published' | 'all',
  ): Promise<CalendarEvent[]> {
    let query = db
      .selectFrom('calendar_events')
      .selectAll()
      .where('start_at', '>=', range.from)
      .where('start_at', '<', range.to);
    if (which === 'published') query = query.where('is_published', '=', true);
    return query.orderBy('start_at').orderBy('title').limit(limit).execute();
  },

  async addParticipants(db: Executor, eventId: string, delta: number, now: Date): Promise<void> {
    await db
      .updateTable('calendar_events')
      .set({ current_participants: sql`current_participants + ${delta}`, updated_at: now })
      .where('id', '=', eventId)
      .execute();
  },

  // --- registrations --------------------------------------------------------------------------------

  async registration(
    db: Executor,
    eventId: string,
    psychologistId: string,
  ): Promise<RegistrationRow | undefined> {
    return db
      .selectFrom('event_registrations')
      .select(['event_id', 'psychologist_id', 'slot_id', 'slot_created', 'created_at'])
      .where('event_id', '=', eventId)
      .where('psychologist_id', '=', psychologistId)
      .executeTakeFirst();
  },

  async registrationOfSlot(db: Executor, slotId: string, lock = false): Promise<RegistrationRow | undefined> {
    let query = db
      .selectFrom('event_registrations')
      .select(['event_id', 'psychologist_id', 'slot_id', 'slot_created', 'created_at'])
      .where('slot_id', '=', slotId);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  /** The ids of the events among `eventIds` this psychologist is registered to. */
  async registeredEventIds(db: Executor, psychologistId: string, eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await db
      .selectFrom('event_registrations')
      .select('event_id')
      .where('psychologist_id', '=', psychologistId)
      .where('event_id', 'in', eventIds)
      .execute();
    return new Set(rows.map((r) => r.event_id));
  },

  /** An event's registrations with the psychologists' names, earliest first. */
  async registrationsOf(db: Executor, eventId: string, limit: number) {
    return db
      .selectFrom('event_registrations as r')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 'r.psychologist_id')
      .select([
        'r.psychologist_id',
        'p.name as psychologist',
        'p.telegram_id',
        'r.slot_id',
        'r.slot_created',
        'r.created_at',
      ])
      .where('r.event_id', '=', eventId)
      .orderBy('r.created_at')
      .orderBy('p.name')
      .limit(limit)
      .execute();
  },

  async insertRegistration(
    db: Executor,
    values: { eventId: string; psychologistId: string; slotId: string; slotCreated: boolean },
    now: Date,
  ): Promise<void> {
    await db
      .insertInto('event_registrations')
      .values({
        event_id: values.eventId,
        psychologist_id: values.psychologistId,
        slot_id: values.slotId,
        slot_created: values.slotCreated,
        created_at: now,
        updated_at: now,
      })
      .execute();
  },

  async deleteRegistration(db: Executor, eventId: string, psychologistId: string): Promise<void> {
    await db
      .deleteFrom('event_registrations')
      .where('event_id', '=', eventId)
      .where('psychologist_id', '=', psychologistId)
      .execute();
  },

  // --- the slots registrations hold -----------------------------------------------------------------

  /** The psychologist's slot starting at `at`, locked. */
  async lockSlotAt(db: Executor, psychologistId: string, at: Date) {
    return db
      .selectFrom('hraniteli_slots')
      .select(['id', 'state'])
      .where('psychologist_id', '=', psychologistId)
      .where('start_at', '=', at)
      .forUpdate()
      .executeTakeFirst();
  },

  async slotOwner(db: Executor, slotId: string) {
    return db
      .selectFrom('hraniteli_slots')
      .select(['id', 'psychologist_id', 'state'])
      .where('id', '=', slotId)
      .forUpdate()
      .executeTakeFirst();
  },

  /** A booked slot made for a registration; undefined when a slot at that time appeared meanwhile. */
  async insertBookedSlot(
    db: Executor,
    psychologistId: string,
    at: Date,
    durationMinutes: number,
    now: Date,
  ): Promise<string | undefined> {
    const row = await db
      .insertInto('hraniteli_slots')
      .values({
        psychologist_id: psychologistId,
        start_at: at,
        duration_minutes: durationMinutes,
        price: null,
        state: 'booked',
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['psychologist_id', 'start_at']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  },

  async setSlotState(db: Executor, slotId: string, state: 'free' | 'booked', now: Date): Promise<void> {
    await db
      .updateTable('hraniteli_slots')
      .set({ state, updated_at: now })
      .where('id', '=', slotId)
      .execute();
  },

  async deleteSlot(db: Executor, slotId: string): Promise<void> {
    await db.deleteFrom('hraniteli_slots').where('id', '=', slotId).execute();
  },

  /** True when the psychologist has an active client session overlapping [from, to). */
  async hasSessionDuring(db: Executor, psychologistId: string, from: Date, to: Date): Promise<boolean> {
    const result = await sql<{ one: number }>`
      select 1 as one from hraniteli_sessions x
      where x.psychologist_id = ${psychologistId} and x.status in (${ACTIVE_STATUSES_SQL})
        and x.start_at < ${to} and x.start_at + make_interval(mins => x.duration_minutes) > ${from}
      limit 1`.execute(db);
    return result.rows.length > 0;
  },

  /** True when the slot holds an active client session. */
  async slotHasSession(db: Executor, slotId: string): Promise<boolean> {
    const result = await sql<{ one: number }>`
      select 1 as one from hraniteli_sessions x
      where x.slot_id = ${slotId} and x.status in (${ACTIVE_STATUSES_SQL}) limit 1`.execute(db);
    return result.rows.length > 0;
  },

  /**
   * The psychologist's slots starting in [from, to), each with the event its registration holds and
   * whether its time overlaps a live published event.
   */
  async slotsOf(
    db: Executor,
    psychologistId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<CalendarSlotRow[]> {
    const result = await sql<CalendarSlotRow>`
      select s.id, s.start_at, s.state, e.title as event, e.event_modal_type,
        exists (
          select 1 from calendar_events o
          where o.is_published and not o.is_canceled
            and o.start_at < s.start_at + make_interval(mins => s.duration_minutes)
            and o.start_at + make_interval(mins => o.duration_minutes) > s.start_at
        ) as over_event
      from hraniteli_slots s
      left join event_registrations r on r.slot_id = s.id
      left join calendar_events e on e.id = r.event_id
      where s.psychologist_id = ${psychologistId} and s.start_at >= ${from} and s.start_at < ${to}
      order by s.start_at
      limit ${limit}`.execute(db);
    return result.rows;
  },
};
