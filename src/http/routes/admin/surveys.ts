// Operator routes of the surveys of /survey (spec/admin-api.md): publish a survey, list them with
// their completion counts.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listSurveys, saveSurvey } from '../../../commands/surveys.ts';
import type { Survey } from '../../../db/types.ts';
import { MAX_PAGE } from '../../../domain/limits.ts';
import { Text } from '../../schemas.ts';
import { Slug, SurveyResultOut, SurveyStepOut } from '../surveys.ts';

const Coins = Type.Number({ minimum: -1_000_000, maximum: 1_000_000 });
const SurveyBody = Type.Object(
  {
    title: Text(500),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    content: Type.Array(
      Type.Object(
        {
          step_id: Type.String({
            pattern: '^[A-Za-z0-9_]{1,64}$',
            description: 'a form field name: letters, digits and _ (dots or brackets would nest)',
          }),
          step_name: Text(2000),
          step_description: Type.Optional(Type.String({ maxLength: 5000 })),
          step_type: Type.String({ enum: ['single', 'multiple'] }),
          step_items: Type.Array(
            Type.Object({ title: Text(1000), coins: Coins }, { additionalProperties: false }),
            { minItems: 1, maxItems: 100 },
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    results: Type.Array(
      Type.Object(
        { from: Coins, title: Text(500), description: Type.String({ maxLength: 10_000 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    is_published: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const SurveyOut = Type.Object({
  slug: Type.String(),
  title: Type.String(),
  description: Type.String(),
  content: Type.Array(SurveyStepOut, { maxItems: 100 }),
  results: Type.Array(SurveyResultOut, { maxItems: 100 }),
  is_published: Type.Boolean(),
  updated_at: Type.String({ format: 'date-time' }),
});
const presentSurvey = (s: Survey) => ({
  slug: s.slug,
  title: s.title,
  description: s.description,
  content: s.content,
  results: s.results,
  is_published: s.is_published,
  updated_at: new Date(s.updated_at).toISOString(),
});

export async function surveyAdminRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.put(
    '/admin/surveys/:slug',
    {
      schema: {
        summary: 'Create or replace a survey (published unless is_published is false)',
        description:
          'Step ids unique in the survey, item titles unique within their step (the title is the answer), ' +
          'result thresholds (`from`) unique.',
        params: Type.Object({ slug: Slug }),
        body: SurveyBody,
        response: {
          200: Type.Object({ success: Type.Literal(true), created: Type.Boolean(), survey: SurveyOut }),
        },
      },
    },
    async (request) => {
      const { survey, created } = await saveSurvey(deps, request.actor, {
        slug: request.params.slug,
        fields: {
          ...request.body,
          content: request.body.content.map((step) => ({
            ...step,
            step_description: step.step_description ?? '',
            step_type: step.step_type as 'single' | 'multiple',
          })),
        },
      });
      return { success: true as const, created, survey: presentSurvey(survey) };
    },
  );

  app.get(
    '/admin/surveys',
    {
      schema: {
        summary: 'Every survey with its completions (in all, and per day over the last 31 days)',
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            surveys: Type.Array(
              Type.Object({
                ...SurveyOut.properties,
                completions_total: Type.Integer(),
                completions_by_day: Type.Array(
                  Type.Object({ day: Type.String(), completions: Type.Integer() }),
                  { maxItems: 31 },
                ),
              }),
              { maxItems: MAX_PAGE },
            ),
          }),
        },
      },
    },
    async (request) => {
      const surveys = await listSurveys(deps, request.actor);
      return {
        success: true as const,
        surveys: surveys.map((s) => ({
          ...presentSurvey(s),
          completions_total: s.completions_total,
          completions_by_day: s.completions_by_day,
        })),
      };
    },
  );
}
