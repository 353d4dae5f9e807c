// SQL for sessions: the active session of a ticket or slot, inserts guarded by the partial unique
// indexes, status changes and the history listings.
import { sql, type Updateable } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Session, SessionsTable } from '../db/types.ts';
import { ACTIVE_SESSION_STATUSES } from '../domain/vocabulary.ts';
import { ACTIVE_STATUSES_SQL } from '../db/vocabulary-sql.ts';

/** What a session's messages need of its client (c) and psychologist (p). */
const PERSON_COLUMNS = [
  'c.name as client_name',
  'c.age as client_age',
  'c.lead_number',
  'c.telegram_id as client_telegram_id',
  'c.telegram_username as client_telegram_username',
  'c.phone as client_phone',
  'c.email as client_email',
  'p.name as psychologist_name',
  'p.telegram_id as psychologist_telegram_id',
] as const;

/** The columns of a session's parties (tickets t, clients c, psychologists p). */
const PARTY_COLUMNS = [
  'c.id as client_id',
  ...PERSON_COLUMNS,
  't.ticket_id',
  't.status',
  't.request_text',
  't.preferences',
  't.candidate_slot_ids',
  't.matched_psychologists',
] as const;

/** What a new session is inserted with (the rest has defaults). */
export interface NewSession {
  ticket_id: string;
  client_id: string;
  psychologist_id: string;
  slot_id: string;
  kind: 'diagnostic' | 'regular';
  start_at: Date;
  duration_minutes: number;
  payment_amount?: number | null;
  payment_status?: 'pending' | 'completed' | null;
  status?: 'pending' | 'confirmed';
  confirmed_at?: Date | null;
  meeting_link?: string | null;
  meeting_platform?: string | null;
  meeting_id?: string | null;
  remind_at?: Date | null;
  feedback_due_at?: Date | null;
}

