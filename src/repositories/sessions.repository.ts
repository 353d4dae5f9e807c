// SQL for sessions: the active session of a ticket or slot, inserts guarded by the partial unique
// indexes, status changes and the history listings.
import type { Updateable } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Session, SessionsTable } from '../db/types.ts';

export const ACTIVE_STATUSES = ['pending', 'confirmed'] as const;

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
      .where('status', 'in', ACTIVE_STATUSES);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async activeOfSlot(db: Executor, slotId: string, lock = false): Promise<Session | undefined> {
    let query = db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('slot_id', '=', slotId)
      .where('status', 'in', ACTIVE_STATUSES);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
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
};
