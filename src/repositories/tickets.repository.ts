// SQL for tickets: insertion with a fresh random id, lookups, the admin list and status changes.
import type { Updateable } from 'kysely';
import type { Executor } from '../deps.ts';
import type { NewTicket, Ticket, TicketsTable } from '../db/types.ts';
import type { TicketStatus, TicketType } from '../domain/vocabulary.ts';
import {
  HELP_HAND_LINK_PATTERN,
  helpHandLinkHash,
  newHelpHandTicketId,
  newTicketId,
  TICKET_ID_PATTERN,
  withFreshId,
} from '../domain/ids.ts';

export const OPEN_TICKET_STATUSES: TicketStatus[] = ['new', 'matched'];

/** The ids to try for a new ticket in turn: `preferredId` when it is a 7-digit id, then fresh random ones. */
export function ticketIds(type: NewTicket['type'], preferredId?: string): () => string {
  const helpHand = type === 'help_hand';
  const candidates: string[] = [];
  if (preferredId && /^\d{7}$/.test(preferredId) && !helpHand) candidates.push(preferredId);
  return () => candidates.shift() ?? (helpHand ? newHelpHandTicketId() : newTicketId());
}

export const ticketsRepository = {
  /**
   * Inserts a ticket under `preferredId` when it is a free 7-digit id, else under a fresh random id
   * (retried on the rare collision).
   */
  async insert(
    db: Executor,
    values: Omit<NewTicket, 'ticket_id'>,
    preferredId?: string,
    /** Columns that depend on the id chosen (e.g. the bot deep link). */
    derived: (ticketId: string) => Partial<NewTicket> = () => ({}),
  ): Promise<Ticket> {
    let row = values;
    return withFreshId(ticketIds(values.type, preferredId), async (ticketId) => {
      const inserted = await db
        .insertInto('hraniteli_tickets')
        .values({ origin_client_id: row.client_id, ...row, ...derived(ticketId), ticket_id: ticketId })
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return inserted;
      // Taken: the ticket id (another is drawn), or the form id — the first ticket submitted under it
      // keeps it, so this one is stored without it.
      if (row.form_ticket_id && (await this.findByFormId(db, row.form_ticket_id)))
        row = { ...row, form_ticket_id: null };
      return null;
    });
  },

  async findByFormId(db: Executor, formId: string): Promise<Ticket | undefined> {
    return db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('form_ticket_id', '=', formId)
      .executeTakeFirst();
  },

  async find(db: Executor, ticketId: string): Promise<Ticket | undefined> {
    if (!TICKET_ID_PATTERN.test(ticketId)) return undefined;
    return db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('ticket_id', '=', ticketId)
      .executeTakeFirst();
  },

  /** The ticket row locked for the rest of the transaction. */
  async lock(db: Executor, ticketId: string): Promise<Ticket | undefined> {
    if (!TICKET_ID_PATTERN.test(ticketId)) return undefined;
    return db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('ticket_id', '=', ticketId)
      .forUpdate()
      .executeTakeFirst();
  },

  async latestOpenOfClient(db: Executor, clientId: string): Promise<Ticket | undefined> {
    return db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('status', 'in', OPEN_TICKET_STATUSES)
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
  },

  /** The newest `limit` tickets of a client, newest first (public forms may add tickets to anyone's contact). */
  async ofClient(db: Executor, clientId: string, limit: number): Promise<Ticket[]> {
    return db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('client_id', '=', clientId)
      .orderBy('created_at', 'desc')
      .orderBy('ticket_id', 'desc')
      .limit(limit)
      .execute();
  },

  /** A booked ticket whose session took place is closed. */
  async closeIfBooked(db: Executor, ticketId: string, now: Date): Promise<void> {
    await db
      .updateTable('hraniteli_tickets')
      .set({ status: 'closed', updated_at: now })
      .where('ticket_id', '=', ticketId)
      .where('status', '=', 'booked')
      .execute();
  },

  async update(db: Executor, ticketId: string, values: Updateable<TicketsTable>, now: Date): Promise<Ticket> {
    return db
      .updateTable('hraniteli_tickets')
      .set({ ...values, updated_at: now })
      .where('ticket_id', '=', ticketId)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async list(
    db: Executor,
    filter: {
      status?: TicketStatus;
      type?: TicketType;
      from?: Date;
      to?: Date;
      limit: number;
      cursor?: { createdAt: Date; ticketId: string };
    },
  ) {
    let query = db
      .selectFrom('hraniteli_tickets as t')
      .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
      .leftJoin('hraniteli_psychologists as p', 'p.id', 't.psychologist_id')
      .select([
        't.ticket_id',
        't.type',
        't.status',
        't.created_at',
        't.updated_at',
        't.form_ticket_id',
        'c.lead_number',
        'c.name as client_name',
        'p.name as psychologist_name',
      ]);
    if (filter.status) query = query.where('t.status', '=', filter.status);
    if (filter.type) query = query.where('t.type', '=', filter.type);
    if (filter.from) query = query.where('t.created_at', '>=', filter.from);
    if (filter.to) query = query.where('t.created_at', '<', filter.to);
    if (filter.cursor) {
      const { createdAt, ticketId } = filter.cursor;
      query = query.where((eb) =>
        eb.or([
          eb('t.created_at', '<', createdAt),
          eb.and([eb('t.created_at', '=', createdAt), eb('t.ticket_id', '<', ticketId)]),
        ]),
      );
    }
    return query.orderBy('t.created_at', 'desc').orderBy('t.ticket_id', 'desc').limit(filter.limit).execute();
  },

  /**
   * The ticket a bot deep link names, locked: our ticket id, or the web form's own id (a unique index
   * keeps it to the first ticket submitted under it, so a later submission reusing it takes nothing over).
   */
  async lockByLinkRef(db: Executor, ref: string): Promise<Ticket | undefined> {
    if (TICKET_ID_PATTERN.test(ref)) return this.lock(db, ref);
    return db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('form_ticket_id', '=', ref)
      .forUpdate()
      .executeTakeFirst();
  },

  /** A ticket by our id, by the web form's own id, or by its current helping-hand confirm link. */
  async findByRef(db: Executor, ref: string): Promise<Ticket | undefined> {
    if (TICKET_ID_PATTERN.test(ref)) {
      const own = await this.find(db, ref);
      if (own) return own;
    }
    if (HELP_HAND_LINK_PATTERN.test(ref)) {
      const linked = await this.findByHelpHandLink(db, ref);
      if (linked) return linked;
    }
    return this.findByFormId(db, ref);
  },

  /** The helping-hand ticket whose current confirm link is `link` (looked up by its hash). */
  async findByHelpHandLink(db: Executor, link: string): Promise<Ticket | undefined> {
    if (!HELP_HAND_LINK_PATTERN.test(link)) return undefined;
    return db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('help_hand_link_hash', '=', helpHandLinkHash(link))
      .where('type', '=', 'help_hand')
      .executeTakeFirst();
  },

  /**
   * The first `limit` tickets created in [from, to), oldest first, with the client's lead number, the chosen
   * psychologist, the latest session and the linked research row (the operators' applications export).
   */
  async exportRows(db: Executor, filter: { from?: Date; to?: Date; type?: TicketType; limit: number }) {
    let query = db
      .selectFrom('hraniteli_tickets as t')
      .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
      .leftJoin('hraniteli_psychologists as p', 'p.id', 't.psychologist_id')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('hraniteli_sessions as s')
            .innerJoin('hraniteli_psychologists as sp', 'sp.id', 's.psychologist_id')
            .select(['s.start_at', 's.status', 's.kind', 'sp.name'])
            .whereRef('s.ticket_id', '=', 't.ticket_id')
            .orderBy('s.created_at', 'desc')
            .limit(1)
            .as('se'),
        (join) => join.onTrue(),
      )
      .select((eb) => [
        't.ticket_id',
        't.form_ticket_id',
        't.created_at',
        't.type',
        't.status',
        'c.lead_number',
        't.typed_contact',
        't.request_text',
        't.preferences',
        't.promocode',
        't.utm',
        'p.name as psychologist_name',
        'se.name as session_psychologist',
        'se.start_at as session_start',
        'se.status as session_status',
        'se.kind as session_kind',
        eb
          .selectFrom('research_responses as r')
          .select((r) => r.fn.min('r.row_number').as('row'))
          .whereRef('r.ticket_id', '=', 't.ticket_id')
          .as('research_row'),
      ]);
    if (filter.type) query = query.where('t.type', '=', filter.type);
    if (filter.from) query = query.where('t.created_at', '>=', filter.from);
    if (filter.to) query = query.where('t.created_at', '<', filter.to);
    return query.orderBy('t.created_at').orderBy('t.ticket_id').limit(filter.limit).execute();
  },

  async countOfClient(db: Executor, clientId: string): Promise<number> {
    const row = await db
      .selectFrom('hraniteli_tickets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Moves one ticket, with its sessions and messages, to another client. */
  async moveToClient(db: Executor, ticketId: string, clientId: string, now: Date): Promise<void> {
    await db
      .updateTable('hraniteli_tickets')
      .set({ client_id: clientId, updated_at: now })
      .where('ticket_id', '=', ticketId)
      .execute();
    await db
      .updateTable('hraniteli_sessions')
      .set({ client_id: clientId, updated_at: now })
      .where('ticket_id', '=', ticketId)
      .execute();
    await db.updateTable('outbox').set({ client_id: clientId }).where('ticket_id', '=', ticketId).execute();
  },

  /** Tickets whose bot-link check is due and not done. */
  async dueLinkChecks(db: Executor, now: Date, limit: number) {
    return db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .where('link_check_due_at', '<=', now)
      .where('link_checked_at', 'is', null)
      .orderBy('link_check_due_at')
      .limit(limit)
      .execute();
  },

  /** Marks the link check done, unless someone else did (then undefined). */
  async claimLinkCheck(db: Executor, ticketId: string, now: Date): Promise<Ticket | undefined> {
    return db
      .updateTable('hraniteli_tickets')
      .set({ link_checked_at: now })
      .where('ticket_id', '=', ticketId)
      .where('link_checked_at', 'is', null)
      .where('link_check_due_at', '<=', now)
      .returningAll()
      .executeTakeFirst();
  },

  /** Open helping-hand tickets whose next check is due. */
  async dueHelpHand(db: Executor, now: Date, limit: number) {
    return db
      .selectFrom('hraniteli_tickets')
      .select(['ticket_id', 'help_hand_stage'])
      .where('type', '=', 'help_hand')
      .where('help_hand_next_check_at', '<=', now)
      .orderBy('help_hand_next_check_at')
      .limit(limit)
      .execute();
  },

  /** Moves a helping-hand ticket from one check stage to the next, unless someone else did. */
  async advanceHelpHand(
    db: Executor,
    ticketId: string,
    fromStage: number,
    next: { stage: number; at: Date | null },
    now: Date,
  ): Promise<Ticket | undefined> {
    return db
      .updateTable('hraniteli_tickets')
      .set({ help_hand_stage: next.stage, help_hand_next_check_at: next.at, updated_at: now })
      .where('ticket_id', '=', ticketId)
      .where('help_hand_stage', '=', fromStage)
      .where('help_hand_next_check_at', '<=', now)
      .returningAll()
      .executeTakeFirst();
  },
};
