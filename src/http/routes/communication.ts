// Communication with the operators' chat: ticket summaries and the relay both ways.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { relayAdminMessage, relayClientMessage, sendTicketDataToAdmin } from '../../commands/admin-relay.ts';
import { parseAdminCommand } from '../../domain/admin-command.ts';
import { badRequest } from '../../errors.ts';
import { idempotencyKey } from '../conventions.ts';
import { Loose, Text } from '../schemas.ts';
import { TelegramId } from './profile.ts';

/** How long send_admin_message_to_user waits for Telegram before answering "queued". */
const DELIVERY_WAIT_MS = 3_000;

const IDEMPOTENT =
  'With an `Idempotency-Key` header (1–200 characters) a retried request writes its message once and ' +
  'answers about that one message.';

const splitList = (value: string) =>
  value
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean);

export async function communicationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.post(
    '/send-ticket-data-to-admin',
    {
      config: { access: 'service' },
      schema: {
        tags: ['applications'],
        summary:
          'One message to the admin chat: the ticket, the client and the offered psychologists and times',
        description: IDEMPOTENT,
        body: Type.Object({
          psychologists: Text(5000),
          slots: Text(5000),
          slots_id: Text(20_000),
          // The misspelling is the contract; the correct spelling is accepted too.
          tiket_info: Type.Optional(Loose({})),
          ticket_info: Type.Optional(Loose({})),
          client_info: Type.Optional(Loose({})),
        }),
        response: { 200: Type.Object({ success: Type.Literal(true), message_id: Type.String() }) },
      },
    },
    async (request) => {
      const body = request.body;
      const slots = splitList(body.slots);
      const slotIds = splitList(body.slots_id);
      const psychologists = splitList(body.psychologists);
      if (!psychologists.length) throw badRequest('psychologists', 'must list names separated by ";"');
      for (const [i, slot] of slots.entries()) {
        if (!/^\d{2}\.\d{2} \d{2}:\d{2}$/.test(slot))
          throw badRequest('slots', `item ${i + 1} must be "DD.MM HH:mm"`);
      }
      if (slots.length !== slotIds.length)
        throw badRequest('slots_id', `has ${slotIds.length} items, slots has ${slots.length}`);
      const ticket = body.tiket_info ?? body.ticket_info;
      if (!ticket) throw badRequest('tiket_info', 'is required');
      const key = idempotencyKey(request.headers['idempotency-key']);
      const { outboxId } = await sendTicketDataToAdmin(deps, request.actor, {
        ...(key ? { updateKey: `http:${key}` } : {}),
        psychologists,
        slots,
        slotIds,
        ticket,
        client: body.client_info ?? {},
      });
      return { success: true as const, message_id: String(outboxId ?? '') };
    },
  );

  app.post(
    '/send_user_message_to_admin',
    {
      config: { access: 'service' },
      schema: {
        tags: ['communication'],
        summary: 'A client’s message to the admin chat, under their lead code',
        description: IDEMPOTENT,
        body: Type.Object({
          telegram_id: Type.Optional(TelegramId),
          user_id: Type.Optional(TelegramId),
          text: Type.Optional(Text(4000)),
          username: Type.Optional(Text(64)),
          first_name: Type.Optional(Text(200)),
          message: Type.Optional(
            Loose({
              text: Type.Optional(Text(4000)),
              from: Type.Optional(
                Loose({
                  id: Type.Integer({ minimum: 1 }),
                  username: Type.Optional(Text(64)),
                  first_name: Type.Optional(Text(200)),
                }),
              ),
            }),
          ),
        }),
        response: { 200: Type.Object({ success: Type.Literal(true), lead_number: Type.String() }) },
      },
    },
    async (request) => {
      const body = request.body;
      const from = body.message?.from;
      const telegramId = body.telegram_id ?? body.user_id ?? (from ? String(from.id) : undefined);
      const text = body.text ?? body.message?.text;
      if (!telegramId) throw badRequest('telegram_id', 'is required (or user_id, or message.from)');
      if (!text) throw badRequest('text', 'is required (or message.text)');
      const key = idempotencyKey(request.headers['idempotency-key']);
      const { client } = await relayClientMessage(deps, request.actor, {
        ...(key ? { updateKey: `http:${key}` } : {}),
        telegramId,
        username: body.username ?? from?.username ?? null,
        firstName: body.first_name ?? from?.first_name ?? null,
        text,
      });
      return { success: true as const, lead_number: client.lead_number };
    },
  );

  app.post(
    '/send_admin_message_to_user',
    {
      config: { access: 'service' },
      schema: {
        tags: ['communication'],
        summary: 'An operator’s "br0722: текст" to that client’s chat (tried at once, up to 3 s)',
        description: IDEMPOTENT,
        body: Type.Object({ command: Text(4200) }),
        response: { 200: Type.Object({ success: Type.Literal(true), delivered: Type.Boolean() }) },
      },
    },
    async (request) => {
      const parsed = parseAdminCommand(request.body.command);
      if (!parsed)
        throw badRequest('command', 'must be "<lead_number>: <text>", e.g. "br0722: Добрый день!"');
      const key = idempotencyKey(request.headers['idempotency-key']);
      const { ids } = await relayAdminMessage(deps, request.actor, {
        ...parsed,
        ...(key ? { updateKey: `http:${key}` } : {}),
      });
      return { success: true as const, delivered: await deps.outbox.deliver(ids, DELIVERY_WAIT_MS) };
    },
  );
}
