// S7 (quality.md): 3 000 outbox messages over 300 chats delivered by the service's own outbox sender to
// a fake Bot API that applies no limits, so what limits the rate is the sender's pacing. The fake runs in
// the bench process (bench/run.ts) and records when each message arrived; the server process
// (bench/server.ts) writes the messages and runs the sender with the service's settings.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api } from 'grammy';
import type { Deps } from '../src/deps.ts';
import { outboxRepository, type OutgoingMessage } from '../src/repositories/outbox.repository.ts';
import { createOutboxSender } from '../src/telegram/outbox-sender.ts';

export const S7_MESSAGES = 3_000;
export const S7_CHATS = 300;

/** Message k goes to chat k mod 300 with the text `S7 <k>`: each chat gets 10, interleaved. */
const chatOf = (k: number) => String(990_000_000 + (k % S7_CHATS));

export interface S7Delivery {
  /** Date.now() when the sender started and when nothing was pending any more. */
  started: number;
  finished: number;
  sent: number;
  failed: number;
  writeSeconds: number;
}

/** In the server process: writes the messages, runs the sender until none is pending, stops it. */
export async function deliverOutbox(deps: Deps, apiRoot: string): Promise<S7Delivery> {
  const writing = performance.now();
  const run = Date.now().toString(36);
  for (let from = 0; from < S7_MESSAGES; from += 500) {
    const batch: OutgoingMessage[] = [];
    for (let k = from; k < Math.min(S7_MESSAGES, from + 500); k++) {
      batch.push({
        dedupeKey: `bench:s7:${run}:${k}`,
        recipient: 'client',
        chatId: chatOf(k),
        text: `S7 ${k}`,
      });
    }
    await outboxRepository.enqueue(deps.db, batch, true, deps.clock.now());
  }
  const writeSeconds = (performance.now() - writing) / 1000;
  const sender = createOutboxSender(deps, new Api('bench:s7', { apiRoot }));
  const started = Date.now();
  sender.start();
  const counts = async () =>
    Object.fromEntries((await outboxRepository.countByStatus(deps.db)).map((r) => [r.status, Number(r.n)]));
  let now = await counts();
  while ((now.pending ?? 0) > 0) {
    if (Date.now() - started > 600_000)
      throw new Error(`S7: ${now.pending} messages still pending after 600 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = await counts();
  }
  const finished = Date.now();
  await sender.stop();
  return { started, finished, sent: now.sent ?? 0, failed: now.failed ?? 0, writeSeconds };
}

/** In the bench process: a Bot API that accepts every sendMessage at once and notes its arrival. */
export class FakeBotApi {
  readonly arrivals: { chat: string; k: number; at: number }[] = [];
  private server: Server | null = null;
  private nextMessageId = 1;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
          chat_id?: string;
          text?: string;
        };
        const k = Number(/^S7 (\d+)$/.exec(body.text ?? '')?.[1] ?? -1);
        this.arrivals.push({ chat: String(body.chat_id), k, at });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ok: true,
            result: {
              message_id: this.nextMessageId++,
              date: Math.floor(at / 1000),
              chat: { id: Number(body.chat_id), type: 'private' },
              text: body.text,
            },
          }),
        );
      });
    });
    // Idle keep-alive connections stay open until stop(): a server closing one just as the sender reuses
    // it would fail that request with a reset and delay the message by a retry.
    this.server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface S7Outcome {
  delivered: number;
  duplicates: number;
  missing: number;
  /** Chats whose messages arrived out of the order they were written. */
  outOfOrderChats: number;
  /** The most messages one chat received within any 1 s window. */
  maxPerChatPerSecond: number;
  /** The most messages all chats received within any 1 s window. */
  maxPerSecond: number;
  /** Delivered messages per second, from the sender's start to the last arrival. */
  messagesPerSec: number;
  seconds: number;
}

/** The most of these times (ms, ascending) that fall within any window [t, t + 1000). */
function busiestSecond(times: number[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j]! <= times[i]! - 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

export function judgeDelivery(arrivals: FakeBotApi['arrivals'], delivery: S7Delivery): S7Outcome {
  const seen = new Map<number, number>();
  const byChat = new Map<string, { k: number; at: number }[]>();
  for (const a of arrivals) {
    seen.set(a.k, (seen.get(a.k) ?? 0) + 1);
    byChat.set(a.chat, [...(byChat.get(a.chat) ?? []), a]);
  }
  let outOfOrderChats = 0;
  let maxPerChatPerSecond = 0;
  for (const received of byChat.values()) {
    if (received.some((r, i) => i > 0 && r.k < received[i - 1]!.k)) outOfOrderChats++;
    maxPerChatPerSecond = Math.max(maxPerChatPerSecond, busiestSecond(received.map((r) => r.at)));
  }
  const last = Math.max(...arrivals.map((a) => a.at));
  const seconds = (last - delivery.started) / 1000;
  const delivered = [...seen.keys()].filter((k) => k >= 0 && k < S7_MESSAGES).length;
  return {
    delivered,
    duplicates: [...seen.values()].reduce((sum, n) => sum + n - 1, 0),
    missing: S7_MESSAGES - delivered,
    outOfOrderChats,
    maxPerChatPerSecond,
    maxPerSecond: busiestSecond(arrivals.map((a) => a.at)),
    messagesPerSec: delivered / seconds,
    seconds,
  };
}
