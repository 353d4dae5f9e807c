// One HTTP exchange with a video provider's API: a bounded wait (the caller's signal), no redirects, the
// status turned into an error code, the JSON answer checked against what we expect. Errors name what was
// asked and how it went — never the answer's text or a credential (they reach logs and operators).
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { AnswerTooLarge, readBounded } from './bounded-fetch.ts';
import { VideoProviderError } from './video.ts';

/** Larger answers than this are not what these APIs send: refused unread. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  /** What the call is for, in our words (goes into error messages). */
  what: string;
  headers?: Record<string, string>;
  /** JSON-encoded when an object; sent as it is when a URLSearchParams. */
  body?: object | URLSearchParams;
  signal: AbortSignal;
}

export function errorForStatus(status: number, what: string): VideoProviderError {
  const code =
    status === 401 || status === 403
      ? 'unauthorized'
      : status === 404 || status === 410
        ? 'not_found'
        : status === 429
          ? 'rate_limited'
          : status >= 500
            ? 'server_error'
            : 'rejected';
  return new VideoProviderError(code, `${what}: HTTP ${status}`, status);
}

/** Sends the request; resolves with the parsed answer (undefined for an empty one) when it is 2xx. */
export async function callApi(request: ApiRequest): Promise<unknown> {
  const { what, signal } = request;
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | URLSearchParams | undefined;
  if (request.body instanceof URLSearchParams) body = request.body;
  else if (request.body) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  let text: string;
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers, body, signal, redirect: 'error' });
    text = await readBounded(response, MAX_ANSWER_BYTES);
  } catch (error) {
    if (error instanceof AnswerTooLarge)
      throw new VideoProviderError('bad_answer', `${what}: answer too large`, response!.status);
    if (signal.aborted) throw new VideoProviderError('timeout', `${what}: no answer in time`);
    throw new VideoProviderError('network', `${what}: no connection`);
  }
  if (!response.ok) throw errorForStatus(response.status, what);
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new VideoProviderError('bad_answer', `${what}: answer is not JSON`, response.status);
  }
}

/** The answer when it has the expected shape; else a bad_answer error. */
export function expectShape<T extends TSchema>(schema: T, answer: unknown, what: string): Static<T> {
  if (!Value.Check(schema, answer)) throw new VideoProviderError('bad_answer', `${what}: unexpected answer`);
  return answer;
}

/** A link a person will open: https only (a provider's answer never puts another scheme in a message). */
export function isMeetingLink(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && value.length <= 2000;
  } catch {
    return false;
  }
}
