// Applications (заявки): the public submission forms and the ticket lookup.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { requestDiagnosticSession } from '../../commands/diagnostic-request.ts';
import { contactTypeOf } from '../../commands/contact.ts';
import { collectUtm, submitApplication, type ApplicationInput } from '../../commands/submit-application.ts';
import { getTicketInfo, getTicketRecord } from '../../commands/get-ticket-info.ts';
import { submitWebForm } from '../../commands/submit-web-form.ts';
import { HELP_HAND_PRICES } from '../../commands/help-hand.ts';
import { TicketInfo, TicketRecord, ticketRecord } from '../presenters.ts';
import { GENDER_VALUES } from '../../domain/matching.ts';
import { badRequest, tooLarge } from '../../errors.ts';
import { BODY_LIMIT, idempotencyKey, unstorableField } from '../conventions.ts';
import { Age, Loose, Nullable, Offset, rateLimited, Text, TicketOrFormId } from '../schemas.ts';
import { MAX_PAGE } from '../../domain/limits.ts';

const CONTACT_TYPES = [
  'telegram',
  'whatsapp',
  'phone',
  'vk',
  'max',
  'Telegram',
  'WhatsApp',
  'Whatsapp',
  'Phone',
  'VK',
  'Vk',
  'Max',
];

const applicationFields = {
  name: Text(200),
  age: Age,
  contact: Loose({ type: Type.String({ enum: CONTACT_TYPES }), value: Text(200) }),
  selected_slots: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
  preferences: Type.Optional(
    Loose({
      gender: Type.Optional(Type.String({ enum: GENDER_VALUES })),
      price_max: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000 })),
      specializations: Type.Optional(Type.Array(Text(200), { maxItems: 50 })),
    }),
  ),
  ticket_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  utm: Type.Optional(Loose({})),
  promocode: Type.Optional(Text(100)),
  request_text: Type.Optional(Text()),
  userTimeOffsetMsk: Type.Optional(Offset),
};
const ApplicationBody = Loose(applicationFields);
/**
 * Two bodies: the seed's (submit-application's, `contact: {type, value}`) and the web front end's form
 * (web-form.md C.1.2: `contactType` + `contact` text, no slot). The contact's shape tells them apart.
 */
const HelpHandBody = Loose({
  ...applicationFields,
  name: Type.Optional(Text(200)),
  age: Type.Optional(Age),
  contact: Type.Optional(
    Type.Union([applicationFields.contact, Text(200)], {
      description: '{type, value} (seed) or the handle or phone typed into the web form',
    }),
  ),
  contactType: Type.Optional(Text(50)),
  categoryType: Type.Optional(Text(50)),
  price_session: Type.Optional(Type.String({ enum: [...HELP_HAND_PRICES] })),
});
type ApplicationBody = Static<typeof ApplicationBody> & { price_session?: string };

const HelpHandFormResponse = Type.Object({
  success: Type.Literal(true),
  ticket_id: Type.String(),
  form_ticket_id: Nullable(Type.String()),
  lead_number: Nullable(Type.String()),
  bot_link: Nullable(Type.String()),
  client_token: Nullable(Type.String()),
});

const ApplicationResponse = Type.Object({
  success: Type.Literal(true),
  ticket_id: Type.String(),
  lead_number: Type.String(),
  client_token: Type.String(),
  bot_link: Type.Union([Type.String(), Type.Null()]),
  matched_psychologists: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      price: Type.Number(),
      slots: Type.Array(
        Type.Object({
          id: Type.String(),
          date: Type.String(),
          time: Type.String(),
          start_iso: Type.String(),
        }),
        { maxItems: 50, description: 'the chosen times free with them (at most 50), or their next 5' },
      ),
    }),
    { maxItems: MAX_PAGE, description: `the best ${MAX_PAGE} at most` },
  ),
});

function applicationInput(
  body: ApplicationBody,
  key: string | string[] | undefined,
  kind: ApplicationInput['kind'],
): ApplicationInput {
  const idempotent = idempotencyKey(key);
  const utm = collectUtm(body);
  return {
    kind,
    name: body.name.trim(),
    age: body.age,
    contact: { type: contactTypeOf(body.contact.type)!, value: body.contact.value },
    selectedSlots: body.selected_slots ?? [],
    preferences: body.preferences ?? {},
    ...(body.ticket_id ? { formTicketId: body.ticket_id } : {}),
    ...(body.request_text ? { requestText: body.request_text } : {}),
    ...(body.promocode ? { promocode: body.promocode } : {}),
    ...(body.price_session ? { priceSession: body.price_session } : {}),
    ...(utm ? { utm } : {}),
    ...(body.userTimeOffsetMsk !== undefined ? { userTimeOffsetMsk: body.userTimeOffsetMsk } : {}),
    raw: body,
    ...(idempotent ? { idempotencyKey: idempotent } : {}),
  };
}

/** A lenient body's fields, whatever the schema declared of them. */
const fieldsOf = (body: object): Record<string, unknown> => Object.fromEntries(Object.entries(body));

