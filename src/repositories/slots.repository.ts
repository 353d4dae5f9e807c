// SQL for slots: the free-slot listing (the hottest read), bulk adds, and the state flips of booking.
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import { isUuid } from './psychologists.repository.ts';
import type { Slot } from '../db/types.ts';
import { normalizeName } from '../domain/names.ts';
import { ACTIVE_SESSION_STATUSES, type SlotState } from '../domain/vocabulary.ts';
import {
  candidateFilterSql,
  coefficientSql,
  worksWithAnySql,
  type CandidateFilter,
} from './psychologists.repository.ts';

export interface FreeSlotFilter {
  from: Date;
  to: Date;
  psychologistIds?: string[];
  /** A psychologist by name, normalized (saves the separate lookup on the hottest path). */
  psychologistName?: string;
  sex?: 'male' | 'female';
  priceMax?: number;
  specializations?: string[];
  helpHandOnly?: boolean;
  slotIds?: string[];
  startTimes?: Date[];
}

export interface FreeSlotRow {
  id: string;
  /** Start as epoch milliseconds: cheaper to read than a timestamp, and formatted through a memo. */
  start_ms: number;
  duration_minutes: number;
  price: number | null;
  psychologist_id: string;
  psychologist: string;
  min_price: number;
}

/** What a booking needs to know of a slot before it tries to claim it. */
export interface Bookability {
  psychologist_id: string;
  start_at: Date;
  state: SlotState;
  is_active: boolean;
}

const START_MS = sql<number>`(extract(epoch from s.start_at) * 1000)::float8`;

