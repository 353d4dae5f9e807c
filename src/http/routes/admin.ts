// The operator API (spec/admin-api.md): psychologists, slots, tickets, sessions, clients, outbox.
// Every route needs the service key. Tests and benchmarks set up their data through these routes.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { bookSlotFor } from '../../commands/book-slot.ts';
import { setSessionStatus } from '../../commands/set-session-status.ts';
import { inTransaction } from '../../commands/transaction.ts';
import type { PsychologistUpdate } from '../../db/types.ts';
import type { OutboxStatus, TicketStatus, TicketType } from '../../domain/vocabulary.ts';
import { normalizeName, tidyName } from '../../domain/names.ts';
import { DAY_MS, formatDate, formatTime, parseSlotTime, parseYmd } from '../../domain/time.ts';
import { clientsRepository } from '../../repositories/clients.repository.ts';
import { outboxRepository } from '../../repositories/outbox.repository.ts';
import { psychologistsRepository } from '../../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../../repositories/sessions.repository.ts';
import { slotsRepository } from '../../repositories/slots.repository.ts';
import { analyzeHotTables } from '../../db/database.ts';
import { formsRepository } from '../../repositories/forms.repository.ts';
import { ticketsRepository } from '../../repositories/tickets.repository.ts';
import { badRequest, conflict, notFound } from '../../errors.ts';
import { Text, TicketId, Uuid, Ymd, Enum } from '../schemas.ts';
import { profileFields } from '../psychologist-profile.ts';

const Sex = Enum(['male', 'female']);
const Price = Type.Integer({ minimum: 0, maximum: 10_000_000 });
const psychologistFields = {
  telegram_id: Type.Optional(Type.String({ pattern: '^-?\\d{1,20}$' })),
  telegram_username: Type.Optional(Type.String({ pattern: '^@?[A-Za-z][A-Za-z0-9_]{3,31}$' })),
  queries: Type.Optional(Type.Array(Text(200), { maxItems: 100 })),
  works_with: Type.Optional(Type.Array(Text(200), { maxItems: 100 })),
  description: Type.Optional(Text(5000)),
  experience_years: Type.Optional(Type.Integer({ minimum: 0, maximum: 80 })),
  link_photo: Type.Optional(Text(2000)),
  link_video: Type.Optional(Text(2000)),
  help_hand: Type.Optional(Type.Boolean()),
  debt: Type.Optional(Type.Integer({ minimum: -100_000, maximum: 100_000 })),
  is_active: Type.Optional(Type.Boolean()),
  zoom_account: Type.Optional(Text(200)),
  ...profileFields,
};
const TicketStatusSchema = Enum(['new', 'matched', 'booked', 'closed', 'cancelled']);
const service = { access: 'service' as const };
const security: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }];

type PsychologistBody = Partial<{
  name: string;
  sex: 'male' | 'female';
  telegram_id: string;
  telegram_username: string;
  min_price: number;
  max_price: number;
  queries: string[];
  works_with: string[];
  description: string;
  experience_years: number;
  link_photo: string;
  link_video: string;
  help_hand: boolean;
  debt: number;
  is_active: boolean;
  zoom_account: string;
}>;

function psychologistValues(body: PsychologistBody): PsychologistUpdate {
  const values: PsychologistUpdate = { ...body };
  if (body.name !== undefined) {
    values.name = tidyName(body.name);
    values.name_normalized = normalizeName(body.name);
  }
  if (body.telegram_username !== undefined)
    values.telegram_username = body.telegram_username.replace(/^@/, '');
  return values;
}

function encodeCursor(createdAt: Date, ticketId: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${ticketId}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; ticketId: string } {
  const [iso, ticketId] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!ticketId || Number.isNaN(createdAt.getTime()))
    throw badRequest('cursor', 'is not a cursor this API returned');
  return { createdAt, ticketId };
}

function dayBound(value: string | undefined, field: string, endOfDay = false): Date | undefined {
  if (!value) return undefined;
  const day = parseYmd(value);
  if (!day) throw badRequest(field, 'must be a real date YYYY-MM-DD');
  return endOfDay ? new Date(day.getTime() + DAY_MS) : day;
}

