// Operator routes of the psychologists' events calendar (spec/admin-api.md, web-form.md A "Operator
// side"): events, their registrations, and a psychologist's calendar token.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  cancelEvent,
  createEvent,
  eventRegistrations,
  listEvents,
  updateEvent,
} from '../../../commands/calendar-events.ts';
import { presentEvent } from '../../../commands/calendar.ts';
import { issueCalendarSecret } from '../../../commands/calendar-secret.ts';
import type { CalendarEvent } from '../../../db/types.ts';
import { EVENT_MODAL_TYPES } from '../../../domain/calendar.ts';
import { DAY_MS } from '../../../domain/time.ts';
import { MAX_PAGE } from '../../../domain/limits.ts';
import { Enum, Text, Uuid, Ymd } from '../../schemas.ts';
import { EventOut } from '../calendar.ts';
import { dayBound } from './query.ts';

const HttpLink = Type.String({
  maxLength: 2000,
  pattern: '^https?://[^\\s]+$',
  description: 'an http(s) URL',
});
const Time = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, Moscow' });

const eventFields = {
  title: Text(500),
  event_type: Text(200),
  event_modal_type: Enum(EVENT_MODAL_TYPES),
  description: Type.Optional(Type.String({ maxLength: 10_000, description: 'HTML; stored sanitized' })),
  organizator_type: Type.Optional(Text(200)),
  organizator_name: Type.Optional(Text(1000)),
  organizator_link: Type.Optional(HttpLink),
  max_participants: Type.Integer({ minimum: 1, maximum: 10_000 }),
  date: Ymd,
  time: Time,
  duration_minutes: Type.Optional(Type.Integer({ minimum: 10, maximum: 600 })),
  next_event: Type.Optional(Text(500)),
  is_published: Type.Optional(Type.Boolean()),
  event_link: Type.Optional(HttpLink),
  event_folder: Type.Optional(HttpLink),
  repeat_period: Type.Optional(Text(100)),
  last_planed_date: Type.Optional(Ymd),
  root_event: Type.Optional(Uuid),
  allow_connect: Type.Optional(Type.Boolean()),
};
const optional = Object.fromEntries(
  Object.entries(eventFields).map(([key, schema]) => [key, Type.Optional(schema)]),
) as { [K in keyof typeof eventFields]: ReturnType<typeof Type.Optional<(typeof eventFields)[K]>> };

/** An event as operators see it: every field, the links included. */
const AdminEvent = EventOut;
const present = (event: CalendarEvent) => presentEvent(event, { registered: false, organizer: true });
const OneEvent = Type.Object({ success: Type.Literal(true), event: AdminEvent });

export async function calendarAdminRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/admin/events',
    {
      schema: {
        summary: 'Create a calendar event (409 when one with this title is at this date and time)',
        body: Type.Object(eventFields, { additionalProperties: false }),
        response: { 201: OneEvent },
      },
    },
    async (request, reply) => {
      const event = await createEvent(deps, request.actor, request.body);
      reply.status(201);
      return { success: true as const, event: present(event) };
    },
  );

  app.get(
    '/admin/events',
    {
      schema: {
        summary: 'Events by time, cancelled and unpublished ones too (from today for 8 weeks by default)',
        querystring: Type.Object({ from: Type.Optional(Ymd), to: Type.Optional(Ymd) }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            events: Type.Array(AdminEvent, { maxItems: MAX_PAGE }),
          }),
        },
      },
    },
    async (request) => {
      const from = dayBound(request.query.from, 'from') ?? new Date(deps.clock.now().getTime() - DAY_MS);
      const to = dayBound(request.query.to, 'to', true) ?? new Date(from.getTime() + 57 * DAY_MS);
      const events = await listEvents(deps, request.actor, { from, to });
      return { success: true as const, events: events.map(present) };
    },
  );

  app.patch(
    '/admin/events/:id',
    {
      schema: {
        summary: 'Change an event (its time only while nobody is registered)',
        params: Type.Object({ id: Uuid }),
        body: Type.Object(optional, { additionalProperties: false, minProperties: 1 }),
        response: { 200: OneEvent },
      },
    },
    async (request) => {
      const event = await updateEvent(deps, request.actor, { id: request.params.id, changes: request.body });
      return { success: true as const, event: present(event) };
    },
  );

  app.delete(
    '/admin/events/:id',
    {
      schema: {
        summary: 'Cancel an event: registrations end, their slots are freed, the psychologists are told',
        params: Type.Object({ id: Uuid }),
        response: {
          200: Type.Object({ success: Type.Literal(true), event: AdminEvent, released: Type.Integer() }),
        },
      },
    },
    async (request) => {
      const { event, released } = await cancelEvent(deps, request.actor, request.params.id);
      return { success: true as const, event: present(event), released };
    },
  );

  app.get(
    '/admin/events/:id/registrations',
    {
      schema: {
        summary: 'The psychologists registered to an event, earliest first',
        params: Type.Object({ id: Uuid }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            event: AdminEvent,
            registrations: Type.Array(
              Type.Object({
                psychologist_id: Type.String(),
                psychologist: Type.String(),
                slot_id: Type.String(),
                registered_at: Type.String({ format: 'date-time' }),
              }),
              { maxItems: MAX_PAGE },
            ),
          }),
        },
      },
    },
    async (request) => {
      const { event, registrations } = await eventRegistrations(deps, request.actor, request.params.id);
      return { success: true as const, event: present(event), registrations };
    },
  );

  app.post(
    '/admin/psychologists/:id/calendar-secret',
    {
      schema: {
        summary: "Issue a psychologist's calendar token (the previous one stops working); shown once",
        description:
          'The token is stored only as its hash. With a Telegram id on file the bot sends the link to the ' +
          'psychologist (queued_for_telegram); otherwise the operator passes calendar_url on.',
        params: Type.Object({ id: Uuid }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            secret: Type.String(),
            calendar_url: Type.String(),
            queued_for_telegram: Type.Boolean(),
          }),
        },
      },
    },
    async (request) => issueCalendarSecret(deps, request.actor, request.params.id),
  );
}
