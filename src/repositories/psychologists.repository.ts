// SQL for psychologists: lookups by id and by normalized name, and the assignment coefficient inputs.
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Insertable } from 'kysely';
import type { Psychologist, PsychologistsTable, PsychologistUpdate } from '../db/types.ts';
import { normalizeName } from '../domain/names.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

export interface MatchCandidateRow {
  id: string;
  name: string;
  sex: 'male' | 'female';
  min_price: number;
  queries: string[];
  coefficient: number;
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

  async insert(db: Executor, values: Insertable<PsychologistsTable>): Promise<Psychologist | undefined> {
    return db
      .insertInto('hraniteli_psychologists')
      .values(values)
      .onConflict((oc) => oc.column('name_normalized').doNothing())
      .returningAll()
      .executeTakeFirst();
  },

  async update(db: Executor, id: string, values: PsychologistUpdate): Promise<Psychologist | undefined> {
    return db
      .updateTable('hraniteli_psychologists')
      .set({ ...values, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  },

  async list(db: Executor, onlyActive: boolean): Promise<Psychologist[]> {
    let query = db.selectFrom('hraniteli_psychologists').selectAll().orderBy('name');
    if (onlyActive) query = query.where('is_active', '=', true);
    return query.execute();
  },

  async anyOne(db: Executor) {
    return db.selectFrom('hraniteli_psychologists').select('id').limit(1).executeTakeFirst();
  },

  async findById(db: Executor, id: string): Promise<Psychologist | undefined> {
    if (!isUuid(id)) return undefined;
    return db.selectFrom('hraniteli_psychologists').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findByName(db: Executor, name: string): Promise<Psychologist | undefined> {
    return db
      .selectFrom('hraniteli_psychologists')
      .selectAll()
      .where('name_normalized', '=', normalizeName(name))
      .executeTakeFirst();
  },

  /** By UUID or by name, as many endpoints accept either. */
  async findByIdOrName(db: Executor, idOrName: string): Promise<Psychologist | undefined> {
    return isUuid(idOrName) ? this.findById(db, idOrName) : this.findByName(db, idOrName);
  },

  /**
   * Active psychologists who may be offered to a client, with their remaining assignment coefficient
   * (get-assigment-coeff): debt − clients provided − active sessions from now to the end of the Moscow
   * month. Only the columns matching needs are read: this runs on every submission.
   */
  async matchCandidates(
    db: Executor,
    filter: { sex?: 'male' | 'female'; priceMax?: number; helpHandOnly: boolean },
    now: Date,
    monthEnd: Date,
  ): Promise<MatchCandidateRow[]> {
    let query = db
      .selectFrom('hraniteli_psychologists as p')
      .select(['p.id', 'p.name', 'p.sex', 'p.min_price', 'p.queries'])
      .select(
        sql<number>`p.debt - p.number_of_clients_provided - (select count(*) from hraniteli_sessions s
          where s.psychologist_id = p.id and s.status in ('pending', 'confirmed')
          and s.start_at >= ${now} and s.start_at < ${monthEnd})::int`.as('coefficient'),
      )
      .where('p.is_active', '=', true);
    if (filter.sex) query = query.where('p.sex', '=', filter.sex);
    if (filter.helpHandOnly) query = query.where('p.help_hand', '=', true);
    else if (filter.priceMax !== undefined) {
      query = query.where(sql<boolean>`p.min_price <= ${filter.priceMax}::numeric`);
    }
    return query.execute();
  },
};
