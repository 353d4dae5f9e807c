// Schedules, statistics, reassignment and the post-session questionnaire.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { submitQuestionnaire } from '../../commands/client-questionnaire.ts';
import { reassign, reassignmentInfo, reassignmentSchedule } from '../../commands/reassignment.ts';
import { assignmentCoefficient, scheduleMessages } from '../../commands/schedules.ts';
import { formatDateTime } from '../../domain/time.ts';
import { badRequest } from '../../errors.ts';
import { TicketRecord, ticketRecord } from '../presenters.ts';
import { Enum, Iso, Loose, Nullable, Offset, rateLimited, Text } from '../schemas.ts';
import { TelegramId } from './profile.ts';
import { MAX_PAGE, MAX_SLOTS } from '../../domain/limits.ts';

const LeadNumber = Type.String({ pattern: '^[A-Za-z]{2}\\d{4}$', description: 'lead number, e.g. br0722' });
const splitBy = (separator: RegExp) => (value: string) =>
  value
    .split(separator)
    .map((part) => part.trim())
    .filter(Boolean);

export async function reassignmentRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.get(
    '/get-schedule',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags: ['schedule'],
        summary: "A psychologist's four weekly schedule messages (free and booked times)",
        querystring: Type.Object({ psychologist: Text(200) }),
        response: {
          200: Type.Array(Type.Object({ res: Type.Array(Type.String(), { maxItems: 4 }) }), { maxItems: 1 }),
        },
      },
    },
    async (request) => [
      { res: await scheduleMessages(deps, request.actor, { psychologistName: request.query.psychologist }) },
    ],
  );

  app.get(
    '/get-assigment-coeff',
    {
      config: { access: 'service' },
      schema: {
        tags: ['statistics'],
        summary: 'debt − clients provided − sessions booked after today until the month’s end (Moscow)',
        querystring: Type.Object({ psychologist_name: Text(200) }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            psychologist: Type.String(),
            coefficient: Type.Integer(),
            debt: Type.Integer(),
            number_of_clients_provided: Type.Integer(),
            assigned_until_month_end: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const c = await assignmentCoefficient(deps, request.actor, {
        psychologistName: request.query.psychologist_name,
      });
      return {
        success: true as const,
        psychologist: c.psychologist,
        coefficient: c.coefficient,
        debt: c.debt,
        number_of_clients_provided: c.clientsProvided,
        assigned_until_month_end: c.assigned,
      };
    },
  );

  app.post(
    '/reassign',
    {
      config: { access: 'service' },
      schema: {
        tags: ['reassignment'],
        summary: 'A reassignment ticket offering other psychologists and times',
        body: Type.Object({
          lead_number: LeadNumber,
          filtered_psychologists: Text(5000),
          slots: Type.Optional(Type.String({ maxLength: 5000 })),
          _queries: Type.Optional(Type.String({ maxLength: 5000 })),
        }),
        response: { 200: Type.Object({ success: Type.Literal(true), ticket_id: Type.String() }) },
      },
    },
    async (request) => {
      const body = request.body;
      const names = splitBy(/,/)(body.filtered_psychologists);
      if (!names.length)
        throw badRequest('filtered_psychologists', 'must name psychologists separated by ","');
      const { ticketId } = await reassign(deps, request.actor, {
        leadNumber: body.lead_number,
        psychologistNames: names,
        slotTimes: splitBy(/;/)(body.slots ?? ''),
        queries: splitBy(/;/)(body._queries ?? ''),
      });
      return { success: true as const, ticket_id: ticketId };
    },
  );

  app.get(
    '/get-ticket-info-for-reassigment-without-schedule',
    {
      config: { access: 'service' },
      schema: {
        tags: ['reassignment'],
        summary: 'What a reassignment needs: the client, the latest ticket, who was chosen and matched',
        querystring: Type.Object({ lead_number: LeadNumber }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            lead_number: Type.String(),
            client: Type.Object({
              name: Nullable(Type.String()),
              age: Nullable(Type.Integer()),
              contact_type: Nullable(Type.String()),
              contact_value: Nullable(Type.String()),
              telegram_username: Nullable(Type.String()),
              phone: Nullable(Type.String()),
              email: Nullable(Type.String()),
            }),
            ticket: Nullable(TicketRecord),
            chosen_psychologist: Nullable(Type.String()),
            matched_psychologists: Type.Array(Type.String(), { maxItems: MAX_PAGE }),
            queries: Type.Array(Type.String(), { maxItems: 50 }),
            last_session: Nullable(
              Type.Object({
                id: Type.String(),
                ticket_id: Type.String(),
                psychologist: Type.String(),
                slot_time: Type.String(),
                start_iso: Iso,
                status: Type.String(),
                kind: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const info = await reassignmentInfo(deps, request.actor, { leadNumber: request.query.lead_number });
      const c = info.client;
      const s = info.lastSession;
      return {
        success: true as const,
        lead_number: c.lead_number,
        client: {
          name: c.name,
          age: c.age,
          contact_type: c.contact_type,
          contact_value: c.contact_value,
          telegram_username: c.telegram_username,
          phone: c.phone,
          email: c.email,
        },
        ticket: info.ticket ? ticketRecord(info.ticket, true) : null,
        chosen_psychologist: info.chosenPsychologist,
        matched_psychologists: info.matchedPsychologists,
        queries: info.queries,
        last_session: s
          ? {
              id: s.id,
              ticket_id: s.ticket_id,
              psychologist: s.psychologist_name,
              slot_time: formatDateTime(s.start_at),
              start_iso: s.start_at.toISOString(),
              status: s.status,
              kind: s.kind,
            }
          : null,
      };
    },
  );

  app.get(
    '/get-reassignment-schedule',
    {
      config: { access: 'client' },
      schema: {
        tags: ['reassignment'],
        summary: 'Free times of the chosen psychologist (time) or of the other matched ones (psychologist)',
        querystring: Type.Object({
          lead_number: LeadNumber,
          mode: Enum(['time', 'psychologist']),
          userTimeOffsetMsk: Type.Optional(Offset),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            lead_number: Type.String(),
            mode: Type.String(),
            available_slots: Type.Array(
              Type.Object({
                id: Type.String(),
                date: Type.String(),
                time: Type.String(),
                psychologist: Type.String(),
                start_iso: Iso,
              }),
              { maxItems: MAX_SLOTS },
            ),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const slots = await reassignmentSchedule(deps, request.actor, {
        leadNumber: q.lead_number,
        mode: q.mode,
        ...(q.userTimeOffsetMsk !== undefined ? { userTimeOffsetMsk: q.userTimeOffsetMsk } : {}),
      });
      return {
        success: true as const,
        lead_number: q.lead_number.toLowerCase(),
        mode: q.mode,
        available_slots: slots,
      };
    },
  );

  const Answer = Type.Optional(Type.String({ maxLength: 5000 }));
  app.post(
    '/client-os',
    {
      config: { access: 'client' },
      schema: {
        tags: ['feedback'],
        summary: 'The questionnaire after a session (the misspelled keys are the contract)',
        body: Loose({
          anketa: Loose({
            mark: Answer,
            feelings: Answer,
            questions: Answer,
            needs: Answer,
            status: Answer,
            wantOtherPschologist: Answer,
            secondSessionTime: Answer,
          }),
          telegram_id: Type.Optional(TelegramId),
          utm_client: Type.Optional(LeadNumber),
          psychologist_name: Type.Optional(Text(200)),
          telegram_id_psychologist: Type.Optional(TelegramId),
          session_date: Type.Optional(Type.String({ maxLength: 40 })),
          client_name: Type.Optional(Type.String({ maxLength: 200 })),
          client_username: Type.Optional(Type.String({ maxLength: 64 })),
          client_age: Type.Optional(Type.String({ maxLength: 10 })),
          psychologist_contact: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: Type.Object({ success: Type.Literal(true) }) },
      },
    },
    async (request) => {
      const b = request.body;
      if (!b.telegram_id && !b.utm_client) throw badRequest('telegram_id', 'give telegram_id or utm_client');
      await submitQuestionnaire(deps, request.actor, {
        anketa: b.anketa,
        ...(b.telegram_id ? { telegramId: b.telegram_id } : {}),
        ...(b.utm_client ? { leadNumber: b.utm_client } : {}),
        ...(b.psychologist_name ? { psychologistName: b.psychologist_name } : {}),
        ...(b.telegram_id_psychologist ? { psychologistTelegramId: b.telegram_id_psychologist } : {}),
        ...(b.session_date ? { sessionDate: b.session_date } : {}),
        raw: b,
      });
      return { success: true as const };
    },
  );
}