/** Slot inserts from this many rows on are followed by ANALYZE on the embedded database. */
const BULK_ANALYZE_ROWS = 100;

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const { deps } = app;

  app.post(
    '/admin/psychologists',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        body: Type.Object(
          { name: Text(200), sex: Sex, min_price: Price, max_price: Price, ...psychologistFields },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const body = request.body as PsychologistBody & { name: string; sex: 'male' | 'female' };
      if ((body.min_price ?? 0) > (body.max_price ?? 0))
        throw badRequest('max_price', 'must not be below min_price');
      const values = psychologistValues(body);
      const created = await psychologistsRepository.insert(deps.db, {
        ...values,
        name: values.name as string,
        name_normalized: values.name_normalized as string,
        sex: body.sex,
      });
      if (!created) throw conflict('duplicate_name', `психолог с именем «${tidyName(body.name)}» уже есть`);
      reply.status(201);
      return { success: true, psychologist: created };
    },
  );

  app.get(
    '/admin/psychologists',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        querystring: Type.Object({ active: Type.Optional(Type.Boolean()) }),
      },
    },
    async (request) => {
      const { active } = request.query as { active?: boolean };
      return { success: true, psychologists: await psychologistsRepository.list(deps.db, active === true) };
    },
  );

  app.patch(
    '/admin/psychologists/:id',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          {
            name: Type.Optional(Text(200)),
            sex: Type.Optional(Sex),
            min_price: Type.Optional(Price),
            max_price: Type.Optional(Price),
            ...psychologistFields,
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as PsychologistBody;
      const existing = await psychologistsRepository.findById(deps.db, id);
      if (!existing) throw notFound('psychologist');
      if ((body.min_price ?? existing.min_price) > (body.max_price ?? existing.max_price)) {
        throw badRequest('max_price', 'must not be below min_price');
      }
      if (body.name !== undefined) {
        const other = await psychologistsRepository.findByName(deps.db, body.name);
        if (other && other.id !== id)
          throw conflict('duplicate_name', `психолог с именем «${tidyName(body.name)}» уже есть`);
      }
      const updated = await psychologistsRepository.update(deps.db, id, psychologistValues(body));
      deps.listings.invalidate();
      return { success: true, psychologist: updated };
    },
  );

  app.post(
    '/admin/slots',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        body: Type.Object(
          {
            psychologist_id: Type.Optional(Uuid),
            psychologist: Type.Optional(Text(200)),
            slots: Type.Array(Type.String({ minLength: 4, maxLength: 40 }), { minItems: 1, maxItems: 5000 }),
            duration_minutes: Type.Optional(Type.Integer({ minimum: 10, maximum: 600 })),
            price: Type.Optional(Price),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const body = request.body as {
        psychologist_id?: string;
        psychologist?: string;
        slots: string[];
        duration_minutes?: number;
        price?: number;
      };
      const key = body.psychologist_id ?? body.psychologist;
      if (!key) throw badRequest('psychologist_id', 'give psychologist_id or psychologist (name)');
      const psychologist = await psychologistsRepository.findByIdOrName(deps.db, key);
      if (!psychologist) throw notFound('psychologist');
      const now = deps.clock.now();
      const starts = new Map<number, Date>();
      body.slots.forEach((text, index) => {
        const at = parseSlotTime(text, now);
        if (!at)
          throw badRequest(
            `slots.${index}`,
            'must be a time like "05.12 14:00", "2026-12-05 14:00" or ISO-8601',
          );
        starts.set(at.getTime(), at);
      });
      const created = await slotsRepository.addMany(
        deps.db,
        psychologist.id,
        [...starts.values()],
        body.duration_minutes ?? 60,
        body.price ?? null,
      );
      // PGlite has no autovacuum: a bulk load would leave the planner without statistics (seen: a listing
      // by name walking every free slot). PostgreSQL's autovacuum catches up by itself.
      if (deps.database.kind === 'pglite' && created.length >= BULK_ANALYZE_ROWS)
        await analyzeHotTables(deps.db);
      deps.listings.invalidate();
      return {
        success: true,
        created: created
          .sort((a, b) => a.start_at.getTime() - b.start_at.getTime())
          .map((s) => ({
            id: s.id,
            start_iso: s.start_at.toISOString(),
            date: formatDate(s.start_at),
            time: formatTime(s.start_at),
          })),
        skipped: body.slots.length - created.length,
      };
    },
  );

  app.delete(
    '/admin/slots/:id',
    { config: service, schema: { tags: ['admin'], security, params: Type.Object({ id: Uuid }) } },
    async (request) => {
      const { id } = request.params as { id: string };
      const outcome = await inTransaction(deps, (trx) => slotsRepository.deleteFree(trx, id));
      if (outcome === 'missing') throw notFound('slot');
      if (outcome === 'booked') throw conflict('slot_booked', 'слот забронирован: сначала отмените сессию');
      if (outcome === 'has_history')
        throw conflict('slot_has_history', 'на слоте были сессии: его нельзя удалить, только оставить');
      return { success: true };
    },
  );

  app.get(
    '/admin/slots',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        querystring: Type.Object({
          psychologist: Type.Optional(Text(200)),
          from: Type.Optional(Ymd),
          to: Type.Optional(Ymd),
          state: Type.Optional(Enum(['free', 'booked'])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
        }),
      },
    },
    async (request) => {
      const q = request.query as {
        psychologist?: string;
        from?: string;
        to?: string;
        state?: 'free' | 'booked';
        limit?: number;
      };
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
        success: true,
        slots: rows.map((s) => ({
          id: s.id,
          psychologist_id: s.psychologist_id,
          psychologist: s.psychologist,
          start_iso: s.start_at.toISOString(),
          date: formatDate(s.start_at),
          time: formatTime(s.start_at),
          duration_minutes: s.duration_minutes,
          price: s.price,
          state: s.state,
          session: s.session_id
            ? { id: s.session_id, status: s.session_status, ticket_id: s.session_ticket_id }
            : null,
        })),
      };
    },
  );

  app.get(
    '/admin/tickets',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        querystring: Type.Object({
          status: Type.Optional(TicketStatusSchema),
          type: Type.Optional(Enum(['application', 'diagnostic', 'help_hand', 'reassignment'])),
          from: Type.Optional(Ymd),
          to: Type.Optional(Ymd),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
      },
    },
    async (request) => {
      const q = request.query as {
        status?: TicketStatus;
        type?: TicketType;
        from?: string;
        to?: string;
        limit?: number;
        cursor?: string;
      };
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
        success: true,
        tickets: page,
        next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.ticket_id) : null,
      };
    },
  );

  app.get(
    '/admin/tickets/:ticket_id',
    { config: service, schema: { tags: ['admin'], security, params: Type.Object({ ticket_id: TicketId }) } },
    async (request) => {
      const { ticket_id } = request.params as { ticket_id: string };
      const ticket = await ticketsRepository.find(deps.db, ticket_id);
      if (!ticket) throw notFound('ticket');
      const [client, sessions, tracking, outbox] = await Promise.all([
        clientsRepository.findById(deps.db, ticket.client_id),
        sessionsRepository.ofTicket(deps.db, ticket.ticket_id),
        formsRepository.trackingSteps(deps.db, [
          ticket.ticket_id,
          ...(ticket.form_ticket_id ? [ticket.form_ticket_id] : []),
        ]),
        outboxRepository.list(deps.db, { ticketId: ticket.ticket_id, limit: 200 }),
      ]);
      return { success: true, ticket, client, sessions, tracking, messages: outbox };
    },
  );

  app.patch(
    '/admin/tickets/:ticket_id',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        params: Type.Object({ ticket_id: TicketId }),
        body: Type.Object(
          {
            status: Type.Optional(Enum(['new', 'matched', 'closed', 'cancelled'])),
            psychologist: Type.Optional(Text(200)),
            note: Type.Optional(Text(5000)),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => {
      const { ticket_id } = request.params as { ticket_id: string };
      const body = request.body as { status?: TicketStatus; psychologist?: string; note?: string };
      const updated = await inTransaction(deps, async (trx) => {
        const ticket = await ticketsRepository.lock(trx, ticket_id);
        if (!ticket) throw notFound('ticket');
        let psychologistId: string | undefined;
        if (body.psychologist) {
          const p = await psychologistsRepository.findByIdOrName(trx, body.psychologist);
          if (!p) throw notFound('psychologist');
          psychologistId = p.id;
        }
        if (body.status && body.status !== ticket.status) {
          const active = await sessionsRepository.activeOfTicket(trx, ticket.ticket_id);
          if (active) {
            throw conflict(
              'ticket_has_active_session',
              `заявка в статусе ${ticket.status} с активной сессией: сначала отмените сессию`,
            );
          }
        }
        return ticketsRepository.update(
          trx,
          ticket.ticket_id,
          {
            ...(body.status ? { status: body.status } : {}),
            ...(psychologistId
              ? {
                  psychologist_id: psychologistId,
                  matched_psychologists: ticket.matched_psychologists.includes(psychologistId)
                    ? ticket.matched_psychologists
                    : [...ticket.matched_psychologists, psychologistId],
                  ...(!body.status && ticket.status === 'new' ? { status: 'matched' as const } : {}),
                }
              : {}),
            ...(body.note !== undefined ? { note: body.note } : {}),
          },
          deps.clock.now(),
        );
      });
      return { success: true, ticket: updated };
    },
  );

  app.post(
    '/admin/sessions',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        body: Type.Object(
          {
            slot_id: Uuid,
            lead_number: Text(64),
            ticket_id: Type.Optional(TicketId),
            kind: Type.Optional(Enum(['diagnostic', 'regular'])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const body = request.body as {
        slot_id: string;
        lead_number: string;
        ticket_id?: string;
        kind?: 'diagnostic' | 'regular';
      };
      const client = await clientsRepository.findByLeadOrId(deps.db, body.lead_number);
      if (!client) throw notFound('client', 'лид не найден');
      const { session, ticket } = await bookSlotFor(deps, request.actor, {
        slotId: body.slot_id,
        clientId: client.id,
        ...(body.ticket_id ? { ticketId: body.ticket_id } : {}),
        kind: body.kind ?? 'diagnostic',
        ignoreLeadTime: true,
      });
      reply.status(201);
      return { success: true, ticket_id: ticket.ticket_id, session };
    },
  );

  app.post(
    '/admin/sessions/:id/status',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          {
            status: Enum(['completed', 'missed', 'cancelled']),
            reason: Type.Optional(Text(1000)),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as { status: 'completed' | 'missed' | 'cancelled'; reason?: string };
      const session = await setSessionStatus(deps, request.actor, {
        sessionId: id,
        status: body.status,
        reason: body.reason ?? null,
      });
      return { success: true, session };
    },
  );

  app.get(
    '/admin/clients/:lead_number',
    {
      config: service,
      schema: { tags: ['admin'], security, params: Type.Object({ lead_number: Text(64) }) },
    },
    async (request) => {
      const { lead_number } = request.params as { lead_number: string };
      const client = await clientsRepository.findByLeadOrId(deps.db, lead_number);
      if (!client) throw notFound('client');
      const [tickets, sessions, questionnaires, outbox] = await Promise.all([
        ticketsRepository.ofClient(deps.db, client.id),
        sessionsRepository.historyOfClient(deps.db, client.id),
        formsRepository.questionnairesOfClient(deps.db, client.id),
        outboxRepository.list(deps.db, { clientId: client.id, limit: 200 }),
      ]);
      return { success: true, client, tickets, sessions, questionnaires, messages: outbox };
    },
  );

  app.get(
    '/admin/outbox',
    {
      config: service,
      schema: {
        tags: ['admin'],
        security,
        querystring: Type.Object({
          chat_id: Type.Optional(Text(64)),
          status: Type.Optional(Enum(['pending', 'sent', 'failed', 'skipped'])),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
      },
    },
    async (request) => {
      const q = request.query as { chat_id?: string; status?: OutboxStatus; since?: string; limit?: number };
      const messages = await outboxRepository.list(deps.db, {
        ...(q.chat_id ? { chatId: q.chat_id } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.since ? { since: new Date(q.since) } : {}),
        limit: q.limit ?? 100,
      });
      return { success: true, messages };
    },
  );
}
