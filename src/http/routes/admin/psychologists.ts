// Operator routes for psychologists: enter, list, change.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createPsychologist } from '../../../commands/create-psychologist.ts';
import { updatePsychologist } from '../../../commands/update-psychologist.ts';
import { psychologistsRepository } from '../../../repositories/psychologists.repository.ts';
import { Enum, Text, Uuid } from '../../schemas.ts';
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
        summary: 'Psychologists by name (only the active ones with active=true)',
        querystring: Type.Object({ active: Type.Optional(Type.Boolean()) }),
        response: {
          200: Type.Object({ success: Type.Literal(true), psychologists: Type.Array(PsychologistOut) }),
        },
      },
    },
    async (request) => {
      const rows = await psychologistsRepository.list(deps.db, request.query.active === true);
      return { success: true as const, psychologists: rows.map(presentPsychologist) };
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
