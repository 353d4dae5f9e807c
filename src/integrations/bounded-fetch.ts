// Reading an outside API's answer with a ceiling: an answer larger than the API ever sends is refused
// unread (by its Content-Length) or cut off while it streams, so a broken or hostile server cannot make
// the service hold megabytes in memory. Video providers (http.ts) and Telegram (grammY) read through it.

export class AnswerTooLarge extends Error {
  override name = 'AnswerTooLarge';
}

/** The answer's text; AnswerTooLarge as soon as it passes `maxBytes`. */
export async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new AnswerTooLarge(`the answer is larger than ${maxBytes} bytes`);
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The part of an AbortSignal that grammY's polyfilled one shares with Node's. */
interface AnySignal {
  aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A fetch for grammY, which would read any answer whole: Node's fetch, the answer read through
 * readBounded. grammY passes the signal of its AbortController polyfill, bridged here to a native one.
 */
export function boundedFetch(maxBytes: number) {
  return async (
    url: string,
    init: { method?: string; headers?: HeadersInit; body?: BodyInit | null; signal?: AnySignal | null },
  ): Promise<Response> => {
    const controller = new AbortController();
    if (init.signal?.aborted) controller.abort();
    else init.signal?.addEventListener('abort', () => controller.abort());
    const response = await fetch(url, {
      ...(init.method ? { method: init.method } : {}),
      ...(init.headers ? { headers: init.headers } : {}),
      ...(init.body ? { body: init.body } : {}),
      signal: controller.signal,
      redirect: 'error',
    });
    const text = await readBounded(response, maxBytes);
    return new Response(text, { status: response.status, statusText: response.statusText });
  };
}
