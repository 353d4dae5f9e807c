// Operator routes for psychologists: enter, list, change.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createPsychologist } from '../../../commands/create-psychologist.ts';
import { updatePsychologist } from '../../../commands/update-psychologist.ts';
import { psychologistsRepository } from '../../../repositories/psychologists.repository.ts';
import { MAX_PAGE } from '../../../domain/limits.ts';
import { Enum, Nullable, Text, Uuid } from '../../schemas.ts';
import { decodeNameCursor, encodeNameCursor } from './query.ts';
import { PsychologistOut, presentPsychologist } from './presenters.ts';
import { profileFields } from '../../psychologist-profile.ts';

const Sex = Enum(['male', 'female']);
const Price = Type.Integer({ minimum: 0, maximum: 10_000_000 });
const optionalFields = {
  telegram_id: Type.Optional(Type.String({ pattern: '^-?\\d{1,20}$' })),
  telegram_username: Type.Optional(Type.String({ pattern: '^@?[A-Za-z][A-Za-z0-9_]{3,31}$' })),
  queries: Type.Optional(Type.Array(Text(200), { maxItems: 100 })),
  works_with: Type.Optional(Type.Array(Text(200), { maxItems: 100 })),
  description: Type.Optional(Text(5000)),
  experience_years: Type.Optional(Type.Integer({ minimum: 0, maximum: 80 })),
  link_photo: Type.Optional(Text(2000)),
  link_video: Type.Optional(Text(2000)),
  help_hand: Type.Optional(Type.Boolean()),
  debt: Type.Optional(Type.Integer({ minimum: -100_000, maximum: 100_000 })),
  is_active: Type.Optional(Type.Boolean()),
  zoom_account: Type.Optional(Text(200)),
  ...profileFields,
};
const OnePsychologist = Type.Object({ success: Type.Literal(true), psychologist: PsychologistOut });

export async function psychologistRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/admin/psychologists',
    {
      schema: {
        summary: 'Enter a psychologist (409 on a name already taken)',
        body: Type.Object(
          { name: Text(200), sex: Sex, min_price: Price, max_price: Price, ...optionalFields },
          { additionalProperties: false },
        ),
        response: { 201: OnePsychologist },
      },
    },
    async (request, reply) => {
      const psychologist = await createPsychologist(deps, request.actor, request.body);
      reply.status(201);
      return { success: true as const, psychologist: presentPsychologist(psychologist) };
    },
  );

  app.get(
    '/admin/psychologists',
    {
      schema: {
        summary: 'Psychologists by name (only the active ones with active=true), a page at a time',
        description: `At most limit (default and cap ${MAX_PAGE}) a page; next_cursor fetches the next one until it is null.`,
        querystring: Type.Object({
          active: Type.Optional(Type.Boolean()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
          cursor: Type.Optional(Type.String({ maxLength: 400 })),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            psychologists: Type.Array(PsychologistOut, { maxItems: MAX_PAGE }),
            next_cursor: Nullable(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? MAX_PAGE;
      const rows = await psychologistsRepository.list(deps.db, {
        onlyActive: q.active === true,
        ...(q.cursor !== undefined ? { after: decodeNameCursor(q.cursor) } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        success: true as const,
        psychologists: page.map(presentPsychologist),
        next_cursor: rows.length > limit ? encodeNameCursor(page.at(-1)!.name) : null,
      };
    },
  );

  app.patch(
    '/admin/psychologists/:id',
    {
      schema: {
        summary: 'Change a psychologist (409 on a rename to a name already taken)',
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          {
            name: Type.Optional(Text(200)),
            sex: Type.Optional(Sex),
            min_price: Type.Optional(Price),
            max_price: Type.Optional(Price),
            ...optionalFields,
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: OnePsychologist },
      },
    },
    async (request) => {
      const psychologist = await updatePsychologist(deps, request.actor, {
        id: request.params.id,
        changes: request.body,
      });
      return { success: true as const, psychologist: presentPsychologist(psychologist) };
    },
  );
}
