// Operator routes for tickets: the paged queue, one ticket with everything around it, and moving it.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ticketTracking } from '../../../commands/form-tracking.ts';

const FormRecordOut = Type.Object({
  tracking: Type.Array(
    Type.Object({
      form_type: Type.String(),
      current_step: Type.String(),
      offered_psychologists: Nullable(Type.Array(Type.String(), { maxItems: MAX_PAGE })),
      started_at: Iso,
      steps: Type.Array(Type.Object({ step: Type.String(), at: Iso }), { maxItems: MAX_PAGE }),
    }),
    { maxItems: MAX_PAGE },
  ),
  step_answers: Type.Array(Type.Object({ field: Type.String(), value: Type.Unknown(), updated_at: Iso }), {
    maxItems: MAX_PAGE,
  }),
  before_slots: Type.Unknown(),
  research_rows: Type.Array(
    Type.Object({ row: Type.Integer(), baserow_id: Type.Integer(), created_at: Iso }),
    { maxItems: MAX_PAGE },
  ),
});
import { moveTicket } from '../../../commands/move-ticket.ts';
import { TICKET_STATUSES, TICKET_TYPES } from '../../../domain/vocabulary.ts';
import { notFound } from '../../../errors.ts';
import { clientsRepository } from '../../../repositories/clients.repository.ts';
import { formsRepository } from '../../../repositories/forms.repository.ts';
import { outboxRepository } from '../../../repositories/outbox.repository.ts';
import { sessionsRepository } from '../../../repositories/sessions.repository.ts';
import { ticketsRepository } from '../../../repositories/tickets.repository.ts';
import { Enum, Iso, Nullable, Text, TicketOrFormId, Ymd } from '../../schemas.ts';
import { dayBound, decodeCursor, encodeCursor } from './query.ts';
import {
  ClientOut,
  OutboxMessageOut,
  presentClient,
  presentOutboxMessage,
  presentSession,
  presentTicket,
  SessionOut,
  TicketOut,
} from './presenters.ts';
import { MAX_PAGE } from '../../../domain/limits.ts';
import { MESSAGES_SHOWN } from '../../../commands/get-client-record.ts';

const TicketListItem = Type.Object({
  ticket_id: Type.String(),
  type: Type.String(),
  status: Type.String(),
  created_at: Iso,
  updated_at: Iso,
  form_ticket_id: Nullable(Type.String()),
  lead_number: Type.String(),
  client_name: Nullable(Type.String()),
  psychologist_name: Nullable(Type.String()),
});

const TrackingStep = Type.Object({ form_type: Type.String(), step: Type.String(), at: Iso });

export async function ticketRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.get(
    '/admin/tickets',
    {
      schema: {
        summary: 'Tickets, newest first, a page at a time (next_cursor until the end)',
        querystring: Type.Object({
          status: Type.Optional(Enum(TICKET_STATUSES)),
          type: Type.Optional(Enum(TICKET_TYPES)),
          from: Type.Optional(Ymd),
          to: Type.Optional(Ymd),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            tickets: Type.Array(TicketListItem, { maxItems: MAX_PAGE }),
            next_cursor: Nullable(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const from = dayBound(q.from, 'from');
      const to = dayBound(q.to, 'to', true);
      const rows = await ticketsRepository.list(deps.db, {
        ...(q.status ? { status: q.status } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.cursor ? { cursor: decodeCursor(q.cursor) } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        success: true as const,
        tickets: page.map((t) => ({
          ...t,
          created_at: t.created_at.toISOString(),
          updated_at: t.updated_at.toISOString(),
        })),
        next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.ticket_id) : null,
      };
    },
  );

  app.get(
    '/admin/tickets/:ticket_id',
    {
      schema: {
        summary: 'One ticket with its client, sessions, form tracking steps and messages',
        description: `The newest ${MAX_PAGE} sessions, tracking steps and form records, and ${MESSAGES_SHOWN} messages.`,
        params: Type.Object({ ticket_id: TicketOrFormId }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            ticket: TicketOut,
            client: ClientOut,
            sessions: Type.Array(SessionOut, { maxItems: MAX_PAGE }),
            tracking: Type.Array(TrackingStep, { maxItems: MAX_PAGE }),
            /** What the web form recorded: tracking records with their steps, step answers, research rows. */
            form: FormRecordOut,
            messages: Type.Array(OutboxMessageOut, { maxItems: MESSAGES_SHOWN }),
          }),
        },
      },
    },
    async (request) => {
      // web-form.md: wherever a ticket id is accepted, the form's own id finds the same ticket.
      const ticket = await ticketsRepository.findByRef(deps.db, request.params.ticket_id);
      if (!ticket) throw notFound('ticket');
      const [client, sessions, tracking, messages, form] = await Promise.all([
        clientsRepository.findById(deps.db, ticket.client_id),
        sessionsRepository.ofTicket(deps.db, ticket.ticket_id, MAX_PAGE),
        formsRepository.trackingSteps(
          deps.db,
          [ticket.ticket_id, ...(ticket.form_ticket_id ? [ticket.form_ticket_id] : [])],
          MAX_PAGE,
        ),
        outboxRepository.list(deps.db, { ticketId: ticket.ticket_id, limit: MESSAGES_SHOWN }),
        ticketTracking(deps, request.actor, { ticketRef: ticket.ticket_id }),
      ]);
      // The foreign key keeps every ticket's client.
      if (!client) throw notFound('client');
      return {
        success: true as const,
        ticket: presentTicket(ticket),
        client: presentClient(client),
        sessions: sessions.map(presentSession),
        tracking: tracking.map((s) => ({ form_type: s.form_type, step: s.step, at: s.at.toISOString() })),
        form: {
          tracking: form.tracking,
          step_answers: form.step_answers,
          before_slots: form.before_slots,
          research_rows: form.research_rows,
        },
        messages: messages.map(presentOutboxMessage),
      };
    },
  );

  app.patch(
    '/admin/tickets/:ticket_id',
    {
      schema: {
        summary:
          'Move a ticket (status) or choose its psychologist (name or id; on a helping-hand ticket, the allotment)',
        params: Type.Object({ ticket_id: TicketOrFormId }),
        body: Type.Object(
          {
            status: Type.Optional(Enum(['new', 'matched', 'closed', 'cancelled'])),
            psychologist: Type.Optional(Text(200)),
            note: Type.Optional(Text(5000)),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            ticket: TicketOut,
            confirm_url: Type.Optional(
              Type.String({
                description:
                  'a helping-hand allotment: the personal /help_hand_confirm link sent to the client (pass it on ' +
                  'yourself when they are not in the bot yet); allotting again replaces it',
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { ticket, confirmUrl } = await moveTicket(deps, request.actor, {
        ticketId: request.params.ticket_id,
        ...request.body,
      });
      return {
        success: true as const,
        ticket: presentTicket(ticket),
        ...(confirmUrl ? { confirm_url: confirmUrl } : {}),
      };
    },
  );
}
