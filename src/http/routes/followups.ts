// The seed's follow-up scheduling: 5 days / 3 weeks after now, the client gets the psychologist's free
// times with buttons. The same action for the same client again moves the one planned follow-up.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { planFollowup, type ClientRef } from '../../commands/client-followups.ts';
import type { FollowupKind } from '../../repositories/followups.repository.ts';
import { badRequest } from '../../errors.ts';
import { Text, TicketId } from '../schemas.ts';
import { TelegramId } from './profile.ts';

const Body = Type.Object({
  telegram_id: Type.Optional(TelegramId),
  lead_number: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}\\d{4}$' })),
  ticket_id: Type.Optional(TicketId),
  psychologist_name: Type.Optional(Text(200)),
});
const Answer = Type.Object({
  success: Type.Literal(true),
  scheduled_at: Type.String({ format: 'date-time' }),
  job_id: Type.String(),
});

const ROUTES: [string, FollowupKind][] = [
  ['/schedule_client_action_after_5_days', 'after_5_days'],
  ['/schedule_client_action_after_3_weeks', 'after_3_weeks'],
];

export async function followupRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;
  for (const [url, kind] of ROUTES) {
    app.post(
      url,
      {
        config: { access: 'service' },
        schema: {
          tags: ['feedback'],
          summary: `Plans the client's follow-up (${kind === 'after_5_days' ? '5 days' : '3 weeks'} from now)`,
          body: Body,
          response: { 200: Answer },
        },
      },
      async (request) => {
        const b = request.body;
        const client: ClientRef | null = b.telegram_id
          ? { telegramId: b.telegram_id }
          : b.lead_number
            ? { leadNumber: b.lead_number }
            : b.ticket_id
              ? { ticketId: b.ticket_id }
              : null;
        if (!client) throw badRequest('telegram_id', 'give one of telegram_id, lead_number, ticket_id');
        const planned = await planFollowup(deps, request.actor, {
          client,
          kind,
          ...(b.psychologist_name ? { psychologistName: b.psychologist_name } : {}),
        });
        return {
          success: true as const,
          scheduled_at: planned.scheduledAt.toISOString(),
          job_id: planned.jobId,
        };
      },
    );
  }
}
