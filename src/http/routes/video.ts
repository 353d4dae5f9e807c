// Video meetings (endpoints.md): the link of a session, made on demand by the same provider chain the
// booking uses, or a free-standing link for a time.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { generateConferenceLink } from '../../commands/generate-conference-link.ts';
import { PLATFORMS } from '../../integrations/video.ts';
import { Enum, Nullable, parseTimeField, SlotTime, Text, TicketId, Uuid } from '../schemas.ts';

export async function videoRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/generate-conference-link',
    {
      config: { access: 'service' },
      schema: {
        tags: ['video'],
        summary:
          'The video link of a session (by session_id, ticket_id, or start + psychologist), made now if it has none; or a link for a bare time',
        body: Type.Object({
          session_id: Type.Optional(Uuid),
          ticket_id: Type.Optional(TicketId),
          start: Type.Optional(SlotTime),
          duration_minutes: Type.Optional(Type.Integer({ minimum: 15, maximum: 480, default: 60 })),
          psychologist: Type.Optional(Text(200)),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            link: Type.String(),
            platform: Enum(PLATFORMS),
            meeting_id: Type.String(),
            session_id: Nullable(Type.String({ description: 'the session the link is stored on' })),
          }),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const result = await generateConferenceLink(deps, request.actor, {
        ...(body.session_id ? { sessionId: body.session_id } : {}),
        ...(body.ticket_id ? { ticketId: body.ticket_id } : {}),
        ...(body.start ? { start: parseTimeField(body.start, 'start', deps.clock.now()) } : {}),
        ...(body.duration_minutes ? { durationMinutes: body.duration_minutes } : {}),
        ...(body.psychologist ? { psychologist: body.psychologist } : {}),
      });
      return {
        success: true as const,
        link: result.link,
        platform: result.platform,
        meeting_id: result.meetingId,
        session_id: result.sessionId,
      };
    },
  );
}