/** The seed's GET /get-ticket-info carries a JSON body; Fastify never parses one on GET, so read it here. */
async function mergeGetBody(request: FastifyRequest): Promise<void> {
  const length = Number(request.headers['content-length'] ?? 0);
  if (!length && !request.headers['transfer-encoding']) return;
  if (length > BODY_LIMIT) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('(body)', 'must be JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badRequest('(body)', 'must be a JSON object');
  // The app's input checks ran before this hook; the body's values join the query unchecked otherwise.
  const bad = unstorableField(parsed);
  if (bad) throw badRequest(bad.field, bad.problem);
  // Fastify's query is a plain object; the body's fields join it where the query has no value.
  const query = request.query;
  if (typeof query !== 'object' || query === null) return;
  for (const [key, value] of Object.entries(parsed)) {
    if (Reflect.get(query, key) === undefined && value !== '' && value !== null)
      Reflect.set(query, key, typeof value === 'number' ? String(value) : value);
  }
}

export async function applicationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/submit-application',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags: ['applications'],
        summary: 'Submit an application: client, ticket, matching, bot link',
        body: ApplicationBody,
        response: { 200: ApplicationResponse },
      },
    },
    async (request) =>
      submitApplication(
        deps,
        request.actor,
        applicationInput(request.body, request.headers['idempotency-key'], 'application'),
      ),
  );

  app.post(
    '/register-ticket-for-help-hand',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags: ['applications'],
        summary: 'Register a helping-hand (Рука помощи) request',
        description:
          'The seed’s body (`contact: {type, value}`) answers as submit-application; the web form’s body ' +
          '(`contactType` + `contact`, web-form.md C.1.2) answers as tilda-zayavka without a slot: a repeated ' +
          'ticket_id answers the first result and writes nothing.',
        body: HelpHandBody,
        response: { 200: Type.Union([ApplicationResponse, HelpHandFormResponse]) },
      },
    },
    async (request) => {
      const { contact, name, age, ...rest } = request.body;
      if (typeof contact === 'object') {
        if (!name) throw badRequest('name', 'is required');
        if (age === undefined) throw badRequest('age', 'is required');
        return submitApplication(
          deps,
          request.actor,
          applicationInput({ ...rest, contact, name, age }, request.headers['idempotency-key'], 'help_hand'),
        );
      }
      return submitWebForm(deps, request.actor, { kind: 'help_hand', body: fieldsOf(request.body) });
    },
  );

  app.post(
    '/diagnostic-session-request',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags: ['applications'],
        summary: 'Request a diagnostic session (short form)',
        body: Loose({
          client_name: Text(200),
          client_phone: Type.Optional(Text(100)),
          client_telegram: Type.Optional(Text(100)),
          client_email: Type.Optional(Text(254)),
          request_text: Text(5000),
          utm: Type.Optional(
            Loose({
              source: Type.Optional(Text(500)),
              medium: Type.Optional(Text(500)),
              campaign: Type.Optional(Text(500)),
              content: Type.Optional(Text(500)),
              term: Type.Optional(Text(500)),
            }),
          ),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            message: Type.String(),
            ticket_id: Type.String(),
            lead_number: Type.String(),
            client_token: Type.String(),
            bot_link: Nullable(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const utm = collectUtm(body);
      return requestDiagnosticSession(deps, request.actor, {
        clientName: body.client_name.trim(),
        ...(body.client_phone ? { phone: body.client_phone } : {}),
        ...(body.client_telegram ? { telegram: body.client_telegram } : {}),
        ...(body.client_email ? { email: body.client_email } : {}),
        requestText: body.request_text,
        ...(utm ? { utm } : {}),
        raw: body,
      });
    },
  );

  app.get(
    '/get-ticket-info',
    {
      config: { access: 'public', ...rateLimited(app, 'public') },
      preValidation: mergeGetBody,
      schema: {
        tags: ['applications'],
        summary: 'A ticket: by ticket_id, or by client_id (lead number) + link_id (the stored record)',
        description: 'Personal fields are null without the service key or the ticket’s own token.',
        querystring: Type.Object({
          ticket_id: Type.Optional(TicketOrFormId),
          client_id: Type.Optional(Text(64)),
          link_id: Type.Optional(TicketOrFormId),
        }),
        response: {
          200: Type.Union([Type.Object({ success: Type.Literal(true), ticket: TicketInfo }), TicketRecord]),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      reply.header('cache-control', 'no-store');
      if (q.ticket_id) {
        return {
          success: true as const,
          ticket: await getTicketInfo(deps, request.actor, { ticketId: q.ticket_id }),
        };
      }
      if (!q.client_id || !q.link_id)
        throw badRequest('ticket_id', 'give ticket_id, or client_id with link_id');
      const { ticket, personal } = await getTicketRecord(deps, request.actor, {
        leadOrClientId: q.client_id,
        ticketId: q.link_id,
      });
      return ticketRecord(ticket, personal);
    },
  );
}
