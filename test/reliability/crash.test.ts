// R2 of quality.md: the real service (a child process) is killed with SIGKILL in the middle of a booking
// storm, and in the middle of outbox delivery, then started again on the same database — PostgreSQL,
// and the embedded PGlite in a DATA_DIR as `npm start` runs it. After the booking crash: the invariant
// check passes, every booking answered 201 is in the database, and every committed booking has the
// operators' line in the outbox (written in the booking's own transaction) and — once its video link is
// set — the client's and psychologist's messages. After the delivery crash: every message is delivered,
// none more than twice, and only a message that Telegram had accepted before the kill is repeated (at
// most one per chat, at most one per send in flight).
//
// The database is read after the restarted service has stopped: an embedded folder belongs to one
// process at a time (its lock refuses a second), so both databases are checked the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { DB } from '../../src/db/types.ts';
import { outboxRepository, type OutgoingMessage } from '../../src/repositories/outbox.repository.ts';
import { openDatabase } from '../../src/runtime.ts';
import { createTestDatabase, onPostgres } from '../support/database.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { call, killAll, startService, until, type ServiceProcess } from '../support/service-process.ts';

/** A fresh database for one scenario, and how the test reads it. */
interface CrashDatabase {
  /** What the service is started with to use it. */
  env: Record<string, string>;
  /** Runs `check` on the database; the service must not be running (an embedded folder is locked). */
  inspect<T>(check: (db: Kysely<DB>) => Promise<T>): Promise<T>;
}

interface Target {
  name: string;
  available: boolean;
  create(): Promise<CrashDatabase>;
}

const cleanups: (() => Promise<void> | void)[] = [];
const running: ServiceProcess[] = [];

