// SQL for sessions: the active session of a ticket or slot, inserts guarded by the partial unique
// indexes, status changes and the history listings.
import type { Updateable } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Session, SessionsTable } from '../db/types.ts';
import { ACTIVE_SESSION_STATUSES } from '../domain/vocabulary.ts';

export const sessionsRepository = {
  async insert(
    db: Executor,
    values: {
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
    },
    now: Date,
  ): Promise<Session> {
    return db
      .insertInto('hraniteli_sessions')
      .values({ ...values, created_at: now, updated_at: now })
      .returningAll()
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
  async latestStartedOfTicket(db: Executor, ticketId: string, now: Date): Promise<Session | undefined> {
    return db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', ticketId)
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
   * Sets the video link of a session that is still active at that start and has none; undefined when
   * another process got there first or the session moved or ended meanwhile (once per session and start).
   */
  async attachMeetingLink(
    db: Executor,
    id: string,
    startAt: Date,
    meeting: { link: string; platform: string; meetingId: string },
    now: Date,
  ): Promise<Session | undefined> {
    return db
      .updateTable('hraniteli_sessions')
      .set({
        meeting_link: meeting.link,
        meeting_platform: meeting.platform,
        meeting_id: meeting.meetingId,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('start_at', '=', startAt)
      .where('meeting_link', 'is', null)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .returningAll()
      .executeTakeFirst();
  },

  /** Active sessions still without a video link (the backstop of the after-commit link effect). */
  async activeWithoutLink(db: Executor, limit: number) {
    return db
      .selectFrom('hraniteli_sessions')
      .select(['id', 'start_at'])
      .where('meeting_link', 'is', null)
      .where('status', 'in', ACTIVE_SESSION_STATUSES)
      .orderBy('start_at')
      .limit(limit)
      .execute();
  },

  /** What the messages about a session need of its client, psychologist and ticket, in one query. */
  async parties(db: Executor, session: Pick<Session, 'ticket_id' | 'psychologist_id'>) {
    return db
      .selectFrom('hraniteli_tickets as t')
      .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
      .innerJoin('hraniteli_psychologists as p', (join) => join.on('p.id', '=', session.psychologist_id))
      .select([
        'c.id as client_id',
        'c.name as client_name',
        'c.age as client_age',
        'c.lead_number',
        'c.telegram_id as client_telegram_id',
        'p.name as psychologist_name',
        'p.telegram_id as psychologist_telegram_id',
        't.ticket_id',
        't.status',
        't.request_text',
        't.preferences',
        't.candidate_slot_ids',
        't.matched_psychologists',
      ])
      .where('t.ticket_id', '=', session.ticket_id)
      .executeTakeFirstOrThrow();
  },

  async ofTicket(db: Executor, ticketId: string) {
    return db
      .selectFrom('hraniteli_sessions as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .selectAll('s')
      .select('p.name as psychologist_name')
      .where('s.ticket_id', '=', ticketId)
      .orderBy('s.start_at', 'desc')
      .execute();
  },

  async historyOfClient(db: Executor, clientId: string) {
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
  async ofClientWithPsychologist(db: Executor, clientId: string, psychologistId: string, at: Date | null) {
    let query = db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('psychologist_id', '=', psychologistId);
    if (at) {
      const exact = await query.where('start_at', '=', at).limit(1).executeTakeFirst();
      if (exact) return exact;
    }
    query = query.orderBy('start_at', 'desc').limit(1);
    return query.executeTakeFirst();
  },
};
