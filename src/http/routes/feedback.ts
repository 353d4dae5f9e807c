// Feedback: rating a session and the client's session history.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { rateSession } from '../../commands/rate-session.ts';
import { formatDateTime } from '../../domain/time.ts';
import { clientsRepository } from '../../repositories/clients.repository.ts';
import { sessionsRepository } from '../../repositories/sessions.repository.ts';
import { mayAccessClient } from '../../domain/access.ts';
import { forbidden } from '../../errors.ts';
import { Ok, Text, TicketId } from '../schemas.ts';
import { MAX_PAGE } from '../../domain/limits.ts';

export async function feedbackRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/rate-session',
    {
      config: { access: 'client' },
      schema: {
        tags: ['feedback'],
        summary: "Rate the ticket's latest past session (latest rating wins, history kept)",
        body: Type.Object(
          {
            ticket_id: TicketId,
            rating: Type.Integer({ minimum: 1, maximum: 5 }),
            feedback: Type.Optional(Type.String({ maxLength: 5000 })),
          },
          { additionalProperties: true },
        ),
        response: { 200: Ok },
      },
    },
    async (request) => {
      const body = request.body;
      const feedback = body.feedback?.trim() || null;
      return {
        success: true as const,
        ...(await rateSession(deps, request.actor, {
          ticketId: body.ticket_id,
          rating: body.rating,
          feedback,
        })),
      };
    },
  );

  app.get(
    '/client-sessions-history',
    {
      config: { access: 'client' },
      schema: {
        tags: ['feedback'],
        summary: "A client's sessions, newest first",
        querystring: Type.Object({ client_telegram: Text(100) }),
        response: {
          200: Type.Object({
            sessions: Type.Array(
              Type.Object({
                ticket_id: Type.String(),
                psychologist_name: Type.String(),
                slot_time: Type.String(),
                status: Type.String(),
                rating: Type.Union([Type.Integer(), Type.Null()]),
                feedback: Type.Union([Type.String(), Type.Null()]),
              }),
              { maxItems: MAX_PAGE, description: `the newest ${MAX_PAGE}` },
            ),
          }),
        },
      },
    },
    async (request) => {
      const { client_telegram } = request.query;
      const client = await clientsRepository.findByTelegram(deps.db, client_telegram);
      if (request.actor.kind === 'client') {
        if (!client) throw forbidden();
        if (!mayAccessClient(request.actor, client.id)) throw forbidden();
      }
      if (!client) return { sessions: [] };
      const rows = await sessionsRepository.historyOfClient(deps.db, client.id, MAX_PAGE);
      return {
        sessions: rows.map((r) => ({
          ticket_id: r.ticket_id,
          psychologist_name: r.psychologist_name,
          slot_time: formatDateTime(r.start_at),
          status: r.status,
          rating: r.rating,
          feedback: r.feedback,
        })),
      };
    },
  );
}
