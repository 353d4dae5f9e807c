// SQL for psychologists: lookups by id and by normalized name, and the assignment coefficient inputs.
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Insertable } from 'kysely';
import type { Psychologist, PsychologistsTable, PsychologistUpdate } from '../db/types.ts';
import type { Wishes } from '../domain/matching.ts';
import { normalizeName } from '../domain/names.ts';
import { ACTIVE_STATUSES_SQL } from '../db/vocabulary-sql.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

/** Who may be offered to a client: active, and fitting the client's wishes. */
export type CandidateFilter = Wishes;

/** A candidate psychologist with one of their next free slots (null when they have none). */
export interface CandidateWithSlotRow {
  id: string;
  name: string;
  min_price: number;
  coefficient: number;
  slot_id: string | null;
  start_ms: number | null;
  duration_minutes: number | null;
  price: number | null;
}

/** What matching needs to know of an active psychologist, to match in memory (domain/matching.ts). */
export interface MatchingProfile {
  id: string;
  name: string;
  sex: 'male' | 'female';
  min_price: number;
  help_hand: boolean;
  /** The psychologist's specializations, lower-cased and trimmed as worksWithAnySql compares them. */
  queries: string[];
  coefficient: number;
}

/** The psychologist `p` works with one of `wanted`, ignoring case and surrounding spaces. */
export function worksWithAnySql(wanted: string[]) {
  return sql<boolean>`exists (select 1 from unnest(p.queries) q
    where lower(btrim(q)) = any(${wanted.map((w) => w.trim().toLowerCase())}::text[]))`;
}

/** The conditions on `p` of a CandidateFilter. */
export function candidateFilterSql(filter: CandidateFilter) {
  const conditions = [sql<boolean>`p.is_active`];
  if (filter.sex) conditions.push(sql<boolean>`p.sex = ${filter.sex}`);
  // The helping hand is free: its price limit does not apply.
  if (filter.helpHandOnly) conditions.push(sql<boolean>`p.help_hand`);
  else if (filter.priceMax !== undefined)
    conditions.push(sql<boolean>`p.min_price <= ${filter.priceMax}::numeric`);
  if (filter.specializations.length) conditions.push(worksWithAnySql(filter.specializations));
  return sql.join(conditions, sql` and `);
}

/**
 * The remaining assignment coefficient of `p` (get-assigment-coeff): debt − clients provided − active
 * sessions after today to the end of the Moscow month (an index-only count, see migration 002).
 */
export function coefficientSql(assigned: { from: Date; to: Date }) {
  return sql<number>`p.debt - p.number_of_clients_provided - ${assignedCountSql(assigned)}`;
}

/** Active sessions of `p` in the assigned window (src/domain/coefficient.ts). */
function assignedCountSql(assigned: { from: Date; to: Date }) {
  return sql<number>`(select count(*) from hraniteli_sessions x
    where x.psychologist_id = p.id and x.status in (${ACTIVE_STATUSES_SQL})
    and x.start_at >= ${assigned.from} and x.start_at < ${assigned.to})::int`;
}

/**
 * The education entries are a JSON column: the admin API hands them over as an array, which the drivers
 * would send as a PostgreSQL array.
 */
function withJsonColumns<T extends { education?: unknown }>(values: T): T {
  if (values.education === undefined || typeof values.education === 'string') return values;
  return { ...values, education: JSON.stringify(values.education) };
}

