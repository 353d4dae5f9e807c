// Inline buttons under session messages. The data is unpacked and verified by the codec; a forged or
// stale button does nothing and says so kindly.
import { Composer, type Context } from 'grammy';
import type { Deps } from '../deps.ts';
import { buttonFailureNotice, pressButton } from '../commands/bot-actions.ts';
import { messages } from '../texts/messages.ts';
import { updateKey } from './update-key.ts';

/** Telegram shows at most 200 characters in a button notice. */
const notice = (text: string) => (text.length > 200 ? `${text.slice(0, 197)}…` : text);

export function buttonsFeature(deps: Deps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.on('callback_query:data', async (ctx) => {
    const press = deps.callbacks.unpack(ctx.callbackQuery.data);
    if (!press) {
      await ctx.answerCallbackQuery({ text: messages.bot.staleButton, show_alert: true });
      return;
    }
    try {
      const outcome = await pressButton(deps, String(ctx.from.id), press, updateKey(ctx));
      await ctx.answerCallbackQuery({ text: notice(outcome.notice) });
      if (outcome.done && ctx.callbackQuery.message) {
        // The buttons did their job; a second press would only confuse. Best effort.
        await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => {});
      }
    } catch (error) {
      await ctx.answerCallbackQuery({ text: notice(buttonFailureNotice(error)), show_alert: true });
      if (!(error instanceof Error) || !('kind' in error)) throw error;
    }
  });
  return feature;
}
