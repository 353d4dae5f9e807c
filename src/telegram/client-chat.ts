// A person's private chat with the bot: /start (with a ticket's or form's id from a deep link, or
// alone), a phone shared with the "share my number" button, /code, a psychologist's /schedule, and any
// other text relayed to the operators.
import { Composer, type Context } from 'grammy';
import type { Deps } from '../deps.ts';
import { relayClientMessage } from '../commands/admin-relay.ts';
import { psychologistScheduleOf, sendChatMessage } from '../commands/bot-actions.ts';
import { requestLoginCode } from '../commands/login-code.ts';
import {
  openTicketFromBot,
  proveTelegramPhone,
  registerTelegramClient,
  type TelegramUser,
} from '../commands/telegram-identity.ts';
import { SERVICE } from '../domain/access.ts';
import { messages } from '../texts/messages.ts';
import { LinkLookups } from './link-lookups.ts';
import { updateKey } from './update-key.ts';

const LINK_REF = /^[A-Za-z0-9_-]{1,64}$/;

function userOf(ctx: Context): TelegramUser {
  const from = ctx.from!;
  return { telegramId: String(from.id), username: from.username ?? null, firstName: from.first_name ?? null };
}

export function clientChatFeature(deps: Deps): Composer<Context> {
  const feature = new Composer<Context>();
  const chat = feature.chatType('private');
  const lookups = new LinkLookups();
  const reply = (ctx: Context, text: string, suffix: string, clientId: string | null = null) =>
    sendChatMessage(deps, {
      chatId: String(ctx.chat!.id),
      text,
      dedupeKey: `bot:${updateKey(ctx)}:${suffix}`,
      clientId,
    });

  chat.command('start', async (ctx) => {
    const user = userOf(ctx);
    const ref = ctx.match.trim();
    if (!ref) {
      const { client } = await registerTelegramClient(deps, SERVICE, user);
      await reply(ctx, messages.bot.greeting(user.firstName ?? null), 'greeting', client.id);
      return;
    }
    // Every attempt that shows nothing counts, whether the id exists or not: the answer is the same.
    if (!lookups.mayTry(user.telegramId, Date.now())) {
      await reply(ctx, messages.bot.tooManyLinks, 'link');
      return;
    }
    const outcome = LINK_REF.test(ref)
      ? await openTicketFromBot(deps, SERVICE, { ...user, ref, updateKey: updateKey(ctx) })
      : ({ kind: 'unproven' } as const);
    if (outcome.kind === 'linked') {
      deps.outbox.wake();
      return;
    }
    lookups.missed(user.telegramId, Date.now());
    await sendChatMessage(deps, {
      chatId: String(ctx.chat.id),
      text: messages.bot.proveTicket,
      dedupeKey: `bot:${updateKey(ctx)}:link`,
      buttons: { shareContact: messages.bot.shareContactButton },
    });
  });

  chat.on('message:contact', async (ctx) => {
    const contact = ctx.message.contact;
    const proved = await proveTelegramPhone(deps, SERVICE, {
      ...userOf(ctx),
      contactUserId: contact.user_id === undefined ? null : String(contact.user_id),
      phone: contact.phone_number,
      updateKey: updateKey(ctx),
    });
    await sendChatMessage(deps, {
      chatId: String(ctx.chat.id),
      text: !proved
        ? messages.bot.shareOwnContact
        : proved.linked.length
          ? messages.bot.phoneProven
          : messages.bot.phoneProvenNoTicket,
      dedupeKey: `bot:${updateKey(ctx)}:contact`,
      buttons: proved ? { remove: true } : { shareContact: messages.bot.shareContactButton },
    });
  });

  chat.command('code', async (ctx) => {
    await requestLoginCode(deps, SERVICE, { telegramId: String(ctx.from!.id) });
  });

  chat.command('schedule', async (ctx) => {
    const weeks = await psychologistScheduleOf(deps, String(ctx.from!.id));
    if (!weeks) return reply(ctx, messages.bot.greeting(ctx.from!.first_name ?? null), 'schedule');
    for (const [i, week] of weeks.entries()) await reply(ctx, week, `schedule:${i}`);
  });

  chat.on('message:text', async (ctx) => {
    if (ctx.message.text.startsWith('/')) {
      await reply(ctx, messages.bot.greeting(ctx.from.first_name ?? null), 'unknown-command');
      return;
    }
    await relayClientMessage(deps, SERVICE, {
      ...userOf(ctx),
      text: ctx.message.text,
      updateKey: updateKey(ctx),
      acknowledge: true,
    });
  });

  return feature;
}
