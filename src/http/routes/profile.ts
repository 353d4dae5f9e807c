// Profile and registration: the bot's calls (client-registration, process-link, get-telegram-id) and
// the Telegram login (request-code, verify-code) — the way to a whole-client token.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requestLoginCode, verifyLoginCode } from '../../commands/login-code.ts';
import {
  findTelegramId,
  vouchTicketLink,
  registerTelegramClient,
  type TelegramIdQuery,
} from '../../commands/telegram-identity.ts';
import { badRequest } from '../../errors.ts';
import { rateLimited, Text } from '../schemas.ts';

/** A Telegram user id: digits (private chats have positive ids). */
export const TelegramId = Type.String({ pattern: '^\\d{1,20}$', description: 'Telegram user id (digits)' });
const Username = Type.String({ pattern: '^@?[A-Za-z][A-Za-z0-9_]{3,31}$' });
/** What a bot deep link carries: our ticket id or the web form's own id. */
export const LinkRef = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'ticket id or form id' });

export async function profileRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/client-registration',
    {
      config: { access: 'service' },
      schema: {
        tags: ['registration'],
        summary: 'The client of a Telegram account, created on first contact',
        body: Type.Object({
          user_id: TelegramId,
          username: Type.Optional(Username),
          first_name: Type.Optional(Text(200)),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            client_id: Type.String(),
            lead_number: Type.String(),
            is_new: Type.Boolean(),
          }),
        },
      },
    },
    async (request) => {
      const { user_id, username, first_name } = request.body;
      const { client, created } = await registerTelegramClient(deps, request.actor, {
        telegramId: user_id,
        username: username ?? null,
        firstName: first_name ?? null,
      });
      // The service key vouched for this account (SPEC §3 Identity): which record, never who.
      request.log.info({ lead: client.lead_number }, 'client-registration vouched by the service key');
      return {
        success: true as const,
        client_id: client.id,
        lead_number: client.lead_number,
        is_new: created,
      };
    },
  );

  app.post(
    '/process-link',
    {
      config: { access: 'service' },
      schema: {
        tags: ['registration'],
        summary: "The client opened the bot through a ticket's deep link",
        body: Type.Object({
          user_id: TelegramId,
          ticket_id: LinkRef,
          username: Type.Optional(Username),
          first_name: Type.Optional(Text(200)),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            ticket_id: Type.String(),
            lead_number: Type.String(),
            status: Type.String(),
          }),
        },
      },
    },
    async (request) => {
      const { user_id, ticket_id, username, first_name } = request.body;
      const linked = await vouchTicketLink(deps, request.actor, {
        telegramId: user_id,
        ref: ticket_id,
        username: username ?? null,
        firstName: first_name ?? null,
      });
      deps.outbox.wake();
      // The service key vouched that this account is the ticket's person (SPEC §3 Identity).
      request.log.info(
        { ticketId: linked.ticketId, lead: linked.client.lead_number },
        'process-link vouched by the service key',
      );
      return {
        success: true as const,
        ticket_id: linked.ticketId,
        lead_number: linked.client.lead_number,
        status: linked.status,
      };
    },
  );

  app.get(
    '/get-telegram-id',
    {
      config: { access: 'service' },
      schema: {
        tags: ['profile'],
        summary: "The Telegram id of a ticket's client, a lead, a username or a psychologist",
        querystring: Type.Object({
          ticket_id: Type.Optional(Text(64)),
          lead_number: Type.Optional(Text(32)),
          username: Type.Optional(Text(64)),
          psychologist: Type.Optional(Text(200)),
        }),
        response: { 200: Type.Object({ success: Type.Literal(true), telegram_id: Type.String() }) },
      },
    },
    async (request) => {
      const q = request.query;
      const query: TelegramIdQuery | null = q.ticket_id
        ? { ticketId: q.ticket_id }
        : q.lead_number
          ? { leadNumber: q.lead_number }
          : q.username
            ? { username: q.username }
            : q.psychologist
              ? { psychologist: q.psychologist }
              : null;
      if (!query) throw badRequest('ticket_id', 'give one of ticket_id, lead_number, username, psychologist');
      return { success: true as const, telegram_id: await findTelegramId(deps, request.actor, query) };
    },
  );

  app.post(
    '/request-code',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags: ['profile'],
        summary: 'Sends a login code to the Telegram chat (same answer whether the chat exists or not)',
        body: Type.Object({ telegram_id: TelegramId }),
        response: { 200: Type.Object({ success: Type.Literal(true), expires_in: Type.Integer() }) },
      },
    },
    async (request) => {
      const { expiresIn } = await requestLoginCode(deps, request.actor, {
        telegramId: request.body.telegram_id,
      });
      return { success: true as const, expires_in: expiresIn };
    },
  );

  app.post(
    '/verify-code',
    {
      config: { access: 'public', ...rateLimited(app, 'submit') },
      schema: {
        tags: ['profile'],
        summary: 'Checks a login code; the right one gives a whole-client token (30 days)',
        body: Type.Object({
          telegram_id: TelegramId,
          code: Type.String({ pattern: '^\\d{6}$', description: '6 digits' }),
        }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            verified: Type.Boolean(),
            token: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const result = await verifyLoginCode(deps, request.actor, {
        telegramId: request.body.telegram_id,
        code: request.body.code,
        requester: request.ip,
      });
      return { success: true as const, ...result };
    },
  );
}
