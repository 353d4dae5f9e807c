// Operator routes for slots: bulk load, delete a free one, list with state and session.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { addSlots } from '../../../commands/add-slots.ts';
import { deleteSlot } from '../../../commands/delete-slot.ts';
import { SLOT_STATES } from '../../../domain/vocabulary.ts';
import { badRequest, notFound } from '../../../errors.ts';
import { psychologistsRepository } from '../../../repositories/psychologists.repository.ts';
import { slotsRepository } from '../../../repositories/slots.repository.ts';
import { Enum, Nullable, Text, Uuid, Ymd } from '../../schemas.ts';
import { dayBound } from './query.ts';
import { SlotTimes, slotTimes } from './presenters.ts';
import { MAX_SLOTS } from '../../../domain/limits.ts';

const SlotOut = Type.Object({
  id: Type.String(),
  psychologist_id: Type.String(),
  psychologist: Type.String(),
  ...SlotTimes,
  duration_minutes: Type.Integer(),
  price: Nullable(Type.Integer()),
  state: Type.String(),
  session: Nullable(Type.Object({ id: Type.String(), status: Type.String(), ticket_id: Type.String() })),
});

export async function slotRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/admin/slots',
    {
      schema: {
        summary: "Add a psychologist's slots; a time they already have is skipped",
        body: Type.Object(
          {
            psychologist_id: Type.Optional(Uuid),
            psychologist: Type.Optional(Text(200)),
            slots: Type.Array(Type.String({ minLength: 4, maxLength: 40 }), { minItems: 1, maxItems: 5000 }),
            duration_minutes: Type.Optional(Type.Integer({ minimum: 10, maximum: 600 })),
            price: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            created: Type.Array(Type.Object({ id: Type.String(), ...SlotTimes }), { maxItems: MAX_SLOTS }),
            skipped: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const psychologist = body.psychologist_id ?? body.psychologist;
      if (!psychologist) throw badRequest('psychologist_id', 'give psychologist_id or psychologist (name)');
      const { created, skipped } = await addSlots(deps, request.actor, {
        psychologist,
        slots: body.slots,
        ...(body.duration_minutes !== undefined ? { durationMinutes: body.duration_minutes } : {}),
        ...(body.price !== undefined ? { price: body.price } : {}),
      });
      return {
        success: true as const,
        created: created.map((s) => ({ id: s.id, ...slotTimes(s.start_at) })),
        skipped,
      };
    },
  );

  app.delete(
    '/admin/slots/:id',
    {
      schema: {
        summary: 'Delete a free slot (409 when booked or when it has sessions in its history)',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Object({ success: Type.Literal(true) }) },
      },
    },
    async (request) => {
      await deleteSlot(deps, request.actor, { slotId: request.params.id });
      return { success: true as const };
    },
  );

  app.get(
    '/admin/slots',
    {
      schema: {
        summary: 'Slots by time, with their state and active session',
        querystring: Type.Object({
          psychologist: Type.Optional(Text(200)),
          from: Type.Optional(Ymd),
          to: Type.Optional(Ymd),
          state: Type.Optional(Enum(SLOT_STATES)),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SLOTS })),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            slots: Type.Array(SlotOut, { maxItems: MAX_SLOTS }),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      let psychologistId: string | undefined;
      if (q.psychologist) {
        const p = await psychologistsRepository.findByIdOrName(deps.db, q.psychologist);
        if (!p) throw notFound('psychologist');
        psychologistId = p.id;
      }
      const from = dayBound(q.from, 'from');
      const to = dayBound(q.to, 'to', true);
      const rows = await slotsRepository.listForAdmin(deps.db, {
        ...(psychologistId ? { psychologistId } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.state ? { state: q.state } : {}),
        limit: q.limit ?? 1000,
      });
      return {
        success: true as const,
        slots: rows.map((s) => ({
          id: s.id,
          psychologist_id: s.psychologist_id,
          psychologist: s.psychologist,
          ...slotTimes(s.start_at),
          duration_minutes: s.duration_minutes,
          price: s.price,
          state: s.state,
          session:
            s.session_id && s.session_status && s.session_ticket_id
              ? { id: s.session_id, status: s.session_status, ticket_id: s.session_ticket_id }
              : null,
        })),
      };
    },
  );
}
