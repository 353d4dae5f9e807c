// The operators' chat under load (spec/bot-and-jobs.md, Outbox): new applications arriving faster than
// a group's 20 messages a minute are gathered into one digest a minute, a client's relayed message never
// waits behind them, the chat is paced at one message per 3 s, and every text fits Telegram — the fake
// Bot API refuses what Telegram refuses (over 4 096 characters, callback data over 64 bytes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherNewTicketDigests } from '../../src/commands/new-ticket-digest.ts';
import { notify } from '../../src/commands/session-processes.ts';
import { inTransaction } from '../../src/commands/transaction.ts';
import { withTestApp, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { submitApplication } from '../support/fixtures.ts';
import { ADMIN_CHAT, botEnv, outboxTo, postUpdate, textMessage } from '../support/telegram.ts';

const fake = new FakeTelegram();
beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});

const adminChatTexts = () =>
  fake
    .sent()
    .filter((c) => String(c.body.chat_id) === ADMIN_CHAT)
    .map((c) => String(c.body.text));

const newTicketRows = (t: TestApp) =>
  t.deps.db
    .selectFrom('outbox')
    .select(['id', 'status', 'digest_id', 'lane'])
    .where('dedupe_key', 'like', 'ticket-created:%')
    .orderBy('id')
    .execute();

describe('the operators’ chat under a burst of applications', () => {
  it('sixty applications and then a client’s message: the message goes first, the applications as one digest a minute later', async () => {
    await withTestApp(botEnv(fake.url), async (t) => {
      fake.reset();
      const submitted = [];
      for (let i = 0; i < 60; i++) submitted.push(await submitApplication(t, { name: `Клиент ${i}` }));
      const someone = { id: 9_300_001, first_name: 'Ольга' };
      await postUpdate(t, textMessage(someone, 'Мне очень плохо, ответьте, пожалуйста'));
      const relay = (await outboxTo(t, ADMIN_CHAT)).find((r) => r.text.includes('Мне очень плохо'))!;

      const started = performance.now();
      expect(await t.deps.outbox.deliver([relay.id], 10_000)).toBe(true);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(adminChatTexts()).toEqual([relay.text]);

      // Within their minute the applications wait; nothing else reaches the chat.
      await t.deps.outbox.drain();
      expect(adminChatTexts()).toHaveLength(1);
      expect((await newTicketRows(t)).every((r) => r.status === 'pending' && r.lane === 'digest')).toBe(true);

      // The minute over: one digest naming every ticket with its lead, and no personal detail.
      t.clock.advance(60_000);
      await t.deps.outbox.drain();
      const texts = adminChatTexts();
      expect(texts).toHaveLength(2);
      const digest = texts[1]!;
      expect(digest).toMatch(/^Новые заявки за 07\.12 12:00 \(МСК\): 60\n/);
      for (const s of submitted) expect(digest).toContain(`• ${s.ticket_id} — ${s.lead_number}`);
      expect(digest).not.toContain('Клиент 1');
      const digestRow = await t.deps.db
        .selectFrom('outbox')
        .select(['id', 'status'])
        .where('dedupe_key', 'like', 'ticket-digest:%')
        .executeTakeFirstOrThrow();
      expect(digestRow.status).toBe('sent');
      const rows = await newTicketRows(t);
      expect(rows).toHaveLength(60);
      expect(rows.every((r) => r.status === 'digested' && r.digest_id === digestRow.id)).toBe(true);

      // Later gatherings find nothing: no application is announced twice.
      t.clock.advance(120_000);
      await t.deps.outbox.drain();
      expect(adminChatTexts()).toHaveLength(2);
    });
  }, 60_000);

  it('a lone application of its minute goes as its own message; a 9 000-character request is cut to fit, with the note', async () => {
    await withTestApp(botEnv(fake.url), async (t) => {
      fake.reset();
      const request = 'Мне тяжело. '.repeat(750);
      const submitted = await submitApplication(t, { request_text: request });
      t.clock.advance(60_000);
      await t.deps.outbox.drain();
      const [text] = adminChatTexts();
      expect(adminChatTexts()).toHaveLength(1);
      expect(text).toMatch(new RegExp(`^Новая заявка ${submitted.ticket_id} `));
      expect(text!.length).toBeLessThanOrEqual(4096);
      expect(text!.length).toBeGreaterThan(4000);
      expect(text!.endsWith('\n… полный текст в консоли')).toBe(true);
      expect((await newTicketRows(t)).map((r) => r.status)).toEqual(['sent']);
    });
  });

  it('in a quiet chat a new application goes at once; the next within that minute waits for the gathering', async () => {
    await withTestApp(botEnv(fake.url), async (t) => {
      fake.reset();
      const first = await submitApplication(t, { name: 'Первая' });
      await t.deps.outbox.drain();
      expect(adminChatTexts()).toEqual([
        expect.stringMatching(new RegExp(`^Новая заявка ${first.ticket_id} `)),
      ]);
      t.clock.advance(10_000);
      const second = await submitApplication(t, { name: 'Вторая' });
      await t.deps.outbox.drain();
      expect(adminChatTexts()).toHaveLength(1);
      // Its minute over, the second goes as its own message (alone in its minute).
      t.clock.advance(60_000);
      await t.deps.outbox.drain();
      expect(adminChatTexts()).toHaveLength(2);
      expect(adminChatTexts()[1]).toMatch(new RegExp(`^Новая заявка ${second.ticket_id} `));
      expect((await newTicketRows(t)).map((r) => r.status)).toEqual(['sent', 'sent']);
    });
  }, 30_000);

  it('gatherers racing on one minute write one digest, with each application once', async () => {
    await withTestApp(botEnv(fake.url), async (t) => {
      const submitted = [];
      for (let i = 0; i < 8; i++) submitted.push(await submitApplication(t));
      t.clock.advance(60_000);
      const counts = await Promise.all(Array.from({ length: 6 }, () => gatherNewTicketDigests(t.deps)));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(8);
      const digests = await t.deps.db
        .selectFrom('outbox')
        .select(['id', 'text'])
        .where('dedupe_key', 'like', 'ticket-digest:%')
        .execute();
      expect(digests).toHaveLength(1);
      const rows = await newTicketRows(t);
      expect(rows.every((r) => r.status === 'digested' && r.digest_id === digests[0]!.id)).toBe(true);
      for (const s of submitted) expect(digests[0]!.text.split(s.ticket_id)).toHaveLength(2);
    });
  });
});

