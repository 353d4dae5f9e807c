// The public web front end's endpoints (spec/web-form.md; spec/endpoints.md, Research questionnaire and
// Analytics): form tracking and step answers, the research questionnaire, the application and diagnostic
// submissions, the schedule endpoints and the catalog. All public: the browser sends no credentials.
// Bodies are read leniently (the forms' quirks are the contract); what a field must be is still checked.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { catalogCards, catalogEducation, type CachedJson } from '../../commands/catalog.ts';
import {
  initFormTracking,
  saveAnalyticsSnapshot,
  saveStepAnswer,
  updateTrackingStep,
} from '../../commands/form-tracking.ts';
import {
  researchPair,
  researchRowNumber,
  submitResearch,
  updateResearchContacts,
} from '../../commands/research.ts';
import { submitWebForm, type WebFormInput } from '../../commands/submit-web-form.ts';
import {
  MAX_SCHEDULE_DAYS,
  MAX_SCHEDULE_SLOTS,
  webSchedule,
  type ScheduleAnswer,
  type ScheduleMode,
} from '../../commands/web-schedule.ts';
import {
  FORM_ID,
  FORM_ID_PATTERN,
  formOffsetHours,
  formRowId,
  formText,
  formTexts,
} from '../../domain/web-form.ts';
import { badRequest } from '../../errors.ts';
import { Loose, rateLimited, Text, Ymd } from '../schemas.ts';
import { MAX_PAGE, MAX_SLOTS } from '../../domain/limits.ts';

export const FormId = Type.String({
  pattern: FORM_ID_PATTERN,
  description: 'the id the form generated itself, e.g. "kwqtt", "cd_9cnzeq" (1–64 of A–Z a–z 0–9 _ -)',
});
const Success = Type.Object({ success: Type.Literal(true) });
export const Anything = Type.Optional(Type.Unknown());

const ResearchRow = Type.Object({
  success: Type.Literal(true),
  rowId: Type.Integer({ description: 'the sheet row number of this response (the first is 2)' }),
  baserowId: Type.Integer({ description: 'the random database id of the row' }),
  row: Type.Integer(),
});

const WebFormResponse = Type.Object({
  success: Type.Literal(true),
  ticket_id: Type.String(),
  form_ticket_id: Type.Union([Type.String(), Type.Null()]),
  lead_number: Type.Union([Type.String(), Type.Null()]),
  bot_link: Type.Union([Type.String(), Type.Null()]),
  booked: Type.Boolean(),
  reason: Type.Optional(Type.String({ description: 'why the chosen time was not booked' })),
  session: Type.Union([
    Type.Object({
      date: Type.String(),
      time: Type.String(),
      start_iso: Type.String(),
      psychologist: Type.String(),
    }),
    Type.Null(),
  ]),
  client_token: Type.Union([Type.String(), Type.Null()]),
});

const ScheduleSlot = Type.Object({
  id: Type.String(),
  psychologist: Type.String(),
  date: Type.String({ description: 'YYYY-MM-DD, Moscow' }),
  time: Type.String({ description: 'HH:MM, Moscow' }),
  state: Type.String({ description: '"Свободен" or "Забронирован"' }),
  ticket: Type.Null(),
  client_id: Type.Null(),
  meeting_link: Type.Null(),
  meeting_id: Type.Null(),
  calendar_meeting_id: Type.Null(),
  confirmed: Type.Boolean(),
  auto_assigned: Type.Boolean(),
  auto_canceled: Type.Boolean(),
  is_helpful_hand: Type.Boolean(),
  'Дата Локальная': Type.String(),
  'Время Локальное': Type.String(),
});
export const ScheduleAnswerSchema = Type.Array(
  Type.Object({
    name_order: Type.Array(Type.String(), { maxItems: MAX_SCHEDULE_SLOTS }),
    items: Type.Array(
      Type.Object({
        date: Type.String(),
        pretty_date: Type.String(),
        day_name: Type.String(),
        slots: Type.Record(Type.String(), Type.Array(ScheduleSlot, { maxItems: MAX_SCHEDULE_SLOTS })),
      }),
      { maxItems: MAX_SCHEDULE_DAYS + 1 },
    ),
  }),
  {
    maxItems: 1,
    description:
      `always one element; at most ${MAX_SCHEDULE_DAYS + 1} days and ${MAX_SCHEDULE_SLOTS} slots in all ` +
      '(past that, the answer ends with the last whole day that fits)',
  },
);

