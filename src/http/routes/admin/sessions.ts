// Operator routes for sessions: book a slot for a client (the same booking command as the public
// endpoints, the same 409 on a taken slot) and mark a session by the state machine's rules.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bookSlotFor } from '../../../commands/book-slot.ts';
import { setSessionStatus } from '../../../commands/set-session-status.ts';
import { SESSION_KINDS } from '../../../domain/vocabulary.ts';
import { Enum, Text, TicketId, Uuid } from '../../schemas.ts';
import { presentSession, SessionOut } from './presenters.ts';

export async function sessionRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/admin/sessions',
    {
      schema: {
        summary: 'Book a slot for a client (lead number); ignores the minimum lead time',
        body: Type.Object(
          {
            slot_id: Uuid,
            lead_number: Text(64),
            ticket_id: Type.Optional(TicketId),
            kind: Type.Optional(Enum(SESSION_KINDS)),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ success: Type.Literal(true), ticket_id: Type.String(), session: SessionOut }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { session, ticket } = await bookSlotFor(deps, request.actor, {
        slotId: body.slot_id,
        clientLeadOrId: body.lead_number,
        unknownClient: 'лид не найден',
        ...(body.ticket_id ? { ticketId: body.ticket_id } : {}),
        kind: body.kind ?? 'diagnostic',
        ignoreLeadTime: true,
      });
      reply.status(201);
      return { success: true as const, ticket_id: ticket.ticket_id, session: presentSession(session) };
    },
  );

  app.post(
    '/admin/sessions/:id/status',
    {
      schema: {
        summary: 'Mark a session completed, missed or cancelled (409 when the state machine forbids it)',
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          {
            status: Enum(['completed', 'missed', 'cancelled']),
            reason: Type.Optional(Text(1000)),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ success: Type.Literal(true), session: SessionOut }) },
      },
    },
    async (request) => {
      const session = await setSessionStatus(deps, request.actor, {
        sessionId: request.params.id,
        status: request.body.status,
        reason: request.body.reason ?? null,
      });
      return { success: true as const, session: presentSession(session) };
    },
  );
}
