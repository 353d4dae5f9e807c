// The Telegram bot, assembled like the HTTP app: one Composer per feature behind an error boundary.
// Updates come through the webhook route (src/http/routes/telegram.ts) or long polling (main.ts);
// every message the bot writes goes through the outbox, only button notices are answered directly.
import { Bot, type BotError, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Deps } from '../deps.ts';
import { adminChatFeature } from './admin-chat.ts';
import { buttonsFeature } from './buttons.ts';
import { clientChatFeature } from './client-chat.ts';
import { checkedAnswers, telegramClient } from './client.ts';

export type HraniteliBot = Bot<Context>;

/** What the bot knows of itself without asking Telegram (no getMe at start): id from the token. */
function botInfoOf(token: string, username: string): UserFromGetMe {
  return {
    id: Number(token.split(':')[0]) || 0,
    is_bot: true,
    first_name: username,
    username,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
}

/** The bot for the configured token, or null when none is set (messages are then recorded as skipped). */
export function createBot(deps: Deps): HraniteliBot | null {
  const { botToken, botUsername } = deps.config.telegram;
  if (!botToken) return null;
  const bot = new Bot<Context>(botToken, {
    client: telegramClient(deps.config),
    ...(botUsername ? { botInfo: botInfoOf(botToken, botUsername) } : {}),
  });
  const features = bot.errorBoundary((error: BotError<Context>) => {
    // The update and its texts hold personal data: only what went wrong is logged.
    deps.log.error(
      { err: { name: (error.error as Error)?.name, code: (error.error as { code?: string })?.code } },
      'bot handler failed',
    );
  });
  checkedAnswers(bot.api);
  features.use(adminChatFeature(deps));
  features.use(buttonsFeature(deps));
  features.use(clientChatFeature(deps));
  return bot;
}
