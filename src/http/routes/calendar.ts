// The psychologists' events calendar (/calendar?secret=, spec/web-form.md A and C.6): five public routes
// that a calendar token opens for its one psychologist. The token travels in the query (and in the join
// body): request log lines carry the path only, and every answer is no-store (the default of every
// route). Failed tokens are counted per address; past the limit, every token from there is refused for
// the rest of the minute, valid or not, so the refusal tells a guesser nothing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  calendarEvents,
  calendarPsychologist,
  calendarSlots,
  joinEvent,
  leaveEvent,
} from '../../commands/calendar.ts';
import { EVENT_MODAL_TYPES } from '../../domain/calendar.ts';
import { MAX_PAGE, MAX_SLOTS } from '../../domain/limits.ts';
import { AppError } from '../../errors.ts';
import { Nullable, rateLimited, Text, Uuid, Ymd } from '../schemas.ts';

const Secret = Type.Optional(
  // No length or pattern here: any string that is not a live token gets the one invalid_secret answer.
  Type.String({ description: "the psychologist's calendar token from their personal link" }),
);

export const EventOut = Type.Object({
  id: Type.String(),
  title: Type.String(),
  event_type: Type.String(),
  event_modal_type: Type.String({ enum: [...EVENT_MODAL_TYPES] }),
  description: Type.String({
    description: 'sanitized HTML: a (http/https), b, i, em, strong, br, p, ul, ol, li',
  }),
  organizator_type: Nullable(Type.String()),
  organizator_name: Nullable(Type.String({ description: '"Фамилия Имя", several comma-separated' })),
  organizator_link: Nullable(Type.String()),
  max_participants: Type.Integer(),
  current_participants: Type.Integer(),
  date: Type.String({ description: 'YYYY-MM-DD, Moscow' }),
  time: Type.String({ description: 'HH:MM, Moscow' }),
  duration_minutes: Type.Integer(),
  next_event: Nullable(Type.String({ description: 'the title of another listed event' })),
  is_canceled: Type.Boolean(),
  is_published: Type.Boolean(),
  event_link: Nullable(Type.String({ description: 'only for registered psychologists and organizers' })),
  event_folder: Nullable(Type.String({ description: 'only for registered psychologists and organizers' })),
  repeat_period: Nullable(Type.String()),
  last_planed_date: Nullable(Type.String()),
  root_event: Nullable(Type.String()),
  allow_connect: Type.Boolean(),
  is_registered: Type.Boolean(),
});

const CalendarSlot = Type.Object({
  id: Type.String(),
  status: Type.String({ description: '"Свободен" or "Забронирован"' }),
  event: Nullable(Type.String({ description: 'the title of the event this slot is registered to' })),
  event_modal_type: Nullable(Type.String()),
  slot_over_event: Type.Boolean({ description: "the slot's time overlaps a published, live event" }),
});

/** Failed tokens per address and minute (per instance, like every rate limit here). */
class FailedSecrets {
  private readonly counts = new Map<string, { failures: number; resetAt: number }>();
  private readonly max: number;
  private readonly now: () => number;

  constructor(max: number, now: () => number) {
    this.max = max;
    this.now = now;
  }

  /** Seconds until the address may try again, or 0. */
  blockedFor(ip: string): number {
    if (this.max <= 0) return 0;
    const entry = this.counts.get(ip);
    if (!entry || entry.resetAt <= this.now()) return 0;
    return entry.failures >= this.max ? Math.ceil((entry.resetAt - this.now()) / 1000) : 0;
  }

  fail(ip: string): void {
    if (this.max <= 0) return;
    const now = this.now();
    const entry = this.counts.get(ip);
    if (entry && entry.resetAt > now) entry.failures++;
    else {
      // Expired entries go when the map grows large: memory stays bounded under a spray of addresses.
      if (this.counts.size >= 50_000)
        for (const [key, value] of this.counts) if (value.resetAt <= now) this.counts.delete(key);
      if (this.counts.size < 50_000) this.counts.set(ip, { failures: 1, resetAt: now + 60_000 });
    }
  }
}

