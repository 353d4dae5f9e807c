// A fake Telegram Bot API on 127.0.0.1: records every request and answers like Telegram, or with a
// 429 (retry_after) or a 500 when told to.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  token: string;
  body: Record<string, unknown>;
  at: number;
}

type Fault = { status: 429; retryAfter: number } | { status: 500 };

export class FakeTelegram {
  readonly calls: RecordedCall[] = [];
  private faults: Fault[] = [];
  private server: Server | null = null;
  private nextMessageId = 1;
  url = '';

  /** The next `count` requests fail with the given fault. */
  failNext(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  sent(method = 'sendMessage'): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
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
        const fault = this.faults.shift();
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
        this.calls.push({ method: match[2]!, token: match[1]!, body, at: Date.now() });
        if (match[2] === 'getMe') {
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
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
