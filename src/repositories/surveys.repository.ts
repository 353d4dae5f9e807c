// SQL for the surveys of /survey and their completion counts per day (nothing about who completed).
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Survey, SurveyResult, SurveyStep } from '../db/types.ts';

export interface SurveyWithCounts extends Survey {
  completions_total: number;
  completions_by_day: { day: string; completions: number }[];
}

export const surveysRepository = {
  /** Creates or replaces the survey; true when it was created. */
  async upsert(
    db: Executor,
    values: {
      slug: string;
      title: string;
      description: string;
      content: SurveyStep[];
      results: SurveyResult[];
      isPublished: boolean;
    },
    now: Date,
  ): Promise<{ survey: Survey; created: boolean }> {
    const row = await db
      .insertInto('surveys')
      .values({
        slug: values.slug,
        title: values.title,
        description: values.description,
        content: JSON.stringify(values.content),
        results: JSON.stringify(values.results),
        is_published: values.isPublished,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('slug').doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'),
          description: eb.ref('excluded.description'),
          content: eb.ref('excluded.content'),
          results: eb.ref('excluded.results'),
          is_published: eb.ref('excluded.is_published'),
          updated_at: now,
        })),
      )
      .returningAll()
      .returning(sql<boolean>`(xmax = 0)`.as('created'))
      .executeTakeFirstOrThrow();
    const { created, ...survey } = row;
    return { survey, created };
  },

  async findPublished(db: Executor, slug: string): Promise<Survey | undefined> {
    return db
      .selectFrom('surveys')
      .selectAll()
      .where('slug', '=', slug)
      .where('is_published', '=', true)
      .executeTakeFirst();
  },

  /** One more completion of a published survey on `day`; false when there is no such survey. */
  async countCompletion(db: Executor, slug: string, day: string): Promise<boolean> {
    const result = await sql<{ slug: string }>`
      insert into survey_completions (slug, day, completions)
      select s.slug, ${day}::date, 1 from surveys s where s.slug = ${slug} and s.is_published
      on conflict (slug, day) do update set completions = survey_completions.completions + 1
      returning slug`.execute(db);
    return result.rows.length > 0;
  },

  /** Every survey by slug, with its completions in all and per day since `since` (YYYY-MM-DD). */
  async listWithCounts(db: Executor, since: string, limit: number): Promise<SurveyWithCounts[]> {
    const result = await sql<SurveyWithCounts>`
      select s.*,
        coalesce((select sum(c.completions)::int from survey_completions c where c.slug = s.slug), 0)
          as completions_total,
        coalesce((
          select json_agg(json_build_object('day', c.day::text, 'completions', c.completions) order by c.day)
          from survey_completions c where c.slug = s.slug and c.day >= ${since}::date
        ), '[]'::json) as completions_by_day
      from surveys s order by s.slug limit ${limit}`.execute(db);
    return result.rows;
  },
};