export async function calendarRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;
  const tags = ['calendar'];
  const failures = new FailedSecrets(deps.config.rateLimitSubmit, () => deps.clock.now().getTime());

  /** Runs a token's call, counting a refused token against the address. */
  async function withSecret<T>(request: FastifyRequest, action: () => Promise<T>): Promise<T> {
    const wait = failures.blockedFor(request.ip);
    if (wait > 0)
      throw new AppError('rate_limited', `too many invalid calendar links, try again in ${wait} s`, [], {
        'retry-after': String(wait),
      });
    try {
      return await action();
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_secret') failures.fail(request.ip);
      throw error;
    }
  }

  app.get(
    '/get-all-events',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary:
          'The published events of the current four weeks, for the token’s psychologist (a bare array)',
        description:
          'From the Sunday before the current Moscow week’s Monday to 35 days after that Monday. An empty, ' +
          'unknown or revoked token → 403 invalid_secret.',
        querystring: Type.Object({ secret: Secret }),
        response: { 200: Type.Array(EventOut, { maxItems: MAX_PAGE }) },
      },
    },
    async (request) => withSecret(request, () => calendarEvents(deps, request.query.secret)),
  );

  app.get(
    '/get-slot',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'The token’s psychologist’s own slots between two dates (inclusive, ≤ 62 days)',
        description:
          'A registration to an event is a booked slot at the event’s time carrying its title; client ' +
          'sessions are booked slots with event null and nothing about the client.',
        querystring: Type.Object({ startDate: Ymd, endDate: Ymd, secret: Secret }),
        response: {
          200: Type.Array(
            Type.Object({
              date: Type.String(),
              items: Type.Array(
                Type.Object({
                  date: Type.String(),
                  pretty_date: Type.String(),
                  day_name: Type.String(),
                  slots: Type.Record(Type.String(), Type.Array(CalendarSlot, { maxItems: MAX_SLOTS })),
                }),
                { maxItems: 63 },
              ),
            }),
            { maxItems: 1 },
          ),
        },
      },
    },
    async (request) =>
      withSecret(request, () =>
        calendarSlots(deps, {
          ...(request.query.secret !== undefined ? { secret: request.query.secret } : {}),
          startDate: request.query.startDate,
          endDate: request.query.endDate,
        }),
      ),
  );

  app.get(
    '/get-psycho',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'The token’s psychologist, by name as /cards names them',
        querystring: Type.Object({ secret: Secret }),
        response: { 200: Type.Array(Type.Object({ psychologist: Type.String() }), { maxItems: 1 }) },
      },
    },
    async (request) => withSecret(request, () => calendarPsychologist(deps, request.query.secret)),
  );

  app.post(
    '/join-to-event',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'Register the token’s psychologist to an event named by date, time and title',
        description:
          'Holds a booked slot of theirs at the event’s time. Again → the same id. Full, cancelled or ' +
          'started event → 409; a client session then → 409 slot_busy; unknown event → 404; bad token → 403.',
        body: Type.Object({
          secret: Secret,
          date: Ymd,
          time: Type.String({ pattern: '^\\s*([01]\\d|2[0-3]):[0-5]\\d\\s*$', description: 'HH:MM, Moscow' }),
          event: Text(500),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            id: Type.String({ description: 'the slot holding the registration (cancel-slot takes it)' }),
          }),
        },
      },
    },
    async (request) =>
      withSecret(request, () =>
        joinEvent(deps, {
          ...(request.body.secret !== undefined ? { secret: request.body.secret } : {}),
          date: request.body.date,
          time: request.body.time,
          title: request.body.event,
        }),
      ),
  );

  app.get(
    '/cancel-slot',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'Leave the event the token’s psychologist’s slot holds (a GET that changes state)',
        description:
          'Frees the slot (removes it when it existed only for the event). Already left → 200; another ' +
          'psychologist’s slot → 403; a slot holding a client session or a started event → 409.',
        querystring: Type.Object({ slot: Uuid, secret: Secret }),
        response: { 200: Type.Object({ success: Type.Literal(true) }) },
      },
    },
    async (request) =>
      withSecret(request, () =>
        leaveEvent(deps, {
          ...(request.query.secret !== undefined ? { secret: request.query.secret } : {}),
          slotId: request.query.slot,
        }),
      ),
  );
}
