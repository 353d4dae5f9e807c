// Sessions: free slots, booking a diagnostic session, and the client's confirm / cancel / reschedule.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bookSlotFor } from '../../commands/book-slot.ts';
import { cancelSession } from '../../commands/cancel-session.ts';
import { confirmSession } from '../../commands/confirm-session.ts';
import { rescheduleSession } from '../../commands/reschedule-session.ts';
import { contactShownTo } from '../../commands/shown-contact.ts';
import {
  slotTimeFields,
  clientOffsetMs,
  DAY_MS,
  formatDate,
  formatTime,
  moscowDayStart,
  parseYmd,
} from '../../domain/time.ts';
import { GENDER_VALUES, wantedSex } from '../../domain/matching.ts';
import { psychologistsRepository } from '../../repositories/psychologists.repository.ts';
import { slotsRepository, type FreeSlotRow } from '../../repositories/slots.repository.ts';
import { normalizeName } from '../../domain/names.ts';
import { badRequest, notFound } from '../../errors.ts';
import {
  Nullable,
  Offset,
  Ok,
  parseTimeField,
  rateLimited,
  SlotTime,
  Text,
  TicketId,
  Uuid,
  Warning,
  Ymd,
  Enum,
} from '../schemas.ts';
import { MAX_SLOTS } from '../../domain/limits.ts';

const SlotOut = Type.Object({
  id: Type.String(),
  date: Type.String(),
  time: Type.String(),
  start_iso: Type.String(),
  psychologist: Type.String(),
  psychologist_id: Type.String(),
  price: Type.Number(),
  duration_minutes: Type.Integer(),
  local_date: Type.Optional(Type.String()),
  local_time: Type.Optional(Type.String()),
});

/**
 * The listing's answer. The handler sends the JSON bytes the listing cache holds (a Buffer, which Fastify
 * sends as it is); the schema says what those bytes are.
 */
const SlotListing = Type.Unsafe<Buffer>(
  Type.Object({
    success: Type.Literal(true),
    slots: Type.Array(SlotOut, { maxItems: MAX_SLOTS, description: `the first ${MAX_SLOTS} by time` }),
  }),
);

/** The warning of a client's booking that sent payment_info (README, Access: only operators record payments). */
const PAYMENT_NOT_RECORDED = {
  field: 'payment_info',
  code: 'payment_not_recorded',
  message: 'payment_info is recorded by operators only (service key); this booking holds no payment',
};

const EMPTY_LISTING = Buffer.from('{"success":true,"slots":[]}');

/** One slot of GET /get-available-slots, with the client's local time when an offset was given. */
function listedSlot(s: FreeSlotRow, localOffsetMs: number | undefined) {
  const times = slotTimeFields(s.start_ms);
  const slot = {
    id: s.id,
    date: times.date,
    time: times.time,
    start_iso: times.start_iso,
    psychologist: s.psychologist,
    psychologist_id: s.psychologist_id,
    price: s.price ?? s.min_price,
    duration_minutes: s.duration_minutes,
  };
  if (localOffsetMs === undefined) return slot;
  const at = new Date(s.start_ms);
  return { ...slot, local_date: formatDate(at, localOffsetMs), local_time: formatTime(at, localOffsetMs) };
}

