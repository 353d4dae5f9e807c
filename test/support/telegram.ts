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
