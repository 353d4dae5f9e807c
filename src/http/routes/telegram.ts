// Telegram's webhook: updates signed with the secret token header (wrong or missing → 401, nothing
// processed). A handler's failure is logged and still answered 200, so Telegram does not send the same
// update again and again; what the handlers write is deduplicated by update id should it come twice.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Update } from 'grammy/types';
import type { HraniteliBot } from '../../telegram/bot.ts';
import { secretMatches } from '../auth.ts';
import { unauthorized } from '../../errors.ts';

export function telegramRoutes(bot: HraniteliBot, secret: string) {
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/telegram/webhook',
      {
        schema: {
          tags: ['telegram'],
          summary: 'Telegram updates (header X-Telegram-Bot-Api-Secret-Token)',
          // Only the update id is checked here; grammY reads the rest as Telegram sent it.
          body: Type.Unsafe<Update>(
            Type.Object({ update_id: Type.Integer({ minimum: 0 }) }, { additionalProperties: true }),
          ),
          response: { 200: Type.Object({ ok: Type.Literal(true) }) },
        },
        // The header is checked before the body is read or validated.
        onRequest: async (request) => {
          const header = request.headers['x-telegram-bot-api-secret-token'];
          if (!secretMatches(typeof header === 'string' ? header : undefined, secret))
            throw unauthorized('the Telegram secret token is missing or wrong');
        },
      },
      async (request) => {
        try {
          await bot.handleUpdate(request.body);
        } catch (error) {
          request.log.error({ err: { name: (error as Error).name } }, 'telegram update failed');
        }
        return { ok: true as const };
      },
    );
  };
}
