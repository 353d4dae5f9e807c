// Events from the database webhook (Supabase-style) about slot changes made outside the service.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { handleSlotEvent } from '../../commands/handle-slot-event.ts';
import { presentsServiceKey, secretMatches } from '../auth.ts';
import { unauthorized } from '../../errors.ts';
import { SERVICE } from '../../domain/access.ts';
import { Enum } from '../schemas.ts';

/** A row as the webhook sends it: any columns (at least id and state for a slot). */
const Row = Type.Record(Type.String(), Type.Unknown());

export async function eventRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/notify-update',
    {
      // Not one of the three classes: the database webhook may also authenticate with its own secret.
      onRequest: async (request) => {
        // The route has no access class, so the shared hook leaves the actor anonymous: set it here.
        if (presentsServiceKey(request, deps.apiKey)) {
          request.actor = SERVICE;
          return;
        }
        const secret = deps.config.supabaseWebhookSecret;
        const header = request.headers['x-webhook-secret'];
        const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
        const presented = typeof header === 'string' ? header : bearer;
        // The database's own webhook acts with the service's rights.
        if (secret && secretMatches(presented, secret)) {
          request.actor = SERVICE;
          return;
        }
        throw unauthorized('the service key or the webhook secret is required');
      },
      schema: {
        tags: ['events'],
        summary: 'Database webhook: a hraniteli_slots row changed',
        security: [{ apiKey: [] }, { bearer: [] }],
        body: Type.Object(
          {
            type: Enum(['INSERT', 'UPDATE', 'DELETE']),
            table: Type.String({ minLength: 1, maxLength: 200 }),
            schema: Type.Optional(Type.String({ maxLength: 200 })),
            record: Type.Optional(Type.Union([Row, Type.Null()])),
            old_record: Type.Optional(Type.Union([Row, Type.Null()])),
          },
          { additionalProperties: true },
        ),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            action: Enum(['booking', 'cancellation', 'ignored']),
          }),
        },
      },
    },
    async (request) => {
      const action = await handleSlotEvent(deps, request.actor, {
        event: request.body,
        rawBody: JSON.stringify(request.body),
      });
      return { success: true as const, action };
    },
  );
}