export const slotsRepository = {
  /** Free slots of active psychologists in [from, to), by time then psychologist name. */
  async listFree(db: Executor, filter: FreeSlotFilter, limit = 5000): Promise<FreeSlotRow[]> {
    return freeSlots(db, filter, limit).execute();
  },

  /**
   * Matching with chosen times: the free slots at those times (or with those ids) of the psychologists
   * fitting `candidates`, each with its psychologist's remaining assignment coefficient — computed only
   * for psychologists that have such a slot. One statement instead of reading every candidate first.
   */
  async matchingAt(
    db: Executor,
    candidates: CandidateFilter,
    choice: { from: Date; to: Date; slotIds: string[]; startTimes: Date[] },
    assigned: { from: Date; to: Date },
  ): Promise<(FreeSlotRow & { coefficient: number })[]> {
    const result = await sql<FreeSlotRow & { coefficient: number }>`
      select s.id, ${START_MS} as start_ms, s.duration_minutes, s.price, s.psychologist_id,
        p.name as psychologist, p.min_price, ${coefficientSql(assigned)} as coefficient
      from hraniteli_slots s
      join hraniteli_psychologists p on p.id = s.psychologist_id
      where s.state = 'free' and s.start_at >= ${choice.from} and s.start_at < ${choice.to}
        and (s.start_at = any(${choice.startTimes}::timestamptz[]) or s.id = any(${choice.slotIds}::uuid[]))
        and ${candidateFilterSql(candidates)}
      order by s.start_at, p.name`.execute(db);
    return result.rows;
  },

  /** The free slots of every psychologist that start at `at` (matching a chosen time from memory). */
  async freeAt(
    db: Executor,
    at: Date,
  ): Promise<Pick<FreeSlotRow, 'id' | 'start_ms' | 'duration_minutes' | 'price' | 'psychologist_id'>[]> {
    const result = await sql<
      Pick<FreeSlotRow, 'id' | 'start_ms' | 'duration_minutes' | 'price' | 'psychologist_id'>
    >`
      select s.id, ${START_MS} as start_ms, s.duration_minutes, s.price, s.psychologist_id
      from hraniteli_slots s
      where s.state = 'free' and s.start_at = ${at}`.execute(db);
    return result.rows;
  },

  async findById(db: Executor, id: string, lock = false): Promise<Slot | undefined> {
    let query = db.selectFrom('hraniteli_slots').selectAll().where('id', '=', id);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async findByPsychologistAndStart(
    db: Executor,
    psychologistId: string,
    startAt: Date,
  ): Promise<Slot | undefined> {
    return db
      .selectFrom('hraniteli_slots')
      .selectAll()
      .where('psychologist_id', '=', psychologistId)
      .where('start_at', '=', startAt)
      .executeTakeFirst();
  },

  /**
   * Flips a slot to booked when it is free, starts no earlier than `earliest`, belongs to an active
   * psychologist (and to `psychologistId` when given); returns it, or undefined when refused. Racers wait
   * on the row lock and then see `booked`, so exactly one claim succeeds.
   */
  async claimBookable(
    db: Executor,
    id: string,
    conditions: { now: Date; earliest: Date; psychologistId?: string },
  ): Promise<Slot | undefined> {
    let query = db
      .updateTable('hraniteli_slots as s')
      .from('hraniteli_psychologists as p')
      .set({ state: 'booked', updated_at: conditions.now })
      .whereRef('p.id', '=', 's.psychologist_id')
      .where('s.id', '=', id)
      .where('s.state', '=', 'free')
      .where('s.start_at', '>=', conditions.earliest)
      .where('p.is_active', '=', true);
    if (conditions.psychologistId) query = query.where('s.psychologist_id', '=', conditions.psychologistId);
    return query.returningAll('s').executeTakeFirst();
  },

  /**
   * Flips a free slot to booked and returns it; undefined when it was not free. Under concurrency the
   * row lock makes the second caller wait and then see `booked`, so exactly one flip succeeds.
   */
  async claimFree(db: Executor, id: string, now: Date): Promise<Slot | undefined> {
    return db
      .updateTable('hraniteli_slots')
      .set({ state: 'booked', updated_at: now })
      .where('id', '=', id)
      .where('state', '=', 'free')
      .returningAll()
      .executeTakeFirst();
  },

  /** What decides whether a slot can be booked: its owner, time, state and whether the owner takes clients. */
  async bookability(db: Executor, id: string): Promise<Bookability | undefined> {
    return db
      .selectFrom('hraniteli_slots as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .select(['s.psychologist_id', 's.start_at', 's.state', 'p.is_active'])
      .where('s.id', '=', id)
      .executeTakeFirst();
  },

  /**
   * The slot's bookability and the id of the client named by lead number or UUID, in one round trip: a
   * booking attempt on a taken slot (most attempts on a popular one) is then refused after one query.
   */
  async bookabilityWithClient(
    db: Executor,
    id: string,
    clientLeadOrId: string,
  ): Promise<{ clientId: string | null; slot: Bookability | undefined }> {
    const client = isUuid(clientLeadOrId)
      ? sql`(select c.id from hraniteli_clients c where c.id = ${clientLeadOrId})`
      : // A submission's record whose ticket moved to an account's (a proof) names that record.
        sql`(select coalesce(c.merged_into, c.id) from hraniteli_clients c
             where c.lead_number = ${clientLeadOrId.trim().toLowerCase()})`;
    const result = await sql<Bookability & { client_id: string | null; found: boolean }>`
      select ${client} as client_id, s.id is not null as found,
        s.psychologist_id, s.start_at, s.state, p.is_active
      from (select 1) as one
      left join (hraniteli_slots s join hraniteli_psychologists p on p.id = s.psychologist_id)
        on s.id = ${id}`.execute(db);
    const row = result.rows[0]!;
    const { client_id, found, ...slot } = row;
    return { clientId: client_id, slot: found ? slot : undefined };
  },

  /** The slot among `ids` that starts at `at`, a free one first. */
  async candidateAt(db: Executor, ids: string[], at: Date) {
    return db
      .selectFrom('hraniteli_slots')
      .select(['id'])
      .where('id', 'in', ids)
      .where('start_at', '=', at)
      .orderBy('state')
      .executeTakeFirst();
  },

  /** Takes the slot's row lock: every action locks the slot first, then the ticket and session. */
  async lock(db: Executor, id: string): Promise<void> {
    await db.selectFrom('hraniteli_slots').select('id').where('id', '=', id).forUpdate().execute();
  },

  async release(db: Executor, id: string, now: Date): Promise<void> {
    await db
      .updateTable('hraniteli_slots')
      .set({ state: 'free', updated_at: now })
      .where('id', '=', id)
      .execute();
  },

  /** Inserts slots, skipping (psychologist, start) pairs that exist; returns what was created. */
  async addMany(
    db: Executor,
    psychologistId: string,
    starts: Date[],
    durationMinutes: number,
    price: number | null,
  ): Promise<Pick<Slot, 'id' | 'start_at'>[]> {
    if (starts.length === 0) return [];
    return db
      .insertInto('hraniteli_slots')
      .values(
        starts.map((start_at) => ({
          psychologist_id: psychologistId,
          start_at,
          duration_minutes: durationMinutes,
          price,
        })),
      )
      .onConflict((oc) => oc.columns(['psychologist_id', 'start_at']).doNothing())
      .returning(['id', 'start_at'])
      .execute();
  },

  async deleteFree(db: Executor, id: string): Promise<'deleted' | 'booked' | 'missing' | 'has_history'> {
    const slot = await db
      .selectFrom('hraniteli_slots')
      .select(['state'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!slot) return 'missing';
    if (slot.state === 'booked') return 'booked';
    const history = await db
      .selectFrom('hraniteli_sessions')
      .select('id')
      .where('slot_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    if (history) return 'has_history';
    await db.deleteFrom('hraniteli_slots').where('id', '=', id).execute();
    return 'deleted';
  },

  async listForAdmin(
    db: Executor,
    filter: { psychologistId?: string; from?: Date; to?: Date; state?: 'free' | 'booked'; limit: number },
  ) {
    let query = db
      .selectFrom('hraniteli_slots as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .leftJoin('hraniteli_sessions as se', (join) =>
        join.onRef('se.slot_id', '=', 's.id').on('se.status', 'in', [...ACTIVE_SESSION_STATUSES]),
      )
      .select([
        's.id',
        's.start_at',
        's.duration_minutes',
        's.price',
        's.state',
        's.psychologist_id',
        'p.name as psychologist',
        'se.id as session_id',
        'se.status as session_status',
        'se.ticket_id as session_ticket_id',
      ]);
    if (filter.psychologistId) query = query.where('s.psychologist_id', '=', filter.psychologistId);
    if (filter.from) query = query.where('s.start_at', '>=', filter.from);
    if (filter.to) query = query.where('s.start_at', '<', filter.to);
    if (filter.state) query = query.where('s.state', '=', filter.state);
    return query.orderBy('s.start_at').orderBy('p.name').limit(filter.limit).execute();
  },
  /** Start times and psychologists' names of these slots, by slot id (unknown ids are left out). */
  async namesOf(
    db: Executor,
    ids: string[],
  ): Promise<Map<string, { startAt: Date; psychologistName: string }>> {
    const valid = ids.filter(isUuid);
    if (!valid.length) return new Map();
    const rows = await db
      .selectFrom('hraniteli_slots as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .select(['s.id', 's.start_at', 'p.name'])
      .where('s.id', '=', (eb) => eb.fn.any(eb.val(valid)))
      .execute();
    return new Map(rows.map((r) => [r.id, { startAt: r.start_at, psychologistName: r.name }]));
  },
  /** A psychologist's slots in [from, to), free and booked, by time. */
  async ofPsychologistBetween(db: Executor, psychologistId: string, from: Date, to: Date) {
    return db
      .selectFrom('hraniteli_slots')
      .select(['start_at', 'state'])
      .where('psychologist_id', '=', psychologistId)
      .where('start_at', '>=', from)
      .where('start_at', '<', to)
      .orderBy('start_at')
      .execute();
  },
};

/**
 * The free-slot query: one filter, one order. Lists are array parameters, so the SQL text depends only
 * on which filters are present, not on how many values they carry.
 */
function freeSlots(db: Executor, filter: FreeSlotFilter, limit: number) {
  let query = db
    .selectFrom('hraniteli_slots as s')
    .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
    .select([
      's.id',
      START_MS.as('start_ms'),
      's.duration_minutes',
      's.price',
      's.psychologist_id',
      'p.name as psychologist',
      'p.min_price',
    ])
    .where('s.state', '=', 'free')
    .where('s.start_at', '>=', filter.from)
    .where('s.start_at', '<', filter.to)
    .where('p.is_active', '=', true);
  if (filter.psychologistIds)
    query = query.where(sql<boolean>`s.psychologist_id = any(${filter.psychologistIds}::uuid[])`);
  // By the psychologist's id found first, not by a filter on the joined name: the planner then takes
  // the (psychologist_id, start_at) range of free slots even when the tables have no statistics, instead
  // of walking every free slot of the window.
  if (filter.psychologistName) {
    query = query.where(
      sql<boolean>`s.psychologist_id = (select id from hraniteli_psychologists
        where name_normalized = ${normalizeName(filter.psychologistName)})`,
    );
  }
  if (filter.sex) query = query.where('p.sex', '=', filter.sex);
  if (filter.priceMax !== undefined) {
    query = query.where(sql<boolean>`coalesce(s.price, p.min_price) <= ${filter.priceMax}::numeric`);
  }
  if (filter.specializations?.length) {
    query = query.where(worksWithAnySql(filter.specializations));
  }
  if (filter.helpHandOnly) query = query.where('p.help_hand', '=', true);
  if (filter.slotIds || filter.startTimes) {
    query = query.where(
      sql<boolean>`(s.id = any(${filter.slotIds ?? []}::uuid[])
        or s.start_at = any(${filter.startTimes ?? []}::timestamptz[]))`,
    );
  }
  return query.orderBy('s.start_at').orderBy('p.name').limit(limit);
}
