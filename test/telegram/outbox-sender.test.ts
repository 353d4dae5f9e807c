// The outbox sender against the fake Bot API over real HTTP: every message delivered exactly once, in
// its chat's order, paced, retried through Telegram's faults (quality.md R4), given up on when it must,
// never sent by two senders, and the operators' reply threads recorded.
import { Api } from 'grammy';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/database.ts';
import type { Deps } from '../../src/deps.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { outboxRepository, type OutgoingMessage } from '../../src/repositories/outbox.repository.ts';
import {
  createOutboxSender,
  disabledOutbox,
  type OutboxSender,
  type OutboxSenderOptions,
} from '../../src/telegram/outbox-sender.ts';
import { createTestApp, withTestApp, type TestApp } from '../support/app.ts';
import { onPostgres } from '../support/database.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';

const TOKEN = '123456:outbox-test-token';
/** No pacing and short retries, for the tests that are not about them. */
const QUICK: OutboxSenderOptions = { chatIntervalMs: 0, perSecond: 10_000, backoffBaseMs: 10 };

let t: TestApp;
let fake: FakeTelegram;
const senders: OutboxSender[] = [];
let serial = 0;

beforeAll(async () => {
  fake = new FakeTelegram();
  await fake.start();
  t = await createTestApp({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url });
});

afterAll(async () => {
  // Ids, statuses and error codes only: no text and no chat id reaches the log.
  const logs = t.logs.text();
  expect(logs).toContain('outbox message');
  expect(logs).not.toContain('Сообщение');
  expect(logs).not.toContain(chat(1));
  await t.close();
  await fake.stop();
});

beforeEach(async () => {
  fake.reset();
  await t.deps.db.deleteFrom('admin_threads').execute();
  await t.deps.db.deleteFrom('outbox').execute();
});

afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.stop()));
});

/** Private chat ids that appear nowhere else (the log check looks for them). */
const chat = (n: number) => String(7_700_000_000 + n);

function sender(options: OutboxSenderOptions = {}, deps: Deps = t.deps): OutboxSender {
  const s = createOutboxSender(deps, new Api(TOKEN, { apiRoot: fake.url }), { ...QUICK, ...options });
  senders.push(s);
  return s;
}

type Message = Partial<OutgoingMessage> & Pick<OutgoingMessage, 'chatId' | 'text'>;

async function write(messages: Message[], deliverable = true): Promise<number[]> {
  return outboxRepository.enqueue(
    t.deps.db,
    messages.map((m) => ({ dedupeKey: `test:${++serial}`, recipient: 'client', ...m })),
    deliverable,
    t.clock.now(),
  );
}

/** `count` messages to each chat, written round-robin (so chats interleave in id order). */
async function writeMany(chats: string[], count: number): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>(chats.map((c) => [c, []]));
  const messages: Message[] = [];
  for (let i = 1; i <= count; i++) {
    for (const c of chats) {
      const text = `Сообщение ${i} для ${c}`;
      expected.get(c)!.push(text);
      messages.push({ chatId: c, text });
    }
  }
  await write(messages);
  return expected;
}

const rows = () => t.deps.db.selectFrom('outbox').selectAll().orderBy('id').execute();
const row = (id: number) =>
  t.deps.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** How often each text reached Telegram. */
function deliveries(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of fake.sent())
    counts.set(String(call.body.text), (counts.get(String(call.body.text)) ?? 0) + 1);
  return counts;
}

