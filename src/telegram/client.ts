// How the service reaches Telegram, for the bot and the outbox alike: the configured server, a time
// limit per call, answers read with a ceiling and checked to be Telegram's before grammY reads them.
import type { Api, ApiClientOptions } from 'grammy';
import type { Config } from '../config.ts';
import { boundedFetch } from '../integrations/bounded-fetch.ts';

/** The largest answer read from Telegram: a getUpdates page is far smaller. */
const MAX_TELEGRAM_ANSWER_BYTES = 5 * 1024 * 1024;

/** grammY's client options. Its own time limit is 500 s, and a webhook waits for the bot's calls. */
export function telegramClient(config: Config): ApiClientOptions {
  return {
    apiRoot: config.telegram.apiRoot,
    timeoutSeconds: config.telegram.timeoutMs / 1000,
    // grammY types its fetch as node-fetch's; it calls it with a URL string and an init as boundedFetch takes.
    fetch: boundedFetch(MAX_TELEGRAM_ANSWER_BYTES) as unknown as ApiClientOptions['fetch'],
  };
}

/** An answer that is not Telegram's envelope ({ok: true, result} or {ok: false, error_code, description}). */
export class TelegramBadAnswer extends Error {
  override name = 'TelegramBadAnswer';
  readonly code = 'bad_answer';
}

const isEnvelope = (answer: unknown): boolean => {
  if (typeof answer !== 'object' || answer === null) return false;
  const a = answer as Record<string, unknown>;
  if (a.ok === true) return 'result' in a;
  return a.ok === false && Number.isInteger(a.error_code) && typeof a.description === 'string';
};

/** Checks every answer's envelope before grammY reads it (it would take any truthy "ok" for success). */
export function checkedAnswers<A extends Pick<Api, 'config'>>(api: A): A {
  api.config.use(async (previous, method, payload, signal) => {
    const answer: unknown = await previous(method, payload, signal);
    if (!isEnvelope(answer)) throw new TelegramBadAnswer(`${method}: an answer that is not Telegram's`);
    return answer as Awaited<ReturnType<typeof previous>>;
  });
  return api;
}
