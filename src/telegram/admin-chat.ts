// The operators' chat: "br0722: текст" writes to that client; a reply to a relayed client message
// answers that client without the code. Other talk among operators is left alone.
import { Composer, type Context } from 'grammy';
import type { Deps } from '../deps.ts';
import { relayAdminMessage, replyToRelayed } from '../commands/admin-relay.ts';
import { sendChatMessage } from '../commands/bot-actions.ts';
import { SERVICE } from '../domain/access.ts';
import { parseAdminCommand } from '../domain/admin-command.ts';
import { AppError } from '../errors.ts';
import { messages } from '../texts/messages.ts';
import { updateKey } from './update-key.ts';

export function adminChatFeature(deps: Deps): Composer<Context> {
  const feature = new Composer<Context>();
  const adminChatId = deps.config.telegram.adminChatId;
  if (!adminChatId) return feature;
  const adminChat = feature.filter((ctx) => ctx.chat !== undefined && String(ctx.chat.id) === adminChatId);

  adminChat.on('message:text', async (ctx) => {
    const text = ctx.message.text;
    const replied = ctx.message.reply_to_message;
    const command = parseAdminCommand(text);
    const tell = (answer: string) =>
      sendChatMessage(deps, {
        chatId: adminChatId,
        recipient: 'admin',
        text: answer,
        dedupeKey: `bot:${updateKey(ctx)}:admin-answer`,
      });
    try {
      if (command) {
        await relayAdminMessage(deps, SERVICE, { ...command, updateKey: updateKey(ctx) });
      } else if (replied && replied.from?.id === ctx.me.id) {
        await replyToRelayed(deps, SERVICE, {
          adminMessageId: String(replied.message_id),
          text,
          updateKey: updateKey(ctx),
        });
      }
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const lead = command?.leadNumber ?? '';
      await tell(
        error.code === 'client_has_no_chat'
          ? messages.adminChat.noChat(lead)
          : command
            ? messages.adminChat.unknownLead(lead)
            : messages.adminChat.unknownThread,
      );
    }
  });
  return feature;
}
