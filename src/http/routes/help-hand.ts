// The helping hand's confirm page (/help_hand_confirm, web-form.md A and C.2): may it offer times, the
// allotted psychologist's free times, and booking one. Public: the page's only credential is the personal
// link's `ticket_id` (help-hand.ts), so every answer is no-store (app.ts) and request lines log no query.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bookHelpHandSlot, checkAllotment, helpHandSchedule } from '../../commands/help-hand.ts';
import { FORM_ID, formOffsetHours, formText, formTexts } from '../../domain/web-form.ts';
import { badRequest } from '../../errors.ts';
import { Loose, Nullable, rateLimited, Text, Ymd } from '../schemas.ts';
import { Anything, FormId, ScheduleAnswerSchema, sendSchedule } from './web-forms.ts';

const REASON = 'not_help_hand | closed | no_psychologist | already_booked';

const Allotment = Type.Object({
  success: Type.Literal(true),
  is_allowed: Type.Boolean(),
  reason: Nullable(Type.String({ description: REASON })),
  psychologist: Nullable(Type.String({ description: 'the allotted psychologist, as in /cards' })),
});

const Booking = Type.Object({
  success: Type.Literal(true),
  ticket_id: Type.String(),
  form_ticket_id: Nullable(Type.String()),
  booked: Type.Literal(true),
  session: Type.Object({
    date: Type.String({ description: 'DD.MM, Moscow' }),
    time: Type.String({ description: 'HH:mm, Moscow' }),
    psychologist: Type.String(),
    slot_id: Type.String(),
  }),
  bot_link: Nullable(Type.String()),
});

/**
 * The page reads check-allotment's body whatever its status and takes a missing `is_allowed` for "allowed":
 * every refusal of that route (a 400, a 429 too) says `is_allowed: false`.
 */
async function refusalsSayNotAllowed(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
  try {
    const body: unknown = JSON.parse(payload);
    if (body && typeof body === 'object' && !('is_allowed' in body))
      return JSON.stringify({ ...body, is_allowed: false });
  } catch {
    // Not JSON: left as it is.
  }
  return payload;
}

/** The ticket_id of a body: top level, else the page's `form.ticket_id`. */
function ticketIdOf(body: { ticket_id?: string; form?: { ticket_id?: unknown } }): string {
  const nested = body.form?.ticket_id;
  const id = body.ticket_id ?? (typeof nested === 'string' && FORM_ID.test(nested) ? nested : undefined);
  if (!id) throw badRequest('ticket_id', 'is required: the ticket_id of the confirm link');
  return id;
}

export async function helpHandRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;
  const tags = ['web forms'];

  app.get(
    '/check-allotment-for-slot-confirmation',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      onSend: refusalsSayNotAllowed,
      schema: {
        tags,
        summary: 'May the helping-hand confirm page offer times for this link (is_allowed on every answer)',
        querystring: Type.Object({ ticket_id: Type.Optional(FormId) }),
        response: { 200: Allotment },
      },
    },
    async (request) => checkAllotment(deps, request.actor, { ticketId: request.query.ticket_id }),
  );

  app.post(
    '/get-agregated-schedule-helpful-hand',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: "The allotted psychologist's free times from a day ahead (only when the link allows it)",
        body: Loose({
          ticket_id: Type.Optional(FormId),
          utm_psy: Type.Optional(Text(200)),
          startDate: Type.Optional(Ymd),
          endDate: Type.Optional(Ymd),
          userTimeOffsetMsk: Anything,
          form: Type.Optional(Loose({ ticket_id: Anything })),
        }),
        response: { 200: ScheduleAnswerSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const answer = await helpHandSchedule(deps, request.actor, {
        ticketId: ticketIdOf(body),
        ...(body.utm_psy ? { utmPsy: body.utm_psy } : {}),
        ...(body.startDate ? { startDate: body.startDate } : {}),
        ...(body.endDate ? { endDate: body.endDate } : {}),
        offsetHours: formOffsetHours(body.userTimeOffsetMsk),
      });
      return sendSchedule(reply, request.headers['accept-encoding'], answer);
    },
  );

  app.post(
    '/helpful-hand-zayavka-new',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags,
        summary: "Book the chosen time of the allotted psychologist for the link's ticket",
        description:
          'slots_objects[0] is the slot id; without it utm_psy + slots[0] ("d.M HH:mm", Moscow). The same ' +
          'slot again answers the first booking; 409 already_booked, 409 slot_taken, 403 not allowed.',
        body: Loose({
          ticket_id: Type.Optional(FormId),
          utm_psy: Type.Optional(Text(200)),
          slots_objects: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50 })),
          slots: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50 })),
        }),
        response: { 200: Booking },
      },
    },
    async (request) => {
      const body = request.body;
      const slotId = formTexts(body.slots_objects)[0];
      const slotText = formText(formTexts(body.slots)[0]);
      return bookHelpHandSlot(deps, request.actor, {
        ticketId: ticketIdOf(body),
        ...(body.utm_psy ? { utmPsy: body.utm_psy } : {}),
        ...(slotId ? { slotId } : {}),
        ...(slotText ? { slotText } : {}),
      });
    },
  );
}
