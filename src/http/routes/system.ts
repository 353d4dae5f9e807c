// Liveness and readiness: public, no personal data.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ping } from '../../db/health.ts';
import { migrationsApplied } from '../../db/migrate.ts';
import { errorBody } from '../errors.ts';
import { ErrorResponse } from '../schemas.ts';

export async function systemRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;
  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'The process is up',
        response: { 200: Type.Object({ success: Type.Literal(true), status: Type.Literal('ok') }) },
      },
    },
    async () => ({ success: true as const, status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['system'],
        summary: 'The database answers and migrations are applied',
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            status: Type.Literal('ready'),
            database: Type.String(),
          }),
          503: ErrorResponse,
        },
      },
    },
    async (_request, reply) => {
      try {
        await ping(deps.db);
        if (!(await migrationsApplied(deps.db))) {
          return reply
            .status(503)
            .send(errorBody(503, 'migrations_pending', 'migrations are not applied yet'));
        }
        return { success: true as const, status: 'ready' as const, database: deps.database.kind };
      } catch {
        return reply.status(503).send(errorBody(503, 'database_unavailable', 'the database does not answer'));
      }
    },
  );
}
