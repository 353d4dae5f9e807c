// Telegram login codes: the one way, besides a signed link sent to the person's own chat, to a
// whole-client token. A code goes only to the chat of the Telegram id it was asked for, so whoever
// types it back holds that account.
import { randomInt } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { Actor } from '../domain/access.ts';
import { AppError } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { loginCodesRepository } from '../repositories/login-codes.repository.ts';
import { messages } from '../texts/messages.ts';
import { notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';

export const CODE_TTL_SECONDS = 600;
const CODE_INTERVAL_MS = 60_000;
/** Wrong tries one requester may make at one code. */
const MAX_TRIES_PER_CODE = 5;
/** Wrong tries a code takes from everyone together before it is dead (a new /code brings a live one). */
const MAX_WRONG_PER_CODE = 30;
/** Wrong tries one requester may make within an hour, whichever Telegram ids they name. */
const MAX_FAILURES_PER_HOUR = 10;
const HOUR_MS = 3_600_000;

/**
 * Sends a new code to the Telegram chat (the bot's /code, or request-code). The answer is the same
 * whether the chat exists or not, and whether a code went out or the last one (under a minute old) stands.
 */
export async function requestLoginCode(
  deps: Deps,
  _actor: Actor,
  input: { telegramId: string; updateKey?: string },
): Promise<{ expiresIn: number }> {
  const now = deps.clock.now();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const sent = await inTransaction(deps, async (trx) => {
    const issued = await loginCodesRepository.issue(
      trx,
      input.telegramId,
      deps.tokens.codeDigest(input.telegramId, code),
      new Date(now.getTime() + CODE_TTL_SECONDS * 1000),
      now,
      CODE_INTERVAL_MS,
    );
    if (!issued) return false;
    const client = await clientsRepository.findByTelegramId(trx, input.telegramId);
    await notify(deps, trx, [
      {
        dedupeKey: `login-code:${input.telegramId}:${now.getTime()}`,
        recipient: 'client',
        chatId: input.telegramId,
        text: messages.bot.loginCode(code),
        clientId: client?.id ?? null,
      },
    ]);
    return true;
  });
  if (sent) deps.outbox.wake();
  return { expiresIn: CODE_TTL_SECONDS };
}

/**
 * Checks a code. Right → the code is spent and a whole-client token issued (a Telegram id with no client
 * yet gets one). Wrong, expired, dead or spent → `verified: false`. Failures count per requester (the
 * client address, kept as a digest): five at one code and that requester's tries at it are spent; ten
 * within an hour → 429 until the oldest is an hour old. They never count against the Telegram id, so
 * nobody can lock the owner out of a code they asked for from their own chat.
 */
export async function verifyLoginCode(
  deps: Deps,
  _actor: Actor,
  input: { telegramId: string; code: string; requester: string },
): Promise<{ verified: true; token: string } | { verified: false }> {
  const now = deps.clock.now();
  // A digest under the service secret: the address itself is never stored.
  const requester = deps.tokens.codeDigest('requester', input.requester);
  const outcome = await inTransaction(deps, async (trx) => {
    // The limit is checked and the try recorded under the requester's lock: parallel guesses from one
    // address cannot all pass the check before any of them is counted.
    await loginCodesRepository.lockRequester(trx, requester);
    const failures = await loginCodesRepository.failuresOfRequester(
      trx,
      requester,
      new Date(now.getTime() - HOUR_MS),
    );
    if (failures.count >= MAX_FAILURES_PER_HOUR) {
      const retryAfter = Math.max(
        1,
        Math.ceil(((failures.oldest?.getTime() ?? now.getTime()) + HOUR_MS - now.getTime()) / 1000),
      );
      throw new AppError(
        'rate_limited',
        `слишком много неверных попыток, попробуйте через ${retryAfter} с`,
        [],
        { 'retry-after': String(retryAfter) },
      );
    }
    const code = await loginCodesRepository.lockCode(trx, input.telegramId);
    const spentByRequester =
      code &&
      (await loginCodesRepository.failuresAtCode(trx, input.telegramId, requester, code.created_at)) >=
        MAX_TRIES_PER_CODE;
    const result = spentByRequester
      ? 'unusable'
      : await loginCodesRepository.attempt(
          trx,
          input.telegramId,
          deps.tokens.codeDigest(input.telegramId, input.code),
          now,
          MAX_WRONG_PER_CODE,
        );
    if (result !== 'verified') {
      await loginCodesRepository.recordFailure(trx, input.telegramId, requester, now);
      return null;
    }
    return (await clientsRepository.findOrCreateByTelegramId(trx, { telegramId: input.telegramId }, now))
      .client;
  });
  if (!outcome) return { verified: false };
  return { verified: true, token: await deps.tokens.issue({ clientId: outcome.id }, now) };
}