export const psychologistsRepository = {
  /** Counts the psychologist's sessions of the month that took place (or, confirmed, have started). */
  async refreshClientsProvided(
    db: Executor,
    psychologistId: string,
    month: { start: Date; end: Date },
    now: Date,
  ): Promise<void> {
    await db
      .updateTable('hraniteli_psychologists')
      .set({
        number_of_clients_provided: sql<number>`(select count(*) from hraniteli_sessions s
          where s.psychologist_id = ${psychologistId} and s.start_at >= ${month.start} and s.start_at < ${month.end}
          and (s.status = 'completed' or (s.status = 'confirmed' and s.start_at <= ${now})))::int`,
        updated_at: now,
      })
      .where('id', '=', psychologistId)
      .execute();
  },

  /** The same count for every psychologist, in one statement; returns how many rows were refreshed. */
  async refreshAllClientsProvided(
    db: Executor,
    month: { start: Date; end: Date },
    now: Date,
  ): Promise<number> {
    const result = await db
      .updateTable('hraniteli_psychologists as p')
      .set({
        number_of_clients_provided: sql<number>`(select count(*) from hraniteli_sessions s
          where s.psychologist_id = p.id and s.start_at >= ${month.start} and s.start_at < ${month.end}
          and (s.status = 'completed' or (s.status = 'confirmed' and s.start_at <= ${now})))::int`,
        updated_at: now,
      })
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  async insert(db: Executor, values: Insertable<PsychologistsTable>): Promise<Psychologist | undefined> {
    return db
      .insertInto('hraniteli_psychologists')
      .values(withJsonColumns(values))
      .onConflict((oc) => oc.column('name_normalized').doNothing())
      .returningAll()
      .executeTakeFirst();
  },

  async update(db: Executor, id: string, values: PsychologistUpdate, now: Date): Promise<Psychologist> {
    return db
      .updateTable('hraniteli_psychologists')
      .set({ ...withJsonColumns(values), updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** By name, from the one after `after`, at most `limit`. */
  async list(
    db: Executor,
    filter: { onlyActive: boolean; after?: string; limit: number },
  ): Promise<Psychologist[]> {
    let query = db.selectFrom('hraniteli_psychologists').selectAll().orderBy('name').limit(filter.limit);
    if (filter.onlyActive) query = query.where('is_active', '=', true);
    if (filter.after !== undefined) query = query.where('name', '>', filter.after);
    return query.execute();
  },

  async anyOne(db: Executor) {
    return db.selectFrom('hraniteli_psychologists').select('id').limit(1).executeTakeFirst();
  },

  async findById(db: Executor, id: string, lock = false): Promise<Psychologist | undefined> {
    if (!isUuid(id)) return undefined;
    let query = db.selectFrom('hraniteli_psychologists').selectAll().where('id', '=', id);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async findByName(db: Executor, name: string): Promise<Psychologist | undefined> {
    return db
      .selectFrom('hraniteli_psychologists')
      .selectAll()
      .where('name_normalized', '=', normalizeName(name))
      .executeTakeFirst();
  },

  async findByTelegramId(db: Executor, telegramId: string): Promise<Psychologist | undefined> {
    return db
      .selectFrom('hraniteli_psychologists')
      .selectAll()
      .where('telegram_id', '=', telegramId)
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
  },

  /** By UUID or by name, as many endpoints accept either. */
  /** Ids of the psychologists with these names (unknown names are left out), in the order given. */
  async idsByNames(db: Executor, names: string[]): Promise<{ id: string; name: string }[]> {
    const wanted = [...new Set(names.map(normalizeName))];
    if (!wanted.length) return [];
    const rows = await db
      .selectFrom('hraniteli_psychologists')
      .select(['id', 'name', 'name_normalized'])
      .where('name_normalized', 'in', wanted)
      .execute();
    const byName = new Map(rows.map((r) => [r.name_normalized, { id: r.id, name: r.name }]));
    return wanted.flatMap((n) => byName.get(n) ?? []);
  },

  async findByIdOrName(db: Executor, idOrName: string): Promise<Psychologist | undefined> {
    return isUuid(idOrName) ? this.findById(db, idOrName) : this.findByName(db, idOrName);
  },

  /**
   * Matching without chosen times: every candidate psychologist with their coefficient and their next
   * `perPsychologist` free slots in [from, to) (one index range scan each), a row per slot, by start.
   */
  async candidatesWithNextFree(
    db: Executor,
    candidates: CandidateFilter,
    window: { from: Date; to: Date; perPsychologist: number },
    assigned: { from: Date; to: Date },
  ): Promise<CandidateWithSlotRow[]> {
    const result = await sql<CandidateWithSlotRow>`
      select p.id, p.name, p.min_price, ${coefficientSql(assigned)} as coefficient,
        s.id as slot_id, (extract(epoch from s.start_at) * 1000)::float8 as start_ms,
        s.duration_minutes, s.price
      from hraniteli_psychologists p
      left join lateral (
        select x.id, x.start_at, x.duration_minutes, x.price from hraniteli_slots x
        where x.psychologist_id = p.id and x.state = 'free'
          and x.start_at >= ${window.from} and x.start_at < ${window.to}
        order by x.start_at
        limit ${window.perPsychologist}
      ) s on true
      where ${candidateFilterSql(candidates)}
      order by s.start_at, p.name`.execute(db);
    return result.rows;
  },

  /** Every active psychologist with what matching filters on and their remaining coefficient. */
  async matchingProfiles(db: Executor, assigned: { from: Date; to: Date }): Promise<MatchingProfile[]> {
    const result = await sql<MatchingProfile>`
      select p.id, p.name, p.sex, p.min_price, p.help_hand,
        array(select lower(btrim(q)) from unnest(p.queries) q) as queries,
        ${coefficientSql(assigned)} as coefficient
      from hraniteli_psychologists p
      where p.is_active`.execute(db);
    return result.rows;
  },

  /** The parts of one psychologist's coefficient. */
  async coefficientParts(db: Executor, psychologistId: string, assigned: { from: Date; to: Date }) {
    const result = await sql<{ debt: number; clients_provided: number; assigned: number }>`
      select p.debt, p.number_of_clients_provided as clients_provided, ${assignedCountSql(assigned)} as assigned
      from hraniteli_psychologists p where p.id = ${psychologistId}`.execute(db);
    return result.rows[0];
  },

  /** Names of these psychologists, in the given order (unknown ids left out). */
  async namesOf(db: Executor, ids: string[]): Promise<string[]> {
    const valid = ids.filter(isUuid);
    if (!valid.length) return [];
    const rows = await db
      .selectFrom('hraniteli_psychologists')
      .select(['id', 'name'])
      .where('id', '=', (eb) => eb.fn.any(eb.val(valid)))
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r.name]));
    return valid.flatMap((id) => byId.get(id) ?? []);
  },
};
