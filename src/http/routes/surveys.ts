// Surveys of /survey?slug= (spec/web-form.md A, C.5): the published survey by slug, and a completion
// counted when the result screen opens. Public; nothing personal is read or stored.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { countSurveyCompletion, publishedSurvey } from '../../commands/surveys.ts';
import { rateLimited } from '../schemas.ts';

export const Slug = Type.String({ pattern: '^[a-z0-9-]{1,64}$', description: 'a survey’s slug' });

export const SurveyStepOut = Type.Object({
  step_id: Type.String(),
  step_name: Type.String(),
  step_description: Type.String(),
  step_type: Type.String({ enum: ['single', 'multiple'] }),
  step_items: Type.Array(Type.Object({ title: Type.String(), coins: Type.Number() }), { maxItems: 100 }),
});
export const SurveyResultOut = Type.Object({
  from: Type.Number(),
  title: Type.String(),
  description: Type.String(),
});

export async function surveyRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;
  const tags = ['surveys'];

  app.get(
    '/get-survey',
    {
      config: { access: 'public', ...rateLimited(app, 'public'), cacheControl: 'public, max-age=60' },
      schema: {
        tags,
        summary: 'A published survey by slug (an object; unknown or unpublished → 404)',
        querystring: Type.Object({ slug: Slug }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            slug: Type.String(),
            title: Type.String(),
            description: Type.String(),
            content: Type.Array(SurveyStepOut, { maxItems: 100 }),
            results: Type.Array(SurveyResultOut, { maxItems: 100 }),
          }),
        },
      },
    },
    async (request) => publishedSurvey(deps, request.actor, request.query.slug),
  );

  app.get(
    '/check-fill-survey',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags,
        summary: 'Count one completion of a published survey today (nothing about who)',
        querystring: Type.Object({ slug: Slug }),
        response: { 200: Type.Object({ success: Type.Literal(true) }) },
      },
    },
    async (request) => countSurveyCompletion(deps, request.actor, request.query.slug),
  );
}