afterAll(async () => {
  try {
    await killAll(running);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
});

const TARGETS: Target[] = [
  {
    name: 'PostgreSQL',
    available: onPostgres(),
    async create() {
      const made = (await createTestDatabase()) as Database & { url: string };
      cleanups.push(() => made.close());
      return { env: { DATABASE_URL: made.url }, inspect: (check) => check(made.db) };
    },
  },
  {
    name: 'embedded PGlite',
    available: true,
    async create() {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'hraniteli-r2-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const config = loadConfig({ DATA_DIR: dataDir });
      return {
        // No demo set: the scenario's own data only, as on PostgreSQL.
        env: { DATA_DIR: dataDir, DEMO_DATA: 'off' },
        async inspect(check) {
          // The service's own opener: it takes the folder's lock, so a service still running fails here.
          const { database, release } = await openDatabase(config);
          try {
            return await check(database.db);
          } finally {
            await database.close();
            release();
          }
        },
      };
    },
  },
];

if (!onPostgres()) console.warn('R2 on PostgreSQL skipped: TEST_DATABASE_URL is not set (see .ci/run)');

async function service(env: Record<string, string>): Promise<ServiceProcess> {
  const proc = await startService(env);
  running.push(proc);
  return proc;
}

/** SIGTERM, and the service must stop cleanly (closing the database and, embedded, its lock). */
async function stopService(proc: ServiceProcess): Promise<void> {
  expect(await proc.stop(), proc.output()).toBe(0);
}

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

function application(contact: string) {
  return {
    name: 'Мария',
    age: 30,
    contact: { type: 'telegram', value: contact },
    selected_slots: [],
    preferences: { gender: 'any', price_max: 5000, specializations: [] },
  };
}

function bookingStorm(target: Target) {
  const SLOTS = 200;
  const CLIENTS = 400;
  const CONCURRENCY = 50;
  const KILL_AFTER_SUCCESSES = 60;
  let database: CrashDatabase;
  let env: Record<string, string>;
  let proc: ServiceProcess;
  let slots: { id: string }[] = [];
  const leads: string[] = [];

  beforeAll(async () => {
    database = await target.create();
    env = { ...database.env, TELEGRAM_ADMIN_CHAT_ID: '-1000', VIDEO_TIMEOUT_MS: '1000' };
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
          call(proc, 'POST', '/submit-application', application(`@storm_client_${i + j}`)),
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
    // The sweep the jobs run every 10 minutes, now: every session without a link that no runner holds
    // gets one, with its two messages. Links the dead process was making stay claimed until the claim
    // expires (a later sweep takes them).
    const sweep = await call(proc, 'POST', '/admin/jobs/meeting-links/run');
    expect(sweep.status, JSON.stringify(sweep.body)).toBe(200);
    // The restarted service books as before.
    const newcomer = await call(proc, 'POST', '/submit-application', application('@storm_after_restart'));
    expect(newcomer.status).toBe(200);
    const answeredIds = new Set(answeredBeforeKill.map((b) => b.slotId));
    let rebooked: { status: number; body: Record<string, unknown> | null } = { status: 0, body: null };
    for (const slot of slots.filter((s) => !answeredIds.has(s.id))) {
      // A slot booked by a request in flight at the kill answers 409: the next one is tried.
      rebooked = await call(proc, 'POST', '/admin/sessions', {
        slot_id: slot.id,
        lead_number: String(newcomer.body!.lead_number),
      });
      if (rebooked.status !== 409) break;
    }
    expect(rebooked.status, JSON.stringify(rebooked.body)).toBe(201);
    await stopService(proc);

    const found = await database.inspect(async (db) => ({
      violations: await invariantViolations(db),
      sessions: await db
        .selectFrom('hraniteli_sessions')
        .select(['id', 'slot_id', 'status', 'start_at', 'meeting_link', 'link_claimed_until'])
        .execute(),
      keys: new Set((await db.selectFrom('outbox').select('dedupe_key').execute()).map((r) => r.dedupe_key)),
      inspectedAt: new Date(),
    }));
    expect(found.violations).toEqual([]);
    const byId = new Map(found.sessions.map((s) => [s.id, s]));
    for (const answered of answeredBeforeKill) {
      const stored = byId.get(answered.sessionId);
      expect(stored, `session ${answered.sessionId} answered 201 before the kill`).toBeDefined();
      expect(stored!.slot_id).toBe(answered.slotId);
      expect(stored!.status).toBe('pending');
    }
    // Committed but not answered (in flight at the kill) is allowed; the other way round is not.
    const committed = found.sessions.length - 1;
    expect(committed).toBeGreaterThanOrEqual(answeredBeforeKill.length);

    const bookingKey = (s: { id: string; start_at: Date }) => `booking:${s.id}:${s.start_at.toISOString()}`;
    for (const session of found.sessions) {
      expect(found.keys.has(`${bookingKey(session)}:admin`), `operators' line of ${session.id}`).toBe(true);
      if (session.meeting_link === null) {
        expect(
          session.link_claimed_until! > found.inspectedAt,
          `session ${session.id} has neither a link nor a live claim on one`,
        ).toBe(true);
        continue;
      }
      expect(found.keys.has(`${bookingKey(session)}:client`), `client's message of ${session.id}`).toBe(true);
      expect(
        found.keys.has(`${bookingKey(session)}:psychologist`),
        `psychologist's message of ${session.id}`,
      ).toBe(true);
    }
    // A link is made by the process that booked, within a second of its commit: only the few bookings
    // in flight at the kill can still be waiting for the sweep.
    const unlinked = found.sessions.filter((s) => s.meeting_link === null).length;
    expect(unlinked).toBeLessThanOrEqual(CONCURRENCY);
    console.info(
      `R2 booking storm (${target.name}): ${attempts} attempts, ${answeredBeforeKill.length} answered 201 ` +
        `before the kill, ${committed} committed, ${unlinked} left for a later link sweep`,
    );
  });
}

function outboxDelivery(target: Target) {
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
    const database = await target.create();
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
    await database.inspect(async (db) => {
      // A fresh embedded folder has no tables yet (the service migrates at start; so does this).
      await migrateToLatest(db);
      await outboxRepository.enqueue(db, messages, true, new Date());
    });
    // Telegram takes a while to answer, so sends are in flight whenever the kill comes.
    telegram.latency = 80;
    const env = {
      ...database.env,
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

    const second = await service(env);
    const texts = () => new Set(delivered().map((r) => String(r.body.text)));
    await until(
      'every message at the fake Bot API and none pending',
      async () => {
        if (texts().size < messages.length) return false;
        const pending = await call(second, 'GET', '/admin/outbox?status=pending&limit=1');
        return pending.status === 200 && (pending.body!.messages as unknown[]).length === 0;
      },
      60_000,
      200,
    );
    await stopService(second);
    const statuses = await database.inspect((db) => outboxRepository.countByStatus(db));
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
    // Repeated: only a send that reached Telegram before the kill, once, at most one per send in flight
    // and one per chat (only a chat's oldest pending message can be out).
    const repeated = [...arrivals].filter(([, times]) => times.length > 1);
    for (const [text, times] of repeated) {
      expect(times.length, `${text} delivered ${times.length} times`).toBe(2);
      expect(times[0]!, `${text}: first delivery before the kill`).toBeLessThanOrEqual(killedAt);
    }
    expect(repeated.length).toBeLessThanOrEqual(CONCURRENCY);
    const repeatedChats = repeated.map(([text]) => text.split(' ')[1]);
    expect(new Set(repeatedChats).size, 'chats with a repeated message').toBe(repeatedChats.length);
    // Each chat's messages arrived in the order they were written (a repeat right after its first).
    for (const [chat, order] of byChat) {
      const collapsed = order.filter((n, i) => i === 0 || n !== order[i - 1]);
      expect(collapsed, `chat ${chat}`).toEqual([...Array(PER_CHAT).keys()]);
    }
    console.info(
      `R2 outbox (${target.name}): ${beforeKill} delivered before the kill, ${repeated.length} repeated ` +
        `after the restart (${repeated.map(([text]) => text).join(', ') || 'none'})`,
    );
  });
}

for (const target of TARGETS) {
  const describeOn = target.available ? describe : describe.skip;
  describeOn(`R2 on ${target.name}: SIGKILL during a booking storm`, () => bookingStorm(target));
  describeOn(`R2 on ${target.name}: SIGKILL during outbox delivery`, () => outboxDelivery(target));
}