export async function sessionRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.get(
    '/get-available-slots',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags: ['sessions'],
        summary: 'Free slots, by time then psychologist',
        querystring: Type.Object({
          psychologist: Type.Optional(Text(200)),
          psychologist_id: Type.Optional(Uuid),
          from: Type.Optional(Ymd),
          to: Type.Optional(Ymd),
          userTimeOffsetMsk: Type.Optional(Offset),
          price_max: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000 })),
          gender: Type.Optional(Enum(GENDER_VALUES)),
          specializations: Type.Optional(Type.String({ maxLength: 2000 })),
        }),
        response: { 200: SlotListing },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const now = deps.clock.now();
      const from = q.from ? parseYmd(q.from) : moscowDayStart(now);
      if (!from) throw badRequest('from', 'must be a real date YYYY-MM-DD');
      const toDay = q.to ? parseYmd(q.to) : moscowDayStart(now, 28);
      if (!toDay) throw badRequest('to', 'must be a real date YYYY-MM-DD');
      if (toDay.getTime() < from.getTime()) throw badRequest('to', 'must not be before from');
      if (toDay.getTime() - from.getTime() > 366 * DAY_MS)
        throw badRequest('to', 'the range may span at most a year');
      if (q.psychologist_id && !(await psychologistsRepository.findById(deps.db, q.psychologist_id))) {
        throw notFound('psychologist', 'психолог не найден');
      }
      const earliest = new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
      const sex = wantedSex(q.gender);
      const local = q.userTimeOffsetMsk !== undefined ? clientOffsetMs(q.userTimeOffsetMsk) : undefined;
      const specializations = q.specializations
        ?.split(',')
        .map((x) => x.trim().toLowerCase())
        .filter(Boolean)
        .sort();
      const filter = {
        // The whole first day is loaded (and cached); slots before `earliest` are cut when answering.
        from,
        to: new Date(toDay.getTime() + DAY_MS),
        ...(q.psychologist_id ? { psychologistIds: [q.psychologist_id] } : {}),
        ...(q.psychologist ? { psychologistName: q.psychologist } : {}),
        ...(sex ? { sex } : {}),
        ...(q.price_max !== undefined ? { priceMax: q.price_max } : {}),
        ...(specializations?.length ? { specializations } : {}),
      };
      const key = JSON.stringify([
        from.getTime(),
        filter.to.getTime(),
        q.psychologist_id ?? null,
        q.psychologist ? normalizeName(q.psychologist) : null,
        sex ?? null,
        q.price_max ?? null,
        specializations ?? null,
        local ?? null,
      ]);
      const body = await deps.listings.body(key, earliest.getTime(), async () =>
        (await slotsRepository.listFree(deps.db, filter)).map((s) => ({
          startMs: s.start_ms,
          json: JSON.stringify(listedSlot(s, local)),
        })),
      );
      // An empty answer by name may mean an unknown name: only then is the name looked up.
      if (
        body.equals(EMPTY_LISTING) &&
        q.psychologist &&
        !(await psychologistsRepository.findByName(deps.db, q.psychologist))
      ) {
        throw notFound('psychologist', 'психолог не найден');
      }
      // The body is JSON bytes already (see ListingCache), sent as they are.
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.post(
    '/process-diagnostic-session-request',
    {
      config: { access: 'client' },
      schema: {
        tags: ['sessions'],
        summary: 'Book a slot as a diagnostic session with payment info',
        body: Type.Object(
          {
            client_id: Text(64),
            psychologist_id: Uuid,
            slot_id: Uuid,
            payment_info: Type.Object({
              amount: Type.Number({ minimum: 0, maximum: 10_000_000 }),
              status: Enum(['pending', 'completed']),
            }),
            ticket_id: Type.Optional(TicketId),
          },
          { additionalProperties: true },
        ),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            ticket_id: Type.String(),
            session: Type.Object({
              id: Type.String(),
              date: Type.String(),
              time: Type.String(),
              start_iso: Type.String(),
              psychologist: Nullable(Type.String()),
              client_name: Nullable(Type.String()),
              status: Type.String(),
              meeting_link: Nullable(Type.String()),
            }),
            warnings: Type.Optional(
              Type.Array(Warning, {
                maxItems: 10,
                description: 'parts of the request that were accepted but not recorded, and why',
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const body = request.body;
      // Only the service records payment_info; a client's booking leaves it to the operators.
      const { session, ticket, parties, paymentIgnored } = await bookSlotFor(deps, request.actor, {
        slotId: body.slot_id,
        clientLeadOrId: body.client_id,
        unknownClient: 'клиент не найден',
        psychologistId: body.psychologist_id,
        ...(body.ticket_id ? { ticketId: body.ticket_id } : {}),
        kind: 'diagnostic',
        payment: body.payment_info,
      });
      return {
        success: true as const,
        ticket_id: ticket.ticket_id,
        session: {
          id: session.id,
          date: formatDate(session.start_at),
          time: formatTime(session.start_at),
          start_iso: session.start_at.toISOString(),
          psychologist: parties.psychologist.name,
          // What this ticket's submission typed: a ticket token never reads the person's stored name.
          client_name: (await contactShownTo(deps.db, request.actor, ticket, parties.client)).name,
          status: session.status,
          meeting_link: session.meeting_link,
        },
        // Said rather than dropped silently: the caller would otherwise believe the payment was recorded.
        ...(paymentIgnored ? { warnings: [PAYMENT_NOT_RECORDED] } : {}),
      };
    },
  );

  app.post(
    '/confirm-session-by-client',
    {
      config: { access: 'client' },
      schema: {
        tags: ['sessions'],
        summary: 'The client confirms (or books and confirms) a session time',
        body: Type.Object({ ticket_id: TicketId, slot_time: SlotTime }, { additionalProperties: true }),
        response: { 200: Ok },
      },
    },
    async (request) => {
      const body = request.body;
      const at = parseTimeField(body.slot_time, 'slot_time', deps.clock.now());
      return {
        success: true as const,
        ...(await confirmSession(deps, request.actor, { ticketId: body.ticket_id, slotTime: at })),
      };
    },
  );

  app.post(
    '/cancel-session',
    {
      config: { access: 'client' },
      schema: {
        tags: ['sessions'],
        summary: "Cancel the ticket's active session",
        body: Type.Object(
          { ticket_id: TicketId, cancellation_reason: Text(1000) },
          { additionalProperties: true },
        ),
        response: { 200: Ok },
      },
    },
    async (request) => {
      const body = request.body;
      const reason = body.cancellation_reason.trim();
      return {
        success: true as const,
        ...(await cancelSession(deps, request.actor, { ticketId: body.ticket_id, reason })),
      };
    },
  );

  app.post(
    '/reschedule-session',
    {
      config: { access: 'client' },
      schema: {
        tags: ['sessions'],
        summary: "Move the ticket's active session to another free slot of the same psychologist",
        body: Type.Object({ ticket_id: TicketId, new_slot_time: SlotTime }, { additionalProperties: true }),
        response: { 200: Ok },
      },
    },
    async (request) => {
      const body = request.body;
      const at = parseTimeField(body.new_slot_time, 'new_slot_time', deps.clock.now());
      return {
        success: true as const,
        ...(await rescheduleSession(deps, request.actor, { ticketId: body.ticket_id, newStart: at })),
      };
    },
  );
}
