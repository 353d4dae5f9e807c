// Surveys of /survey (spec/web-form.md A, C.5): operators publish them, the page reads one by slug and
// counts a completion when its result screen opens. The answers never reach the service; a completion is
// one more in the survey's count of that day, nothing about who completed it.
import type { Deps } from '../deps.ts';
import type { Survey, SurveyResult, SurveyStep } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { moscowYmd } from '../domain/calendar.ts';
import { MAX_PAGE } from '../domain/limits.ts';
import { badRequest, notFound } from '../errors.ts';
import { surveysRepository } from '../repositories/surveys.repository.ts';

export interface SurveyFields {
  title: string;
  description?: string;
  content: SurveyStep[];
  results: SurveyResult[];
  is_published?: boolean;
}

/** What the schema cannot say: step ids unique in the survey, item titles unique in their step. */
function checkSurvey(fields: SurveyFields): void {
  const stepIds = new Set<string>();
  fields.content.forEach((step, i) => {
    if (stepIds.has(step.step_id)) throw badRequest(`content.${i}.step_id`, 'must be unique in the survey');
    stepIds.add(step.step_id);
    const titles = new Set<string>();
    step.step_items.forEach((item, k) => {
      // The title is the answer's value: two equal titles would be one answer.
      const key = item.title.trim();
      if (titles.has(key))
        throw badRequest(`content.${i}.step_items.${k}.title`, 'must be unique within its step');
      titles.add(key);
    });
  });
  const froms = new Set<number>();
  fields.results.forEach((result, i) => {
    if (froms.has(result.from)) throw badRequest(`results.${i}.from`, 'must be unique in the survey');
    froms.add(result.from);
  });
}

/** PUT /admin/surveys/:slug: creates or replaces the survey. */
export async function saveSurvey(
  deps: Deps,
  actor: Actor,
  input: { slug: string; fields: SurveyFields },
): Promise<{ survey: Survey; created: boolean }> {
  requireService(actor);
  const { fields } = input;
  checkSurvey(fields);
  return surveysRepository.upsert(
    deps.db,
    {
      slug: input.slug,
      title: fields.title.trim(),
      description: fields.description ?? '',
      content: fields.content.map((step) => ({
        step_id: step.step_id,
        step_name: step.step_name,
        step_description: step.step_description ?? '',
        step_type: step.step_type,
        step_items: step.step_items.map((item) => ({ title: item.title.trim(), coins: item.coins })),
      })),
      results: fields.results.map((r) => ({ from: r.from, title: r.title, description: r.description })),
      isPublished: fields.is_published ?? true,
    },
    deps.clock.now(),
  );
}

/** GET /admin/surveys: every survey with its completions (in all, and per day over the last 31 days). */
export async function listSurveys(deps: Deps, actor: Actor) {
  requireService(actor);
  const since = moscowYmd(new Date(deps.clock.now().getTime() - 30 * 86_400_000));
  return surveysRepository.listWithCounts(deps.db, since, MAX_PAGE);
}

/** GET /get-survey: a published survey as the page reads it (an object, never an array). */
export async function publishedSurvey(deps: Deps, _actor: Actor, slug: string) {
  const survey = await surveysRepository.findPublished(deps.db, slug);
  if (!survey) throw notFound('survey', 'анкета не найдена');
  return {
    success: true as const,
    slug: survey.slug,
    title: survey.title,
    description: survey.description,
    content: survey.content,
    results: survey.results,
  };
}

/** GET /check-fill-survey: one more completion today (Moscow) of a published survey. */
export async function countSurveyCompletion(
  deps: Deps,
  _actor: Actor,
  slug: string,
): Promise<{ success: true }> {
  const counted = await surveysRepository.countCompletion(deps.db, slug, moscowYmd(deps.clock.now()));
  if (!counted) throw notFound('survey', 'анкета не найдена');
  return { success: true };
}