const ScheduleBody = Loose({
  startDate: Type.Optional(Ymd),
  endDate: Type.Optional(Ymd),
  userTimeOffsetMsk: Anything,
  show_only_psy: Type.Optional(Text(200)),
  ticket_id: Type.Optional(FormId),
  formPsyClientInfo: Type.Optional(Loose({ sexPsycho: Anything })),
  form: Type.Optional(Loose({ diagnoses: Anything, ticket_id: Anything })),
});

const Card = Type.Object({
  id: Type.String(),
  name: Type.String(),
  group: Type.String(),
  link_photo: Type.Union([Type.String(), Type.Null()]),
  link_video: Type.Union([Type.String(), Type.Null()]),
  age: Type.Union([Type.Integer(), Type.Null()]),
  sex: Type.String({ description: '"Мужчина" or "Женщина"' }),
  experience: Type.Union([Type.String(), Type.Null()]),
  verified: Type.Boolean(),
  main_modal: Type.Union([Type.String(), Type.Null()]),
  additional_modals: Type.Array(Type.String(), { maxItems: 50 }),
  min_session_price: Type.Number(),
  max_session_price: Type.Number(),
  short_description: Type.Union([Type.String(), Type.Null()]),
  queries: Type.String({ description: '"; "-joined' }),
  works_with: Type.String({ description: '"; "-joined' }),
  vk: Type.Union([Type.String(), Type.Null()]),
  site: Type.Union([Type.String(), Type.Null()]),
  telegram: Type.Union([Type.String(), Type.Null()]),
  personal_therapy_duration: Type.Union([Type.String(), Type.Null()]),
  is_married: Type.Union([Type.Boolean(), Type.Null()]),
  has_children: Type.Union([Type.Boolean(), Type.Null()]),
  is_video: Type.Boolean(),
});
const EducationItem = Type.Object({
  psychologist: Type.String({ description: 'the card name with "_" for spaces' }),
  program_title: Type.String(),
  year: Type.Integer(),
  title: Type.String(),
  doc_type: Type.String(),
});

/** The catalog's answers may be kept a minute; an unchanged one is a 304 by its entity tag. */
const CATALOG_CACHE = 'public, max-age=60';

function sendTagged(reply: FastifyReply, ifNoneMatch: string | undefined, answer: CachedJson) {
  reply.header('etag', answer.etag);
  const tags = (ifNoneMatch ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes(answer.etag) || tags.includes('*')) return reply.code(304).send();
  return sendJson(reply, answer.json);
}

/** An answer that is JSON text already (built once per listing, see web-schedule.ts), sent as it is. */
function sendJson(reply: FastifyReply, json: Buffer | string) {
  return reply.type('application/json; charset=utf-8').send(json);
}

/** A schedule answer, gzipped for a client that accepts it. */
export function sendSchedule(
  reply: FastifyReply,
  acceptEncoding: string | undefined,
  answer: ScheduleAnswer,
) {
  reply.header('vary', 'accept-encoding');
  if (/\bgzip\b/i.test(acceptEncoding ?? '')) {
    reply.header('content-encoding', 'gzip');
    return sendJson(reply, answer.gzipped());
  }
  return sendJson(reply, answer.json);
}

/** A lenient body's fields, whatever the schema declared of them. */
const fieldsOf = (body: object): Record<string, unknown> => Object.fromEntries(Object.entries(body));

const SCHEDULE_ROUTES: [string, ScheduleMode, string][] = [
  ['/get-agregated-schedule-v2', 'matching', 'Matching and free slots for the application form'],
  ['/get-agregated-schedule-cards', 'cards', 'Matching and free slots for the psychologist-card form'],
  [
    '/schedule-diagnosis-v2',
    'diagnostic',
    'Matching and free slots of psychologists taking diagnostic sessions',
  ],
  ['/get-aggregated-all', 'all', 'Matching and all slots (free and booked) for the card form'],
];