export const sessionsRepository = {
  async insert(db: Executor, values: NewSession, now: Date): Promise<Session> {
    return db
      .insertInto('hraniteli_sessions')
      .values({ ...values, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /**
   * A booking's writes in one statement: inserts the session, marks its ticket booked with the
   * session's psychologist, and reads back what the booking's messages need of the client and the
   * psychologist. The partial unique indexes guard the insert as in `insert`.
   */
  async insertBooking(db: Executor, values: NewSession, now: Date) {
    return db
      .with('s', (w) =>
        w
          .insertInto('hraniteli_sessions')
          .values({ ...values, created_at: now, updated_at: now })
          .returningAll(),
      )
      .with('t', (w) =>
        w
          .updateTable('hraniteli_tickets')
          .set({ status: 'booked', psychologist_id: values.psychologist_id, updated_at: now })
          .where('ticket_id', '=', values.ticket_id)
          .returning('ticket_id'),
      )
      .selectFrom('s')
      .innerJoin('t', 't.ticket_id', 's.ticket_id')
      .innerJoin('hraniteli_clients as c', 'c.id', 's.client_id')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .selectAll('s')
      .select(PERSON_COLUMNS)
      .executeTakeFirstOrThrow();
  },

  async activeOfTicket(db: Executor, ticketId: string, lock = false): Promise<Session | undefined> {
    let query = db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', ticketId)
      .where('status', 'in', ACTIVE_SESSION_STATUSES);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async activeOfSlot(db: Executor, slotId: string, lock = false): Promise<Session | undefined> {
    let query = db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('slot_id', '=', slotId)
      .where('status', 'in', ACTIVE_SESSION_STATUSES);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  /** The psychologist's active session starting at that time, if any. */
  async activeOfPsychologistAt(db: Executor, psychologistId: string, startAt: Date) {
    return db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('psychologist_id', '=', psychologistId)
      .where('start_at', '=', startAt)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .executeTakeFirst();
  },

  /** A psychologist's active sessions from `from` on, soonest first. */
  async upcomingOfPsychologist(db: Executor, psychologistId: string, from: Date, limit: number) {
    return db
      .selectFrom('hraniteli_sessions')
      .select(['start_at', 'status'])
      .where('psychologist_id', '=', psychologistId)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .where('start_at', '>=', from)
      .orderBy('start_at')
      .limit(limit)
      .execute();
  },

  async latestOfTicket(db: Executor, ticketId: string): Promise<Session | undefined> {
    return db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', ticketId)
      .orderBy('start_at', 'desc')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  /** The ticket's latest session at that start (whatever its status). */
  async ofTicketAt(db: Executor, ticketId: string, startAt: Date) {
    return db
      .selectFrom('hraniteli_sessions')
      .select('status')
      .where('ticket_id', '=', ticketId)
      .where('start_at', '=', startAt)
      .orderBy('updated_at', 'desc')
      .executeTakeFirst();
  },

  /** The ticket's most recent session that has started and was not cancelled, locked. */
  /** `sessionId`: that session only, when it is one of these. */
  async latestStartedOfTicket(
    db: Executor,
    ticketId: string,
    now: Date,
    sessionId?: string,
  ): Promise<Session | undefined> {
    return db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', ticketId)
      .$if(sessionId !== undefined, (qb) => qb.where('id', '=', sessionId!))
      .where('start_at', '<=', now)
      .where('status', '!=', 'cancelled')
      .orderBy('start_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
  },

  async addRating(db: Executor, sessionId: string, rating: number, feedback: string | null, now: Date) {
    await db
      .insertInto('session_ratings')
      .values({ session_id: sessionId, rating, feedback, created_at: now })
      .execute();
  },

  async findById(db: Executor, id: string, lock = false): Promise<Session | undefined> {
    let query = db.selectFrom('hraniteli_sessions').selectAll().where('id', '=', id);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async update(db: Executor, id: string, values: Updateable<SessionsTable>, now: Date): Promise<Session> {
    return db
      .updateTable('hraniteli_sessions')
      .set({ ...values, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Stores when the session's reminder and feedback request fall due (cleared "done" marks with them). */
  async setDueTimes(db: Executor, id: string, remindAt: Date, feedbackDueAt: Date): Promise<void> {
    await db
      .updateTable('hraniteli_sessions')
      .set({
        remind_at: remindAt,
        reminded_at: null,
        feedback_due_at: feedbackDueAt,
        feedback_asked_at: null,
      })
      .where('id', '=', id)
      .execute();
  },

  async clearDueTimes(db: Executor, id: string): Promise<void> {
    await db
      .updateTable('hraniteli_sessions')
      .set({ remind_at: null, feedback_due_at: null })
      .where('id', '=', id)
      .execute();
  },

  /**
   * Claims the making of a session's video link until `until`: the session is still active at that start,
   * has no link, and nobody else holds an unexpired claim. Undefined when any of that is not so.
   */
  async claimMeetingLink(
    db: Executor,
    id: string,
    startAt: Date,
    now: Date,
    until: Date,
  ): Promise<Session | undefined> {
    return db
      .updateTable('hraniteli_sessions')
      .set({ link_claimed_until: until })
      .where('id', '=', id)
      .where('start_at', '=', startAt)
      .where('meeting_link', 'is', null)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .where((eb) => eb.or([eb('link_claimed_until', 'is', null), eb('link_claimed_until', '<=', now)]))
      .returningAll()
      .executeTakeFirst();
  },

  /** Gives a claim back (no provider made a meeting), unless it was taken over meanwhile. */
  async releaseMeetingLinkClaim(db: Executor, id: string, until: Date): Promise<void> {
    await db
      .updateTable('hraniteli_sessions')
      .set({ link_claimed_until: null })
      .where('id', '=', id)
      .where('link_claimed_until', '=', until)
      .execute();
  },

  /**
   * Sets the video link of a session that is still active at that start and has none; undefined when
   * another process got there first or the session moved or ended meanwhile (once per session and start).
   */
  async attachMeetingLink(
    db: Executor,
    id: string,
    startAt: Date,
    meeting: { link: string; platform: string; meetingId: string; host?: string | undefined },
    now: Date,
  ): Promise<Session | undefined> {
    return db
      .updateTable('hraniteli_sessions')
      .set({
        meeting_link: meeting.link,
        meeting_platform: meeting.platform,
        meeting_id: meeting.meetingId,
        meeting_host: meeting.host ?? null,
        link_claimed_until: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('start_at', '=', startAt)
      .where('meeting_link', 'is', null)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .returningAll()
      .executeTakeFirst();
  },

  /**
   * Active sessions still without a video link that nobody is linking now and that have not ended (the
   * backstop of the after-commit link effect).
   */
  async activeWithoutLink(db: Executor, now: Date, limit: number) {
    return db
      .selectFrom('hraniteli_sessions')
      .select(['id', 'start_at'])
      .where('meeting_link', 'is', null)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .where((eb) => eb.or([eb('link_claimed_until', 'is', null), eb('link_claimed_until', '<=', now)]))
      .where(sql<Date>`start_at + duration_minutes * interval '1 minute'`, '>', now)
      .orderBy('start_at')
      .limit(limit)
      .execute();
  },

  /**
   * Makes the caller's transaction the only one choosing sessions for this meeting host until it ends,
   * so two sessions at overlapping times cannot both take one host.
   */
  async lockMeetingHost(trx: Executor, host: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`meeting-host:${host}`}, 0))`.execute(trx);
  },

  /**
   * True when another active session overlapping [start, end) holds this Zoom host: its meeting is there,
   * or its meeting is being made there right now (reserved under an unexpired claim).
   */
  async meetingHostBusy(
    db: Executor,
    host: string,
    start: Date,
    end: Date,
    now: Date,
    exceptSessionId?: string,
  ): Promise<boolean> {
    let query = db
      .selectFrom('hraniteli_sessions')
      .select('id')
      .where('meeting_host', '=', host)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .where('start_at', '<', end)
      .where(sql<Date>`start_at + duration_minutes * interval '1 minute'`, '>', start)
      .where((eb) =>
        eb.or([
          eb.and([eb('meeting_link', 'is not', null), eb('meeting_platform', '=', 'zoom')]),
          eb.and([eb('meeting_link', 'is', null), eb('link_claimed_until', '>', now)]),
        ]),
      );
    if (exceptSessionId) query = query.where('id', '!=', exceptSessionId);
    return (await query.limit(1).executeTakeFirst()) !== undefined;
  },

  /** Notes the host a session's meeting is being made on; false when the session no longer needs one. */
  async reserveMeetingHost(trx: Executor, id: string, startAt: Date, host: string): Promise<boolean> {
    const row = await trx
      .updateTable('hraniteli_sessions')
      .set({ meeting_host: host })
      .where('id', '=', id)
      .where('start_at', '=', startAt)
      .where('meeting_link', 'is', null)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  },

  /** What the messages about a session need of its client, psychologist and ticket, in one query. */
  async parties(db: Executor, session: Pick<Session, 'ticket_id' | 'psychologist_id'>) {
    return db
      .selectFrom('hraniteli_tickets as t')
      .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
      .innerJoin('hraniteli_psychologists as p', (join) => join.on('p.id', '=', session.psychologist_id))
      .select(PARTY_COLUMNS)
      .where('t.ticket_id', '=', session.ticket_id)
      .executeTakeFirstOrThrow();
  },

  /** `parties` of many sessions in one query, each row with its session's id. */
  async partiesOfSessions(db: Executor, sessionIds: string[]) {
    if (sessionIds.length === 0) return [];
    return db
      .selectFrom('hraniteli_sessions as s')
      .innerJoin('hraniteli_tickets as t', 't.ticket_id', 's.ticket_id')
      .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .select(PARTY_COLUMNS)
      .select('s.id as session_id')
      .where('s.id', 'in', sessionIds)
      .execute();
  },

  /** The latest `limit` sessions of a ticket, newest first. */
  async ofTicket(db: Executor, ticketId: string, limit: number) {
    return db
      .selectFrom('hraniteli_sessions as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .selectAll('s')
      .select('p.name as psychologist_name')
      .where('s.ticket_id', '=', ticketId)
      .orderBy('s.start_at', 'desc')
      .orderBy('s.id', 'desc')
      .limit(limit)
      .execute();
  },

  /** The latest `limit` sessions of a client, newest first. */
  async historyOfClient(db: Executor, clientId: string, limit: number) {
    return db
      .selectFrom('hraniteli_sessions as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .select([
        's.ticket_id',
        'p.name as psychologist_name',
        's.start_at',
        's.status',
        's.rating',
        's.feedback',
      ])
      .where('s.client_id', '=', clientId)
      .orderBy('s.start_at', 'desc')
      .orderBy('s.id', 'desc')
      .limit(limit)
      .execute();
  },

  /** Active sessions whose reminder is due and not sent, that have not started. */
  async dueForReminder(db: Executor, now: Date, limit: number) {
    return db
      .selectFrom('hraniteli_sessions')
      .select('id')
      .where('remind_at', '<=', now)
      .where('reminded_at', 'is', null)
      .where('start_at', '>', now)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .orderBy('remind_at')
      .limit(limit)
      .execute();
  },

  /** Marks the reminder sent, unless someone else did (then undefined): one reminder per session and start. */
  async claimReminder(db: Executor, id: string, now: Date): Promise<Session | undefined> {
    return db
      .updateTable('hraniteli_sessions')
      .set({ reminded_at: now })
      .where('id', '=', id)
      .where('reminded_at', 'is', null)
      .where('remind_at', '<=', now)
      .where('start_at', '>', now)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .returningAll()
      .executeTakeFirst();
  },

  /**
   * Claims up to `limit` due reminders in one statement: marks them sent and returns the sessions (the
   * conditions of claimReminder). Rows another transaction holds are skipped, not waited for, and a row
   * changed and committed meanwhile is locked and checked again in its new version (FOR UPDATE under
   * READ COMMITTED): two sweeps at once claim disjoint sessions, each once. The CTE is materialized so
   * that the locking select runs once.
   */
  async claimDueReminders(db: Executor, now: Date, limit: number): Promise<Session[]> {
    const result = await sql<Session>`
      with due as materialized (
        select id from hraniteli_sessions
        where remind_at <= ${now} and reminded_at is null and start_at > ${now}
          and status in (${ACTIVE_STATUSES_SQL})
        order by remind_at
        limit ${limit}
        for update skip locked
      )
      update hraniteli_sessions s set reminded_at = ${now}
      from due
      where s.id = due.id
      returning s.*
    `.execute(db);
    return result.rows;
  },

  /** Sessions whose feedback request is due and not sent. */
  async dueForFeedback(db: Executor, now: Date, limit: number) {
    return db
      .selectFrom('hraniteli_sessions')
      .select('id')
      .where('feedback_due_at', '<=', now)
      .where('feedback_asked_at', 'is', null)
      .orderBy('feedback_due_at')
      .limit(limit)
      .execute();
  },

  /** Marks the feedback request sent, unless someone else did (then undefined). */
  async claimFeedback(db: Executor, id: string, now: Date): Promise<Session | undefined> {
    return db
      .updateTable('hraniteli_sessions')
      .set({ feedback_asked_at: now })
      .where('id', '=', id)
      .where('feedback_asked_at', 'is', null)
      .where('feedback_due_at', '<=', now)
      .returningAll()
      .executeTakeFirst();
  },

  /** The psychologist of the client's latest session (any status), if any. */
  async latestPsychologistOfClient(db: Executor, clientId: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('hraniteli_sessions')
      .select('psychologist_id')
      .where('client_id', '=', clientId)
      .orderBy('start_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.psychologist_id;
  },

  /** The client's latest session with its psychologist's name, or null. */
  async latestOfClient(db: Executor, clientId: string) {
    const row = await db
      .selectFrom('hraniteli_sessions as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .select(['s.id', 's.ticket_id', 's.start_at', 's.status', 's.kind', 'p.name as psychologist_name'])
      .where('s.client_id', '=', clientId)
      .orderBy('s.start_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  },

  /** The client's session with this psychologist at that start, else their latest one together. */
  /**
   * The session a post-session questionnaire is about: the one at `at` (the date the client gave), else
   * the latest one that took place by `now` (completed, or active and ended), else the latest at all.
   */
  async ofClientWithPsychologist(
    db: Executor,
    clientId: string,
    psychologistId: string,
    at: Date | null,
    now: Date,
  ) {
    const between = db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('psychologist_id', '=', psychologistId);
    if (at) {
      const exact = await between.where('start_at', '=', at).limit(1).executeTakeFirst();
      if (exact) return exact;
    }
    const tookPlace = await between
      .where((eb) =>
        eb.or([
          eb('status', '=', 'completed'),
          eb.and([
            eb('status', 'in', ACTIVE_SESSION_STATUSES),
            eb(sql<Date>`start_at + duration_minutes * interval '1 minute'`, '<=', now),
          ]),
        ]),
      )
      .orderBy('start_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return tookPlace ?? between.orderBy('start_at', 'desc').limit(1).executeTakeFirst();
  },

  /** The client's active session with this psychologist, if any. */
  async activeOfClientWithPsychologist(db: Executor, clientId: string, psychologistId: string) {
    return db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('psychologist_id', '=', psychologistId)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .orderBy('start_at')
      .limit(1)
      .executeTakeFirst();
  },
};