function expectEachOnceInOrder(expected: Map<string, string[]>): void {
  const received = fake.textsByChat();
  for (const [c, texts] of expected) expect(received.get(c), `chat ${c}`).toEqual(texts);
  expect([...deliveries().values()].every((n) => n === 1)).toBe(true);
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('delivery', () => {
  it('sends every pending row once, with its inline keyboard, and records Telegram’s message id', async () => {
    const keyboard = [
      [
        { text: 'Подтвердить', callback_data: 'confirm:x' },
        { text: 'Отменить', callback_data: 'cancel:x' },
      ],
      [{ text: 'Сайт', url: 'https://example.org/' }],
    ];
    const [withButtons, plain] = await write([
      { chatId: chat(1), text: 'Сообщение с кнопками', buttons: keyboard },
      { chatId: chat(2), text: 'Сообщение без кнопок' },
    ]);
    const s = sender();
    expect(await s.drain()).toEqual({ sent: 2, failed: 0, retried: 0 });
    expect(await s.drain()).toEqual({ sent: 0, failed: 0, retried: 0 });

    const calls = fake.sent();
    expect(calls).toHaveLength(2);
    const byText = new Map(calls.map((c) => [c.body.text, c.body]));
    expect(byText.get('Сообщение с кнопками')).toMatchObject({
      chat_id: chat(1),
      reply_markup: { inline_keyboard: keyboard },
    });
    expect(byText.get('Сообщение без кнопок')).not.toHaveProperty('reply_markup');
    for (const id of [withButtons!, plain!]) {
      const r = await row(id);
      expect(r).toMatchObject({ status: 'sent', attempts: 1, last_error: null, next_attempt_at: null });
      expect(r.sent_at?.toISOString()).toBe(t.clock.now().toISOString());
      expect(Number(r.telegram_message_id)).toBeGreaterThan(0);
    }
  });

  it('keeps each chat’s order while requests to many chats overlap', async () => {
    fake.latency = () => Math.random() * 15;
    const expected = await writeMany(
      Array.from({ length: 8 }, (_, i) => chat(10 + i)),
      6,
    );
    const s = sender({ concurrency: 10 });
    expect((await s.drain()).sent).toBe(48);
    expectEachOnceInOrder(expected);
  });

  it('leaves skipped rows alone', async () => {
    const [skipped] = await write([{ chatId: chat(3), text: 'Сообщение без бота' }], false);
    const [pending] = await write([{ chatId: chat(3), text: 'Сообщение с ботом' }]);
    const before = await row(skipped!);
    expect(before.status).toBe('skipped');
    expect(await sender().drain()).toEqual({ sent: 1, failed: 0, retried: 0 });
    expect(await row(skipped!)).toEqual(before);
    expect((await row(pending!)).status).toBe('sent');
    expect(fake.sent().map((c) => c.body.text)).toEqual(['Сообщение с ботом']);
  });

  it('records the thread of a client’s message forwarded to the operators', async () => {
    const client = await t.deps.db
      .insertInto('hraniteli_clients')
      .values({ lead_number: 'ot0001' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const [forwarded, toClient, noClient] = await write([
      { recipient: 'admin', chatId: '-100500', text: 'Сообщение клиента ot0001', clientId: client.id },
      { recipient: 'client', chatId: chat(4), text: 'Сообщение клиенту', clientId: client.id },
      { recipient: 'admin', chatId: '-100500', text: 'Сообщение операторам' },
    ]);
    await sender().drain();
    const threads = await t.deps.db.selectFrom('admin_threads').selectAll().execute();
    expect(threads).toHaveLength(1);
    expect(threads[0]).toMatchObject({
      admin_message_id: (await row(forwarded!)).telegram_message_id,
      client_id: client.id,
    });
    expect((await row(toClient!)).status).toBe('sent');
    expect((await row(noClient!)).status).toBe('sent');
  });
});

describe('pacing', () => {
  it('sends a chat at most one message a second and at most 30 a second in all', async () => {
    const busy = chat(20);
    await write([1, 2, 3].map((i) => ({ chatId: busy, text: `Сообщение ${i} занятому чату` })));
    await writeMany(
      Array.from({ length: 40 }, (_, i) => chat(100 + i)),
      1,
    );
    const s = sender({ chatIntervalMs: 1000, perSecond: 30 });
    const started = Date.now();
    expect((await s.drain()).sent).toBe(43);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);

    const arrivals = fake.sent().map((c) => c.at);
    const toBusy = fake.sent().filter((c) => c.body.chat_id === busy);
    expect(toBusy.map((c) => c.body.text)).toEqual([1, 2, 3].map((i) => `Сообщение ${i} занятому чату`));
    for (let i = 1; i < toBusy.length; i++) {
      expect(toBusy[i]!.at - toBusy[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    }
    const most = Math.max(...arrivals.map((a) => arrivals.filter((b) => b >= a && b < a + 1000).length));
    expect(most).toBeLessThanOrEqual(30);
    expect(most).toBeGreaterThanOrEqual(20);
  });
});

describe('Telegram faults', () => {
  it('R4: through 429s, 500s and dropped connections every message arrives once, in order, failures visible', async () => {
    const expected = await writeMany(
      Array.from({ length: 5 }, (_, i) => chat(30 + i)),
      4,
    );
    fake.failNext({ status: 429, retryAfter: 1 }, 3);
    fake.failNext({ status: 500 }, 6);
    fake.failNext({ status: 'disconnect' }, 2);
    // The running loop on the wall clock, as in production.
    const s = sender({ maxAttempts: 20, pollMs: 50 }, { ...t.deps, clock: systemClock });
    s.start();
    s.wake();
    const listing = async () =>
      (await t.admin({ method: 'GET', url: '/admin/outbox?limit=500' })).json() as {
        messages: { id: number; status: string; attempts: number; last_error: string | null }[];
      };
    await until(async () => (await listing()).messages.every((m) => m.status === 'sent'), 20_000);

    expectEachOnceInOrder(expected);
    expect(fake.sent()).toHaveLength(20);
    const { messages } = await listing();
    // Every request is one attempt of one row: the faults show in the attempts and the kept errors.
    expect(messages.reduce((sum, m) => sum + m.attempts, 0)).toBe(fake.requests.length);
    expect(fake.requests.length).toBe(20 + 11);
    const errors = messages.map((m) => m.last_error ?? '');
    expect(errors.filter((e) => e.startsWith('429:'))).not.toHaveLength(0);
    expect(errors.filter((e) => e.startsWith('network:'))).not.toHaveLength(0);
    expect(messages.filter((m) => m.attempts > 1).every((m) => m.last_error)).toBe(true);
    expect(t.logs.text()).toContain('"errorCode":500');
  });

  it('on a 429 holds the message and the rest of its chat for retry_after; other chats go on', async () => {
    const [first, second, other] = await write([
      { chatId: chat(40), text: 'Сообщение 1 после паузы' },
      { chatId: chat(40), text: 'Сообщение 2 после паузы' },
      { chatId: chat(41), text: 'Сообщение другому чату' },
    ]);
    fake.failChat(chat(40), { status: 429, retryAfter: 7 });
    const s = sender();
    expect(await s.drain()).toEqual({ sent: 1, failed: 0, retried: 1 });
    expect(await row(first!)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: '429: Too Many Requests: retry after 7',
      next_attempt_at: new Date(t.clock.now().getTime() + 7000),
    });
    expect((await row(second!)).status).toBe('pending');
    expect((await row(other!)).status).toBe('sent');

    t.clock.advance(6_999);
    expect((await s.drain()).sent).toBe(0);
    t.clock.advance(1);
    expect(await s.drain()).toEqual({ sent: 2, failed: 0, retried: 0 });
    expect(fake.textsByChat().get(chat(40))).toEqual(['Сообщение 1 после паузы', 'Сообщение 2 после паузы']);
    expect((await row(first!)).attempts).toBe(2);
  });

  it('retries 5xx and network errors with growing pauses and gives up at the last attempt', async () => {
    const [doomed, next] = await write([
      { chatId: chat(50), text: 'Сообщение, которое не дойдёт' },
      { chatId: chat(50), text: 'Сообщение после неудачи' },
    ]);
    fake.failChat(chat(50), { status: 500 });
    fake.failChat(chat(50), { status: 'disconnect' });
    fake.failChat(chat(50), { status: 500 });
    const s = sender({ maxAttempts: 3, backoffBaseMs: 1000 });

    expect(await s.drain()).toEqual({ sent: 0, failed: 0, retried: 1 });
    const afterFirst = await row(doomed!);
    expect(afterFirst.last_error).toBe('500: Internal Server Error');
    expect(afterFirst.next_attempt_at).toEqual(new Date(t.clock.now().getTime() + 1000));

    t.clock.advance(1000);
    expect(await s.drain()).toEqual({ sent: 0, failed: 0, retried: 1 });
    const afterSecond = await row(doomed!);
    expect(afterSecond.last_error).toMatch(/^network: /);
    expect(afterSecond.next_attempt_at).toEqual(new Date(t.clock.now().getTime() + 2000));

    t.clock.advance(2000);
    // The third failure is the last attempt; the chat's next message is not held back by it.
    expect(await s.drain()).toEqual({ sent: 1, failed: 1, retried: 0 });
    expect(await row(doomed!)).toMatchObject({ status: 'failed', attempts: 3, next_attempt_at: null });
    expect((await row(doomed!)).last_error).toMatch(/^500: Internal Server Error/);
    expect((await row(next!)).status).toBe('sent');
    expect(fake.sent().map((c) => c.body.text)).toEqual(['Сообщение после неудачи']);
  });

  it('fails a message at once when the person blocked the bot or the chat does not exist', async () => {
    const [blocked, afterBlocked, unknown] = await write([
      { chatId: chat(60), text: 'Сообщение заблокировавшему' },
      { chatId: chat(60), text: 'Сообщение заблокировавшему ещё' },
      { chatId: chat(61), text: 'Сообщение в никуда' },
    ]);
    fake.failChat(chat(60), { status: 403 }, 2);
    fake.failChat(chat(61), { status: 400 });
    expect(await sender().drain()).toEqual({ sent: 0, failed: 3, retried: 0 });
    expect(await row(blocked!)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: '403: Forbidden: bot was blocked by the user',
    });
    expect((await row(afterBlocked!)).status).toBe('failed');
    expect(await row(unknown!)).toMatchObject({
      status: 'failed',
      last_error: '400: Bad Request: chat not found',
    });
  });
});

describe('claims', () => {
  it('two senders on one database never send a row twice and keep each chat’s order', async () => {
    // On PostgreSQL the second sender has a connection pool of its own, as another instance would.
    const url = (t.deps.database as Database & { url?: string }).url;
    const other = onPostgres() && url ? openPostgres(url, 10) : undefined;
    try {
      fake.latency = () => Math.random() * 10;
      const expected = await writeMany(
        Array.from({ length: 20 }, (_, i) => chat(200 + i)),
        5,
      );
      const a = sender({ concurrency: 10 });
      const b = sender({ concurrency: 10 }, other ? { ...t.deps, database: other, db: other.db } : t.deps);
      const [fromA, fromB] = await Promise.all([a.drain(), b.drain()]);
      expect(fromA.sent + fromB.sent).toBe(100);
      expect(fromA.sent).toBeGreaterThan(0);
      expect(fromB.sent).toBeGreaterThan(0);
      expect(fake.requests).toHaveLength(100);
      expectEachOnceInOrder(expected);
      expect((await rows()).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    } finally {
      await other?.close();
    }
  });

  it('concurrent claims never take one row twice, nor two rows of one chat', async () => {
    const url = (t.deps.database as Database & { url?: string }).url;
    const other = onPostgres() && url ? openPostgres(url, 10) : undefined;
    try {
      await writeMany(
        Array.from({ length: 40 }, (_, i) => chat(300 + i)),
        2,
      );
      const now = t.clock.now();
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          outboxRepository.claim(i % 2 && other ? other.db : t.deps.db, {
            now,
            leaseUntil: new Date(now.getTime() + 60_000),
            limit: 3,
          }),
        ),
      );
      const taken = claims.flat();
      expect(new Set(taken.map((r) => r.id)).size).toBe(taken.length);
      expect(new Set(taken.map((r) => r.chat_id)).size).toBe(taken.length);
      expect(taken.every((r) => r.text.startsWith('Сообщение 1 '))).toBe(true);
      expect(taken.length).toBe(40);
    } finally {
      await other?.close();
    }
  });

  it('a sender that dies after claiming delays its message until the lease ends, then it goes once', async () => {
    const [claimedByTheDead, behind] = await write([
      { chatId: chat(70), text: 'Сообщение умершего отправителя' },
      { chatId: chat(70), text: 'Сообщение за ним' },
    ]);
    const now = t.clock.now();
    const taken = await outboxRepository.claim(t.deps.db, {
      now,
      leaseUntil: new Date(now.getTime() + 60_000),
      limit: 10,
    });
    expect(taken.map((r) => r.id)).toEqual([claimedByTheDead]);

    const s = sender();
    expect((await s.drain()).sent).toBe(0);
    t.clock.advance(60_000);
    expect((await s.drain()).sent).toBe(2);
    expect(fake.textsByChat().get(chat(70))).toEqual(['Сообщение умершего отправителя', 'Сообщение за ним']);
    expect((await row(claimedByTheDead!)).attempts).toBe(2);
    expect((await row(behind!)).attempts).toBe(1);
  });

  it('a claim that was taken over cannot mark the row any more', async () => {
    const [id] = await write([{ chatId: chat(71), text: 'Сообщение под двумя заявками' }]);
    const claim = (at: Date) =>
      outboxRepository.claim(t.deps.db, { now: at, leaseUntil: new Date(at.getTime() + 60_000), limit: 1 });
    const [stale] = await claim(t.clock.now());
    t.clock.advance(60_000);
    const [current] = await claim(t.clock.now());
    expect(current!.attempts).toBe(2);
    expect(await outboxRepository.markSent(t.deps.db, stale!, '1', t.clock.now())).toBe(false);
    expect(await outboxRepository.markFailed(t.deps.db, stale!, 'x', t.clock.now())).toBe(false);
    expect((await row(id!)).status).toBe('pending');
    expect(await outboxRepository.markSent(t.deps.db, current!, '2', t.clock.now())).toBe(true);
  });
});

describe('deliver and the loop', () => {
  it('deliver sends the rows now, after their chat’s older messages, and says whether all were sent', async () => {
    const [older, wanted] = await write([
      { chatId: chat(80), text: 'Сообщение раньше кода' },
      { chatId: chat(80), text: 'Сообщение с кодом' },
    ]);
    await write([{ chatId: chat(81), text: 'Сообщение из очереди' }]);
    const s = sender({ chatIntervalMs: 50 });
    expect(await s.deliver([wanted!], 5_000)).toBe(true);
    expect(fake.sent().map((c) => c.body.text)).toEqual(['Сообщение раньше кода', 'Сообщение с кодом']);
    expect((await row(older!)).status).toBe('sent');
    expect(await s.deliver([], 0)).toBe(true);
  });

  it('deliver answers false for skipped and failed rows at once, and for a stuck row after waitMs', async () => {
    const [skipped] = await write([{ chatId: chat(82), text: 'Сообщение без бота' }], false);
    const [blocked] = await write([{ chatId: chat(83), text: 'Сообщение заблокировавшему' }]);
    const [stuck] = await write([{ chatId: chat(84), text: 'Сообщение в сломанный Telegram' }]);
    fake.failChat(chat(83), { status: 403 });
    fake.failChat(chat(84), { status: 500 }, 100);
    const s = sender();

    let started = Date.now();
    expect(await s.deliver([skipped!], 5_000)).toBe(false);
    expect(await s.deliver([blocked!], 5_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);

    started = Date.now();
    expect(await s.deliver([stuck!], 300)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await row(stuck!)).status).toBe('pending');
  });

  it('without a bot token the outbox sends nothing and deliver answers false', async () => {
    await withTestApp({}, async (plain) => {
      expect(plain.deps.outbox).toBe(disabledOutbox);
      expect(await plain.deps.outbox.deliver([1], 5_000)).toBe(false);
    });
  });

  it('the running loop sends on wake() without waiting for its poll, and stop() waits for sends in flight', async () => {
    const s = sender({ pollMs: 60_000 });
    s.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [id] = await write([{ chatId: chat(90), text: 'Сообщение по пробуждению' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.requests).toHaveLength(0);
    s.wake();
    await until(async () => (await row(id!)).status === 'sent', 2_000);

    fake.latency = 300;
    const [slow] = await write([{ chatId: chat(91), text: 'Сообщение в пути' }]);
    s.wake();
    await until(async () => fake.requests.length === 2, 2_000);
    await s.stop();
    expect((await row(slow!)).status).toBe('sent');
  });
});
