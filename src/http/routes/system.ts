// Liveness and readiness: public, no personal data.
import type { FastifyInstance } from 'fastify';
import { ping } from '../../db/health.ts';
import { migrationsApplied } from '../../db/migrate.ts';
import { errorBody } from '../errors.ts';

export async function systemRoutes(app: FastifyInstance): Promise<void> {
  const { deps } = app;
  app.get('/health', { schema: { tags: ['system'], summary: 'The process is up' } }, async () => ({
    success: true,
    status: 'ok',
  }));

  app.get(
    '/ready',
    { schema: { tags: ['system'], summary: 'The database answers and migrations are applied' } },
    async (_request, reply) => {
      try {
        await ping(deps.db);
        if (!(await migrationsApplied(deps.db))) {
          return reply
            .status(503)
            .send(errorBody(503, 'migrations_pending', 'migrations are not applied yet'));
        }
        return { success: true, status: 'ready', database: deps.database.kind };
      } catch {
        return reply.status(503).send(errorBody(503, 'database_unavailable', 'the database does not answer'));
      }
    },
  );
}
