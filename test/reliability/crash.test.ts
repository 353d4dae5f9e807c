// R2 of quality.md on PostgreSQL: the real service (a child process) is killed with SIGKILL in the middle
// of a booking storm, and in the middle of outbox delivery, then started again on the same database.
// After the booking crash: the invariant check passes, every booking answered 201 is in the database,
// and every committed booking has the operators' line in the outbox (written in the booking's own
// transaction) and — once its video link is set — the client's and psychologist's messages. After the
// delivery crash: every message is delivered, none more than twice, and only a message that Telegram
// had accepted before the kill is repeated (at most one per chat, at most one per send in flight).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { outboxRepository, type OutgoingMessage } from '../../src/repositories/outbox.repository.ts';
import { createTestDatabase, onPostgres } from '../support/database.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { call, killAll, startService, until, type ServiceProcess } from '../support/service-process.ts';

const running: ServiceProcess[] = [];
const databases: Database[] = [];

async function service(env: Record<string, string>): Promise<ServiceProcess> {
  const proc = await startService(env);
  running.push(proc);
  return proc;
}

async function database(): Promise<Database & { url: string }> {
  const made = await createTestDatabase();
  databases.push(made);
  return made as Database & { url: string };
}

afterAll(async () => {
  try {
    await killAll(running);
  } finally {
    for (const made of databases) await made.close();
  }
});

/** Whole hours from a week ahead: far from MIN_LEAD_MINUTES and from any "past" rule. */
function slotTimes(count: number): string[] {
  const first = new Date();
  first.setUTCHours(0, 0, 0, 0);
  first.setUTCDate(first.getUTCDate() + 7);
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(first);
    at.setUTCDate(first.getUTCDate() + Math.floor(i / 12));
    at.setUTCHours(6 + (i % 12));
    return at.toISOString();
  });
}

const describeOnPostgres = onPostgres() ? describe : describe.skip;
if (!onPostgres()) console.warn('R2 crash tests skipped: TEST_DATABASE_URL is not set (see .ci/run)');

