// Operator routes for one person: everything held about them, and erasing it (the privacy operations
// of spec/admin-api.md).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { eraseClient } from '../../../commands/erase-client.ts';
import { getClientRecord } from '../../../commands/get-client-record.ts';
import { Iso, Nullable, Text } from '../../schemas.ts';
import {
  ClientOut,
  OutboxMessageOut,
  presentClient,
  presentOutboxMessage,
  presentTicket,
  TicketOut,
} from './presenters.ts';
import { MAX_PAGE } from '../../../domain/limits.ts';
import { MESSAGES_SHOWN } from '../../../commands/get-client-record.ts';

const params = Type.Object({ lead_number: Text(64) });

const HistoryItem = Type.Object({
  ticket_id: Type.String(),
  psychologist_name: Type.String(),
  start_at: Iso,
  status: Type.String(),
  rating: Nullable(Type.Integer()),
  feedback: Nullable(Type.String()),
});

const Questionnaire = Type.Object({
  id: Type.String(),
  client_id: Nullable(Type.String()),
  psychologist_id: Nullable(Type.String()),
  session_id: Nullable(Type.String()),
  anketa: Type.Unknown(),
  payload: Type.Unknown(),
  created_at: Iso,
  updated_at: Iso,
});

export async function clientRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.get(
    '/admin/clients/:lead_number',
    {
      schema: {
        summary: 'A client with their tickets, sessions, questionnaires and messages',
        description: `The newest ${MAX_PAGE} tickets, sessions and questionnaires, and the newest ${MESSAGES_SHOWN} messages.`,
        params,
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            client: ClientOut,
            tickets: Type.Array(TicketOut, { maxItems: MAX_PAGE }),
            sessions: Type.Array(HistoryItem, { maxItems: MAX_PAGE }),
            questionnaires: Type.Array(Questionnaire, { maxItems: MAX_PAGE }),
            messages: Type.Array(OutboxMessageOut, { maxItems: MESSAGES_SHOWN }),
          }),
        },
      },
    },
    async (request) => {
      const record = await getClientRecord(deps, request.actor, { leadNumber: request.params.lead_number });
      return {
        success: true as const,
        client: presentClient(record.client),
        tickets: record.tickets.map(presentTicket),
        sessions: record.sessions.map((s) => ({
          ticket_id: s.ticket_id,
          psychologist_name: s.psychologist_name,
          start_at: s.start_at.toISOString(),
          status: s.status,
          rating: s.rating,
          feedback: s.feedback,
        })),
        questionnaires: record.questionnaires.map((q) => ({
          id: q.id,
          client_id: q.client_id,
          psychologist_id: q.psychologist_id,
          session_id: q.session_id,
          anketa: q.anketa,
          payload: q.payload,
          created_at: q.created_at.toISOString(),
          updated_at: q.updated_at.toISOString(),
        })),
        messages: record.messages.map(presentOutboxMessage),
      };
    },
  );

  app.delete(
    '/admin/clients/:lead_number',
    {
      schema: {
        summary: "Erase the person's personal data everywhere; tickets and sessions stay, anonymous",
        description: 'Erasing an erased client again succeeds and changes nothing.',
        params,
        response: {
          200: Type.Object({ success: Type.Literal(true), lead_number: Type.String(), erased_at: Iso }),
        },
      },
    },
    async (request) => {
      const erased = await eraseClient(deps, request.actor, { leadNumber: request.params.lead_number });
      return {
        success: true as const,
        lead_number: erased.leadNumber,
        erased_at: erased.erasedAt.toISOString(),
      };
    },
  );
}