export async function webFormRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;
  const tags = ['web forms'];

  app.post(
    '/init-form-tracking',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'Start tracking a form (idempotent per form id and type)',
        body: Loose({ ticket_id: FormId, form_type: Text(200), step: Type.Optional(Text(200)) }),
        response: { 200: Success },
      },
    },
    async (request) => {
      const { ticket_id, form_type, step } = request.body;
      return initFormTracking(deps, request.actor, {
        ticketId: ticket_id,
        formType: form_type.trim(),
        ...(step ? { step: step.trim() } : {}),
      });
    },
  );

  app.put(
    '/update-tracking-step',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'Record a step of a form with its time (history kept)',
        description:
          'Without a ticket_id (the confirm page sends null or "") it answers 200 and stores nothing.',
        body: Loose({ ticket_id: Type.Optional(FormId), step: Text(200) }),
        response: { 200: Success },
      },
    },
    async (request) => {
      const { ticket_id: ticketId, step } = request.body;
      if (!ticketId) return { success: true as const };
      return updateTrackingStep(deps, request.actor, { ticketId, step: step.trim() });
    },
  );

  app.put(
    '/update-analytics-before-slots',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'Store the answers given before slots are shown (latest wins per form id)',
        body: Loose({ ticket_id: FormId }),
        response: { 200: Success },
      },
    },
    async (request) =>
      saveAnalyticsSnapshot(deps, request.actor, { ticketId: request.body.ticket_id, payload: request.body }),
  );

  app.put(
    '/step-analytics',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: 'Store the latest value of one answer of a form (note the key ticketID)',
        body: Loose({ ticketID: FormId, field: Text(64), value: Anything }),
        response: { 200: Success },
      },
    },
    async (request) =>
      saveStepAnswer(deps, request.actor, {
        ticketId: request.body.ticketID,
        field: request.body.field.trim(),
        // An empty answer ("" — a name left blank) arrives as no value at all.
        value: request.body.value ?? '',
      }),
  );

  app.post(
    '/research-tilda-zayavka',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags,
        summary: 'Store a research questionnaire response (the next sheet row)',
        body: Loose({}),
        response: { 200: ResearchRow },
      },
    },
    async (request) =>
      submitResearch(deps, request.actor, {
        payload: fieldsOf(request.body),
        requester: { ip: request.ip, userAgent: request.headers['user-agent'] },
      }),
  );

  app.get(
    '/get-sheets-row-number',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: "The next free sheet row, and the requester's own latest row (0 and 0 when none)",
        description:
          'rowId/baserowId name the latest row posted from the same address and User-Agent within 10 minutes; ' +
          'nobody is handed another person’s row.',
        response: {
          200: Type.Object({ row: Type.Integer(), rowId: Type.Integer(), baserowId: Type.Integer() }),
        },
      },
    },
    async (request) =>
      researchRowNumber(deps, request.actor, {
        requester: { ip: request.ip, userAgent: request.headers['user-agent'] },
      }),
  );

  app.put(
    '/update-contacts-stb',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags,
        summary: 'Add the contacts to a research row (rid and bid must name the same row, within a day)',
        body: Loose({
          rid: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\d{1,16}$' })]),
          bid: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\d{1,16}$' })]),
          contact: Anything,
          contactType: Anything,
          name: Anything,
          age: Anything,
          formPsyClientInfo: Anything,
        }),
        response: { 200: Success },
      },
    },
    async (request) => {
      const body = request.body;
      const { rid, bid } = researchPair(formRowId(body.rid), formRowId(body.bid));
      const text = (value: unknown) => {
        const t = formText(value);
        return t === undefined ? {} : { value: t };
      };
      const contact = text(body.contact).value;
      const contactType = text(body.contactType).value;
      const name = text(body.name).value;
      const age = text(body.age).value;
      return updateResearchContacts(deps, request.actor, {
        rid,
        bid,
        ...(contact ? { contact } : {}),
        ...(contactType ? { contactType } : {}),
        ...(name ? { name } : {}),
        ...(age ? { age } : {}),
        ...(body.formPsyClientInfo !== undefined ? { formPsyClientInfo: body.formPsyClientInfo } : {}),
      });
    },
  );

  const submissionSchema = (summary: string) => ({
    tags,
    summary,
    description:
      'Answers exactly 200 whenever the application is stored — also when the chosen time was taken ' +
      '(booked: false). A repeated ticket_id answers the first result and writes nothing.',
    body: Loose({ ticket_id: Type.Optional(FormId) }),
    response: { 200: WebFormResponse },
  });
  const submissions: [string, WebFormInput['kind'], string][] = [
    ['/tilda-zayavka', 'application', 'Submit the application form (and book the chosen time)'],
    ['/tilda-zayavka-diagnostic-v2', 'diagnostic', 'Submit the diagnostic form (and book the chosen time)'],
    ['/tilda-zayavka-diagnostic', 'diagnostic', 'The diagnostic form under its older name'],
  ];
  for (const [path, kind, summary] of submissions) {
    app.post(
      path,
      { config: { access: 'public', ...rateLimited(app, 'submit') }, schema: submissionSchema(summary) },
      async (request) => submitWebForm(deps, request.actor, { kind, body: fieldsOf(request.body) }),
    );
  }

  for (const [path, mode, summary] of SCHEDULE_ROUTES) {
    app.post(
      path,
      {
        config: { access: 'public', ...rateLimited(app, 'public') },
        schema: { tags, summary, body: ScheduleBody, response: { 200: ScheduleAnswerSchema } },
      },
      async (request, reply) => {
        const body = request.body;
        const formTicket = body.form?.ticket_id;
        const ticketId =
          body.ticket_id ??
          (typeof formTicket === 'string' && FORM_ID.test(formTicket) ? formTicket : undefined);
        const sexPsycho = formText(body.formPsyClientInfo?.sexPsycho);
        const answer = await webSchedule(deps, request.actor, {
          mode,
          ...(body.startDate ? { startDate: body.startDate } : {}),
          ...(body.endDate ? { endDate: body.endDate } : {}),
          offsetHours: formOffsetHours(body.userTimeOffsetMsk),
          ...(sexPsycho ? { sexPsycho } : {}),
          diagnoses: formTexts(body.form?.diagnoses),
          ...(body.show_only_psy ? { onlyName: body.show_only_psy } : {}),
          ...(ticketId ? { ticketId } : {}),
        });
        return sendSchedule(reply, request.headers['accept-encoding'], answer);
      },
    );
  }

  app.post(
    '/convert-schedule-timezone/:offset',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      schema: {
        tags,
        summary: "The catalog's schedule: every active psychologist's slots, free and booked",
        params: Type.Object({
          offset: Type.String({ pattern: '^[+-]?\\d{1,2}(\\.\\d{1,2})?$', description: 'hours from Moscow' }),
        }),
        body: ScheduleBody,
        response: { 200: ScheduleAnswerSchema },
      },
    },
    async (request, reply) => {
      const offset = Number(request.params.offset);
      if (Math.abs(offset) > 15) throw badRequest('offset', 'must be between -15 and 15 hours');
      const body = request.body;
      const answer = await webSchedule(deps, request.actor, {
        mode: 'catalog',
        ...(body.startDate ? { startDate: body.startDate } : {}),
        ...(body.endDate ? { endDate: body.endDate } : {}),
        offsetHours: offset,
        diagnoses: [],
      });
      return sendSchedule(reply, request.headers['accept-encoding'], answer);
    },
  );

  app.get(
    '/cards',
    {
      config: { access: 'public', ...rateLimited(app, 'public'), cacheControl: CATALOG_CACHE },
      schema: {
        tags,
        summary: 'The catalog of active psychologists (a plain array)',
        response: {
          200: Type.Array(Card, { maxItems: MAX_PAGE, description: `the first ${MAX_PAGE} by name` }),
        },
      },
    },
    async (request, reply) =>
      sendTagged(reply, request.headers['if-none-match'], await catalogCards(deps, request.actor)),
  );

  app.get(
    '/edu-keys-pipeline-batch',
    {
      config: { access: 'public', ...rateLimited(app, 'public'), cacheControl: CATALOG_CACHE },
      schema: {
        tags,
        summary: "The active psychologists' education entries",
        querystring: Type.Object({
          batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          use_cache: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Array(EducationItem, {
            maxItems: MAX_SLOTS,
            description: `of the first ${MAX_PAGE} psychologists by name, at most ${MAX_SLOTS} entries`,
          }),
        },
      },
    },
    async (request, reply) =>
      sendTagged(reply, request.headers['if-none-match'], await catalogEducation(deps, request.actor)),
  );
}
