// A fake Telegram Bot API on 127.0.0.1: records every request in arrival order and answers like
// Telegram, or — when told to, for all requests or for one chat's — with a 429 (retry_after), a 500, a
// 403/400 that Telegram gives for a blocked bot or an unknown chat, a dropped connection, or garbage: a
// body that is not Telegram's (HTML, broken JSON, another shape), a body of megabytes sent without a
// length, or no answer at all; optionally after a delay, so that requests overlap. Like Telegram it
// refuses (400) a message longer than 4 096 characters and callback data longer than 64 bytes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  token: string;
  body: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
  /** The HTTP status answered; 0 for a dropped connection. */
  status: number;
}

export type Fault =
  | { status: 429; retryAfter: number }
  | { status: 500 }
  | { status: 400 | 403; description?: string }
  | { status: 'disconnect' }
  /** This text as the body (status 200 unless given). */
  | { status: 'garbage'; body: string; code?: number }
  /** {"ok":true,"result":"xxx…"} of this many bytes, streamed without a Content-Length. */
  | { status: 'stream'; bytes: number }
  /** Headers and then nothing, until the client gives up. */
  | { status: 'hang' };

/** What Telegram refuses whatever the chat: a text or button data over its limits. */
function refusal(call: RecordedCall): Fault | undefined {
  if (call.method !== 'sendMessage') return undefined;
  if (String(call.body.text ?? '').length > 4096)
    return { status: 400, description: 'Bad Request: message is too long' };
  const markup = call.body.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
  const buttons = (markup?.inline_keyboard ?? []).flat();
  if (buttons.some((b) => b.callback_data !== undefined && Buffer.byteLength(b.callback_data) > 64))
    return { status: 400, description: 'Bad Request: BUTTON_DATA_INVALID' };
  return undefined;
}

const DESCRIPTIONS = {
  400: 'Bad Request: chat not found',
  403: 'Forbidden: bot was blocked by the user',
};

export class FakeTelegram {
  /** Requests that were answered with success, in arrival order. */
  readonly calls: RecordedCall[] = [];
  /** Every request, faulted ones included, in arrival order. */
  readonly requests: RecordedCall[] = [];
  /** Milliseconds to wait before answering: a number, or a function of the request. */
  latency: number | ((call: RecordedCall) => number) = 0;
  private faults: Fault[] = [];
  private readonly chatFaults = new Map<string, Fault[]>();
  private server: Server | null = null;
  private nextMessageId = 1;
  url = '';

  /** The next `count` requests fail with the given fault. */
  failNext(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  /** The next `count` requests to this chat fail with the given fault (before any failNext fault). */
  failChat(chatId: string, fault: Fault, count = 1): void {
    const queue = this.chatFaults.get(chatId) ?? [];
    for (let i = 0; i < count; i++) queue.push(fault);
    this.chatFaults.set(chatId, queue);
  }

  /** Forgets recorded requests and pending faults (between tests sharing one fake). */
  reset(): void {
    this.calls.length = 0;
    this.requests.length = 0;
    this.faults = [];
    this.chatFaults.clear();
    this.latency = 0;
  }

  sent(method = 'sendMessage'): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The texts each chat received, in arrival order. */
  textsByChat(): Map<string, string[]> {
    const byChat = new Map<string, string[]>();
    for (const call of this.sent()) {
      const chat = String(call.body.chat_id);
      byChat.set(chat, [...(byChat.get(chat) ?? []), String(call.body.text)]);
    }
    return byChat;
  }

  private nextFault(chatId: string): Fault | undefined {
    const queue = this.chatFaults.get(chatId);
    if (queue?.length) return queue.shift();
    return this.faults.shift();
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const match = /^\/bot([^/]+)\/(\w+)/.exec(req.url ?? '');
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown>;
        try {
          body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        } catch {
          body = { raw };
        }
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
        const call: RecordedCall = { method: match[2]!, token: match[1]!, body, at: Date.now(), status: 200 };
        const fault = this.nextFault(String(body.chat_id ?? '')) ?? refusal(call);
        this.requests.push(call);
        const answer = () => {
          if (fault?.status === 'disconnect') {
            call.status = 0;
            res.socket?.destroy();
            return;
          }
          if (fault?.status === 'garbage') {
            call.status = fault.code ?? 200;
            res.writeHead(call.status, { 'content-type': 'application/json' });
            return res.end(fault.body);
          }
          if (fault?.status === 'stream') {
            call.status = 200;
            res.writeHead(200, { 'content-type': 'application/json' });
            const chunk = Buffer.alloc(64 * 1024, 'x');
            let left = fault.bytes;
            const more = () => {
              while (left > 0 && !res.destroyed) {
                left -= chunk.length;
                if (!res.write(chunk)) return void res.once('drain', more);
              }
              res.end('"}');
            };
            // Telegram's envelope around megabytes: whole, it would read as a success.
            res.write('{"ok":true,"result":"');
            return more();
          }
          if (fault?.status === 'hang') {
            call.status = 0;
            res.writeHead(200, { 'content-type': 'application/json' });
            return;
          }
          if (fault) call.status = fault.status;
          if (fault?.status === 429) {
            return reply(429, {
              ok: false,
              error_code: 429,
              description: `Too Many Requests: retry after ${fault.retryAfter}`,
              parameters: { retry_after: fault.retryAfter },
            });
          }
          if (fault?.status === 500)
            return reply(500, { ok: false, error_code: 500, description: 'Internal Server Error' });
          if (fault) {
            return reply(fault.status, {
              ok: false,
              error_code: fault.status,
              description: fault.description ?? DESCRIPTIONS[fault.status],
            });
          }
          this.calls.push(call);
          if (call.method === 'getMe') {
            return reply(200, {
              ok: true,
              result: { id: 1, is_bot: true, first_name: 'Hraniteli', username: 'hraniteli_test_bot' },
            });
          }
          return reply(200, {
            ok: true,
            result: {
              message_id: this.nextMessageId++,
              date: Math.floor(Date.now() / 1000),
              chat: { id: Number(body.chat_id) || 0, type: 'private' },
              text: body.text,
            },
          });
        };
        const delay = typeof this.latency === 'function' ? this.latency(call) : this.latency;
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
    });
    // Idle keep-alive connections stay open until stop(): a server closing one just as the client reuses
    // it would fail that request with a reset, a retry the tests do not expect.
    this.server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
