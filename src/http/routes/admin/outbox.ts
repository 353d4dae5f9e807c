// Operator route for the outbox: every outgoing Telegram message, newest first.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { OUTBOX_STATUSES } from '../../../domain/vocabulary.ts';
import { outboxRepository } from '../../../repositories/outbox.repository.ts';
import { Enum, Text } from '../../schemas.ts';
import { OutboxMessageOut, presentOutboxMessage } from './presenters.ts';
import { MAX_PAGE } from '../../../domain/limits.ts';

export async function outboxRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.get(
    '/admin/outbox',
    {
      schema: {
        summary: 'Outgoing messages, newest first, by chat and status',
        querystring: Type.Object({
          chat_id: Type.Optional(Text(64)),
          status: Type.Optional(Enum(OUTBOX_STATUSES)),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            messages: Type.Array(OutboxMessageOut, { maxItems: MAX_PAGE }),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const messages = await outboxRepository.list(deps.db, {
        ...(q.chat_id ? { chatId: q.chat_id } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.since ? { since: new Date(q.since) } : {}),
        limit: q.limit ?? 100,
      });
      return { success: true as const, messages: messages.map(presentOutboxMessage) };
    },
  );
}