describe('pacing', () => {
  it('the operators’ chat gets at most one message every 3 s (20 a minute); a private chat one a second', async () => {
    await withTestApp(botEnv(fake.url), async (t) => {
      fake.reset();
      const person = '9300002';
      await inTransaction(t.deps, (trx) =>
        notify(
          t.deps,
          trx,
          [1, 2, 3].flatMap((n) => [
            {
              dedupeKey: `pace:admin:${n}`,
              recipient: 'admin' as const,
              chatId: ADMIN_CHAT,
              text: `Операторам ${n}`,
            },
            {
              dedupeKey: `pace:client:${n}`,
              recipient: 'client' as const,
              chatId: person,
              text: `Клиенту ${n}`,
            },
          ]),
        ),
      );
      await t.deps.outbox.drain();
      const arrivals = (chat: string) =>
        fake
          .sent()
          .filter((c) => String(c.body.chat_id) === chat)
          .map((c) => c.at);
      const gaps = (at: number[]) => at.slice(1).map((x, i) => x - at[i]!);
      const admin = gaps(arrivals(ADMIN_CHAT));
      const client = gaps(arrivals(person));
      expect(admin).toHaveLength(2);
      expect(Math.min(...admin)).toBeGreaterThanOrEqual(2_990);
      expect(Math.min(...client)).toBeGreaterThanOrEqual(990);
      expect(Math.max(...client)).toBeLessThan(2_500);
    });
  }, 30_000);
});
