// Telegram updates as Telegram sends them, posted to the webhook route with the secret header.
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.ts';

export const BOT_TOKEN = '777000:test-bot-token';
export const WEBHOOK_SECRET = 'webhook-secret-0123456789';
export const ADMIN_CHAT = '-100500';

/** The environment of an app with a bot in webhook mode talking to a fake Bot API. */
export const botEnv = (apiRoot: string) => ({
  TELEGRAM_BOT_TOKEN: BOT_TOKEN,
  TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
  TELEGRAM_API_ROOT: apiRoot,
  TELEGRAM_ADMIN_CHAT_ID: ADMIN_CHAT,
});

export interface TelegramPerson {
  id: number;
  first_name: string;
  username?: string;
}

let nextUpdateId = 1000;
let nextMessageId = 5000;

export function textMessage(from: TelegramPerson, text: string, extra: Record<string, unknown> = {}) {
  const entities = text.startsWith('/')
    ? [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }]
    : undefined;
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: nextMessageId++,
      date: 1_765_000_000,
      from: { ...from, is_bot: false },
      chat: { id: from.id, type: 'private', first_name: from.first_name },
      text,
      ...(entities ? { entities } : {}),
      ...extra,
    },
  };
}

export function adminChatMessage(
  from: TelegramPerson,
  text: string,
  replyTo?: { message_id: number; fromBot: boolean },
) {
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: nextMessageId++,
      date: 1_765_000_000,
      from: { ...from, is_bot: false },
      chat: { id: Number(ADMIN_CHAT), type: 'supergroup', title: 'Операторы' },
      text,
      ...(replyTo
        ? {
            reply_to_message: {
              message_id: replyTo.message_id,
              date: 1_765_000_000,
              chat: { id: Number(ADMIN_CHAT), type: 'supergroup', title: 'Операторы' },
              from: replyTo.fromBot
                ? {
                    id: 777000,
                    is_bot: true,
                    first_name: 'hraniteli_test_bot',
                    username: 'hraniteli_test_bot',
                  }
                : { id: 1, is_bot: false, first_name: 'Оператор' },
              text: 'пересланное',
            },
          }
        : {}),
    },
  };
}

export function buttonPress(from: TelegramPerson, data: string) {
  return {
    update_id: nextUpdateId++,
    callback_query: {
      id: `cb${nextUpdateId}`,
      from: { ...from, is_bot: false },
      chat_instance: '1',
      data,
      message: {
        message_id: nextMessageId++,
        date: 1_765_000_000,
        chat: { id: from.id, type: 'private', first_name: from.first_name },
        from: { id: 777000, is_bot: true, first_name: 'bot' },
        text: 'сообщение с кнопками',
      },
    },
  };
}

export function postUpdate(
  t: TestApp,
  update: object,
  secret: string | null = WEBHOOK_SECRET,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/telegram/webhook',
    headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret },
    payload: update,
  });
}

/** Outbox rows to one chat, oldest first. */
export async function outboxTo(t: TestApp, chatId: string | number) {
  return t.deps.db
    .selectFrom('outbox')
    .select(['id', 'text', 'buttons', 'status', 'recipient', 'client_id', 'dedupe_key'])
    .where('chat_id', '=', String(chatId))
    .orderBy('id')
    .execute();
}

/** Telegram's "share my number" answer: a contact whose `user_id` says whose number it is. */
export function contactMessage(from: TelegramPerson, phone: string, userId: number = from.id) {
  const update = textMessage(from, '');
  const { text: _text, ...message } = update.message;
  return {
    ...update,
    message: { ...message, contact: { phone_number: phone, first_name: from.first_name, user_id: userId } },
  };
}

/** verify-code from one requester's address: wrong tries count per address, so tests keep theirs apart. */
export function verifyCode(t: TestApp, telegramId: string, code: string, from: string) {
  return t.app.inject({
    method: 'POST',
    url: '/verify-code',
    payload: { telegram_id: telegramId, code },
    remoteAddress: from,
  });
}

/** The login code the service last wrote to this chat. */
export async function lastCode(t: TestApp, chatId: string | number): Promise<string> {
  return /(\d{6})/.exec((await outboxTo(t, chatId)).at(-1)!.text)![1]!;
}

/** A whole-client token the way a person gets one: a code asked for the chat, typed back from `from`. */
export async function wholeClientToken(t: TestApp, telegramId: string, from: string): Promise<string> {
  const asked = await t.app.inject({
    method: 'POST',
    url: '/request-code',
    payload: { telegram_id: telegramId },
  });
  if (asked.statusCode !== 200) throw new Error(`request-code answered ${asked.statusCode}: ${asked.body}`);
  const verified = await verifyCode(t, telegramId, await lastCode(t, telegramId), from);
  const body = verified.json() as { verified?: boolean; token?: string };
  if (!body.verified || !body.token) throw new Error(`verify-code answered ${verified.body}`);
  return body.token;
}