describeOnPostgres('R2: SIGKILL during a booking storm', () => {
  const SLOTS = 200;
  const CLIENTS = 400;
  const CONCURRENCY = 50;
  const KILL_AFTER_SUCCESSES = 60;
  let db: Database & { url: string };
  let env: Record<string, string>;
  let proc: ServiceProcess;
  let slots: { id: string }[] = [];
  const leads: string[] = [];

  beforeAll(async () => {
    db = await database();
    env = { DATABASE_URL: db.url, TELEGRAM_ADMIN_CHAT_ID: '-1000', VIDEO_TIMEOUT_MS: '1000' };
    proc = await service(env);
    const psychologist = await call(proc, 'POST', '/admin/psychologists', {
      name: 'Штормовая Анна',
      sex: 'female',
      min_price: 2000,
      max_price: 4000,
      queries: ['Тревога'],
    });
    expect(psychologist.status, JSON.stringify(psychologist.body)).toBe(201);
    const psychologistId = (psychologist.body!.psychologist as { id: string }).id;
    const added = await call(proc, 'POST', '/admin/slots', {
      psychologist_id: psychologistId,
      slots: slotTimes(SLOTS),
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    slots = added.body!.created as { id: string }[];
    expect(slots).toHaveLength(SLOTS);
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, CLIENTS - i) }, (_, j) =>
          call(proc, 'POST', '/submit-application', {
            name: 'Мария',
            age: 30,
            contact: { type: 'telegram', value: `@storm_client_${i + j}` },
            selected_slots: [],
            preferences: { gender: 'any', price_max: 5000, specializations: [] },
          }),
        ),
      );
      for (const made of batch) {
        expect(made.status, JSON.stringify(made.body)).toBe(200);
        leads.push(String(made.body!.lead_number));
      }
    }
  });

  it('keeps every answered booking, the invariant and the outbox across a kill -9', async () => {
    const booked: { sessionId: string; slotId: string }[] = [];
    const unexpected: string[] = [];
    let attempts = 0;
    let killed = false;
    // Each worker books random slots for random clients until the server is gone: every answer before
    // the kill must be a 201 or a 409 (slot taken, or the client's ticket already has a session).
    const worker = async () => {
      while (!killed) {
        const slot = slots[Math.floor(Math.random() * slots.length)]!;
        const lead = leads[Math.floor(Math.random() * leads.length)]!;
        attempts++;
        let answer;
        try {
          answer = await call(proc, 'POST', '/admin/sessions', { slot_id: slot.id, lead_number: lead });
        } catch {
          if (!killed) unexpected.push('connection failed before the kill');
          return;
        }
        if (answer.status === 201) {
          booked.push({ sessionId: (answer.body!.session as { id: string }).id, slotId: slot.id });
        } else if (answer.status !== 409) {
          unexpected.push(`${answer.status} ${JSON.stringify(answer.body)}`);
        }
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    await until(`${KILL_AFTER_SUCCESSES} bookings answered 201`, () => booked.length >= KILL_AFTER_SUCCESSES);
    killed = true;
    await proc.kill();
    await Promise.all(workers);
    const answeredBeforeKill = [...booked];
    expect(unexpected).toEqual([]);
    expect(answeredBeforeKill.length).toBeLessThan(SLOTS);

    proc = await service(env);

    expect(await invariantViolations(db.db)).toEqual([]);
    const sessions = await db.db
      .selectFrom('hraniteli_sessions')
      .select(['id', 'slot_id', 'status', 'start_at', 'meeting_link', 'link_claimed_until'])
      .execute();
    const byId = new Map(sessions.map((s) => [s.id, s]));
    for (const answered of answeredBeforeKill) {
      const stored = byId.get(answered.sessionId);
      expect(stored, `session ${answered.sessionId} answered 201 before the kill`).toBeDefined();
      expect(stored!.slot_id).toBe(answered.slotId);
      expect(stored!.status).toBe('pending');
    }
    // Committed but not answered (in flight at the kill) is allowed; the other way round is not.
    expect(sessions.length).toBeGreaterThanOrEqual(answeredBeforeKill.length);

    const keys = async () =>
      new Set((await db.db.selectFrom('outbox').select('dedupe_key').execute()).map((row) => row.dedupe_key));
    const bookingKey = (s: { id: string; start_at: Date }) => `booking:${s.id}:${s.start_at.toISOString()}`;
    const written = await keys();
    for (const session of sessions) {
      expect(written.has(`${bookingKey(session)}:admin`), `operators' line of ${session.id}`).toBe(true);
    }

    // Links the dead process was making stay claimed until the claim expires (the meeting-links sweep
    // then takes them); every other session gets its link at start-up, with its two messages in the
    // same transaction.
    const linkedOrClaimed = async () => {
      const now = new Date();
      const rows = await db.db
        .selectFrom('hraniteli_sessions')
        .select(['id', 'meeting_link', 'link_claimed_until'])
        .execute();
      return rows.every((r) => r.meeting_link !== null || (r.link_claimed_until ?? now) > now);
    };
    await until('every session linked, or claimed by the killed process', linkedOrClaimed, 20_000);
    const after = await db.db
      .selectFrom('hraniteli_sessions')
      .select(['id', 'start_at', 'meeting_link'])
      .execute();
    const outbox = await keys();
    for (const session of after.filter((s) => s.meeting_link !== null)) {
      expect(outbox.has(`${bookingKey(session)}:client`), `client's message of ${session.id}`).toBe(true);
      expect(
        outbox.has(`${bookingKey(session)}:psychologist`),
        `psychologist's message of ${session.id}`,
      ).toBe(true);
    }
    // A link is made by the process that booked, within a second of its commit: only the few bookings
    // in flight at the kill can still be waiting for the sweep.
    expect(after.filter((s) => s.meeting_link === null).length).toBeLessThanOrEqual(CONCURRENCY);

    // The restarted service books the remaining slots as before.
    const free = slots.find((slot) => !sessions.some((s) => s.slot_id === slot.id))!;
    const newcomer = await call(proc, 'POST', '/submit-application', {
      name: 'Мария',
      age: 30,
      contact: { type: 'telegram', value: '@storm_after_restart' },
      selected_slots: [],
      preferences: { gender: 'any', price_max: 5000, specializations: [] },
    });
    expect(newcomer.status).toBe(200);
    const again = await call(proc, 'POST', '/admin/sessions', {
      slot_id: free.id,
      lead_number: String(newcomer.body!.lead_number),
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await invariantViolations(db.db)).toEqual([]);
    console.info(
      `R2 booking storm: ${attempts} attempts, ${answeredBeforeKill.length} answered 201 before the kill, ` +
        `${sessions.length} committed, ${after.filter((s) => s.meeting_link === null).length} left for the link sweep`,
    );
  });
});

describeOnPostgres('R2: SIGKILL during outbox delivery', () => {
  const CHATS = 60;
  const PER_CHAT = 5;
  const KILL_AFTER_DELIVERED = 60;
  const CONCURRENCY = 10; // the sender's requests in flight at once (outbox-sender.ts)
  const telegram = new FakeTelegram();

  beforeAll(async () => {
    await telegram.start();
  });
  afterAll(async () => telegram.stop());

  it('delivers every message after the restart, repeating only sends in flight at the kill', async () => {
    const db = await database();
    const messages: OutgoingMessage[] = [];
    for (let n = 0; n < PER_CHAT; n++) {
      for (let chat = 0; chat < CHATS; chat++) {
        messages.push({
          dedupeKey: `r2:${chat}:${n}`,
          recipient: 'client',
          chatId: String(7000 + chat),
          text: `r2 ${chat} ${n}`,
        });
      }
    }
    await outboxRepository.enqueue(db.db, messages, true, new Date());
    // Telegram takes a while to answer, so sends are in flight whenever the kill comes.
    telegram.latency = 80;
    const env = {
      DATABASE_URL: db.url,
      TELEGRAM_BOT_TOKEN: '123456:reliability-token',
      TELEGRAM_API_ROOT: telegram.url,
      // Webhook mode: no long polling against the fake, which does not answer getUpdates.
      TELEGRAM_WEBHOOK_SECRET: 'reliability-webhook-secret',
      OUTBOX_LEASE_MS: '3000',
    };
    const delivered = () => telegram.requests.filter((r) => r.method === 'sendMessage');
    const first = await service(env);
    await until(`${KILL_AFTER_DELIVERED} messages at the fake Bot API`, () => {
      return delivered().length >= KILL_AFTER_DELIVERED;
    });
    await first.kill();
    const killedAt = Date.now();
    const beforeKill = delivered().length;
    expect(beforeKill).toBeLessThan(messages.length);

    await service(env);
    const sent = async () =>
      Number(
        (
          await db.db
            .selectFrom('outbox')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', '=', 'sent')
            .executeTakeFirstOrThrow()
        ).n,
      );
    await until('every message marked sent', async () => (await sent()) === messages.length, 60_000, 200);
    const statuses = await outboxRepository.countByStatus(db.db);
    expect(statuses.map((s) => [s.status, Number(s.n)])).toEqual([['sent', messages.length]]);

    const arrivals = new Map<string, number[]>();
    const byChat = new Map<string, number[]>();
    for (const request of delivered()) {
      const text = String(request.body.text);
      arrivals.set(text, [...(arrivals.get(text) ?? []), request.at]);
      const [, chat, n] = text.split(' ');
      byChat.set(chat!, [...(byChat.get(chat!) ?? []), Number(n)]);
    }
    // None lost.
    for (const message of messages) expect(arrivals.has(message.text), message.text).toBe(true);
    // Repeated: only a send that reached Telegram before the kill, once, at most one per send in flight.
    const repeated = [...arrivals].filter(([, times]) => times.length > 1);
    for (const [text, times] of repeated) {
      expect(times.length, `${text} delivered ${times.length} times`).toBe(2);
      expect(times[0]!, `${text}: first delivery before the kill`).toBeLessThanOrEqual(killedAt);
    }
    expect(repeated.length).toBeLessThanOrEqual(CONCURRENCY);
    // Each chat's messages arrived in the order they were written (a repeat right after its first).
    for (const [chat, order] of byChat) {
      const collapsed = order.filter((n, i) => i === 0 || n !== order[i - 1]);
      expect(collapsed, `chat ${chat}`).toEqual([...Array(PER_CHAT).keys()]);
    }
    console.info(
      `R2 outbox: ${beforeKill} delivered before the kill, ${repeated.length} repeated after the restart ` +
        `(${repeated.map(([text]) => text).join(', ') || 'none'})`,
    );
  });
});
