// SQL for the public catalog of the web front end: psychologists' profiles (/cards), their education,
// and the slots of the psychologists who fit a form's answers (the schedule endpoints).
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import type { ScheduleRow } from '../domain/web-schedule.ts';
import { normalizeName } from '../domain/names.ts';
import { coefficientSql } from './psychologists.repository.ts';

/** Who a schedule shows. */
export interface ScheduleFilter {
  sex?: 'male' | 'female';
  /** Only psychologists who work with a diagnosed psychiatric illness. */
  psychiatric: boolean;
  /** Only psychologists who take diagnostic sessions. */
  diagnosticOnly: boolean;
  /** One psychologist by name. */
  onlyName?: string;
  /** Booked slots too (with their state), not only free ones. */
  allStates: boolean;
}

export const catalogRepository = {
  /** The first `limit` active psychologists with their public profile, by name. */
  async cards(db: Executor, limit: number) {
    return db
      .selectFrom('hraniteli_psychologists')
      .select([
        'id',
        'name',
        'sex',
        'group',
        'link_photo',
        'link_video',
        'age',
        'experience',
        'verified',
        'main_modal',
        'additional_modals',
        'min_price',
        'max_price',
        'description',
        'queries',
        'works_with',
        'vk',
        'site',
        'telegram',
        'personal_therapy_duration',
        'is_married',
        'has_children',
      ])
      .where('is_active', '=', true)
      .orderBy('name')
      .limit(limit)
      .execute();
  },

  /** The education entries of the first `limit` active psychologists, by name. */
  async education(db: Executor, limit: number) {
    return db
      .selectFrom('hraniteli_psychologists')
      .select(['name', 'education'])
      .where('is_active', '=', true)
      .orderBy('name')
      .limit(limit)
      .execute();
  },

  /**
   * The first `limit` slots in [from, to) of the active psychologists fitting `filter`, by start then
   * name, each with its psychologist's remaining assignment coefficient (computed once per psychologist)
   * and, for booked slots, whether the session on it was confirmed.
   */
  async scheduleRows(
    db: Executor,
    filter: ScheduleFilter,
    window: { from: Date; to: Date },
    assigned: { from: Date; to: Date },
    limit: number,
  ): Promise<ScheduleRow[]> {
    const conditions = [sql<boolean>`p.is_active`];
    if (filter.sex) conditions.push(sql<boolean>`p.sex = ${filter.sex}`);
    if (filter.diagnosticOnly) conditions.push(sql<boolean>`p.takes_diagnostic`);
    if (filter.psychiatric)
      conditions.push(
        sql<boolean>`exists (select 1 from unnest(p.works_with) w where w ilike '%психиатрическ%')`,
      );
    if (filter.onlyName) conditions.push(sql<boolean>`p.name_normalized = ${normalizeName(filter.onlyName)}`);
    const confirmed = filter.allStates
      ? sql<boolean>`s.state = 'booked' and exists (select 1 from hraniteli_sessions x
          where x.slot_id = s.id and x.status = 'confirmed')`
      : sql<boolean>`false`;
    const result = await sql<ScheduleRow>`
      with c as materialized (
        select p.id, p.name, ${coefficientSql(assigned)} as coefficient
        from hraniteli_psychologists p
        where ${sql.join(conditions, sql` and `)}
      )
      select s.id, (extract(epoch from s.start_at) * 1000)::float8 as start_ms, c.name as psychologist,
        c.coefficient, s.state, ${confirmed} as confirmed
      from hraniteli_slots s
      join c on c.id = s.psychologist_id
      where s.start_at >= ${window.from} and s.start_at < ${window.to}
        ${filter.allStates ? sql`` : sql`and s.state = 'free'`}
      order by s.start_at, c.name
      limit ${limit}`.execute(db);
    return result.rows;
  },
};
