// SQL for slots: the free-slot listing (the hottest read), bulk adds, and the state flips of booking.
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Slot } from '../db/types.ts';
import { normalizeName } from '../domain/names.ts';
import { ACTIVE_SESSION_STATUSES } from '../domain/vocabulary.ts';

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

const START_MS = sql<number>`(extract(epoch from s.start_at) * 1000)::float8`;

export const slotsRepository = {
  /** Free slots of active psychologists in [from, to), by time then psychologist name. */
  async listFree(db: Executor, filter: FreeSlotFilter, limit = 5000): Promise<FreeSlotRow[]> {
    return freeSlots(db, filter, limit).execute();
  },

  /** The next `perPsychologist` free slots of each given psychologist (one index range scan each). */
  async nextFreePerPsychologist(
    db: Executor,
    psychologistIds: string[],
    from: Date,
    to: Date,
    perPsychologist: number,
  ): Promise<FreeSlotRow[]> {
    if (psychologistIds.length === 0) return [];
    const result = await sql<FreeSlotRow>`
      select s.id, ${START_MS} as start_ms, s.duration_minutes, s.price, s.psychologist_id,
        p.name as psychologist, p.min_price
      from hraniteli_psychologists p
      cross join lateral (
        select * from hraniteli_slots x
        where x.psychologist_id = p.id and x.state = 'free' and x.start_at >= ${from} and x.start_at < ${to}
        order by x.start_at
        limit ${perPsychologist}
      ) s
      where p.id = any(${psychologistIds}::uuid[])
      order by s.start_at, p.name`.execute(db);
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
  async bookability(db: Executor, id: string) {
    return db
      .selectFrom('hraniteli_slots as s')
      .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
      .select(['s.psychologist_id', 's.start_at', 's.state', 'p.is_active'])
      .where('s.id', '=', id)
      .executeTakeFirst();
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

  /** Inserts slots, skipping (psychologist, start) pairs that exist; returns the created rows. */
  async addMany(
    db: Executor,
    psychologistId: string,
    starts: Date[],
    durationMinutes: number,
    price: number | null,
  ): Promise<Slot[]> {
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
      .returningAll()
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
};

function nonEmpty(ids: string[]): string[] {
  return ids.length ? ids : ['00000000-0000-0000-0000-000000000000'];
}

/** The free-slot query: one filter, one order. */
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
    query = query.where('s.psychologist_id', 'in', nonEmpty(filter.psychologistIds));
  if (filter.psychologistName) {
    query = query.where('p.name_normalized', '=', normalizeName(filter.psychologistName));
  }
  if (filter.sex) query = query.where('p.sex', '=', filter.sex);
  if (filter.priceMax !== undefined) {
    query = query.where(sql<boolean>`coalesce(s.price, p.min_price) <= ${filter.priceMax}::numeric`);
  }
  if (filter.specializations?.length) {
    const wanted = filter.specializations.map((s) => s.trim().toLowerCase());
    query = query.where(
      sql<boolean>`exists (select 1 from unnest(p.queries) q where lower(q) = any(${wanted}::text[]))`,
    );
  }
  if (filter.helpHandOnly) query = query.where('p.help_hand', '=', true);
  if (filter.slotIds || filter.startTimes) {
    const ids = filter.slotIds ?? [];
    const times = filter.startTimes ?? [];
    query = query.where((eb) =>
      eb.or([
        ...(ids.length ? [eb('s.id', 'in', ids)] : []),
        ...(times.length ? [eb('s.start_at', 'in', times)] : []),
        ...(ids.length || times.length ? [] : [eb.val(false)]),
      ]),
    );
  }
  return query.orderBy('s.start_at').orderBy('p.name').limit(limit);
}
