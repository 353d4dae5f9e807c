// The only code that delivers outbox rows to Telegram. It claims the oldest pending message of each
// chat under a lease (outboxRepository.claim), sends it with grammY's Api and marks it sent,
// rescheduled or failed: about one message per second to a chat, one per 3 seconds to a group (Telegram
// allows a group about 20 a minute) and at most 30 per second in all, a 429 retried after Telegram's
// retry_after, 5xx and network errors with exponential backoff. Before claiming it gathers the new
// tickets' messages of past minutes (gatherNewTicketDigests); a client's relayed words to the operators
// go before the rest of that chat's queue (the relay lane, see outboxRepository's `claimable`).
//
// Exactly once, but for one case: a message is marked sent only after Telegram accepted it, so a crash
// (or a database that stays unreachable) between Telegram's answer and the mark sends that one message
// again when its lease ends. Nothing else is lost or repeated: a claim is one statement, a sender that
// dies after claiming only delays its messages until the lease ends, and a mark counts only for the
// claim it belongs to. Pacing is per process (SPEC §2 allows per-instance counters); messages to one
// chat stay in order across instances because only a chat's oldest pending message can be claimed.
import { GrammyError, HttpError, type Api } from 'grammy';
import { gatherNewTicketDigests } from '../commands/new-ticket-digest.ts';
import { inTransaction } from '../commands/transaction.ts';
import { outsideTransaction } from '../db/transaction-guard.ts';
import type { Deps, OutboxDelivery } from '../deps.ts';
import { outboxRepository, replyMarkup, type ClaimedMessage } from '../repositories/outbox.repository.ts';
import { TelegramBadAnswer } from './client.ts';

export interface OutboxSenderOptions {
  /** How often the running sender looks for due messages when nobody wakes it (config.outbox.pollMs). */
  pollMs?: number;
  /** A message failing with 5xx or network errors is given up on at this attempt (config.outbox.maxAttempts). */
  maxAttempts?: number;
  /** The pause between two messages to one chat, counted from Telegram's answer to the first. */
  chatIntervalMs?: number;
  /** The same for a group or channel (a negative chat id): 3 s keeps a group within 20 messages a minute. */
  groupIntervalMs?: number;
  /** How often the running loop gathers new tickets' messages into digests (drain always does). */
  digestEveryMs?: number;
  /** Messages per second over all chats: a send counts from its start until a second after its answer. */
  perSecond?: number;
  /** Requests to Telegram in flight at once. */
  concurrency?: number;
  /** The first retry delay after a 5xx or network error; it doubles per attempt up to backoffMaxMs. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long a claim holds a message (config.outbox.leaseMs): longer than a send (sendTimeoutMs) plus its mark. */
  leaseMs?: number;
  sendTimeoutMs?: number;
}

export interface DrainSummary {
  sent: number;
  failed: number;
  retried: number;
}

export interface OutboxSender extends OutboxDelivery {
  /** Runs the loop: every pollMs, on wake(), and whenever pacing lets a held-back message go. */
  start(): void;
  /** Stops the loop and waits for the sends in flight. */
  stop(): Promise<void>;
  /** Delivers until nothing is deliverable now (for tests and jobs); counts what happened meanwhile. */
  drain(): Promise<DrainSummary>;
}

/** Without a bot token nothing is sent: messages are written as `skipped` (outboxRepository.enqueue). */
export const disabledOutbox: OutboxSender = {
  wake() {},
  deliver: async () => false,
  start() {},
  stop: async () => {},
  drain: async () => ({ sent: 0, failed: 0, retried: 0 }),
};

/** 4xx answers that say nothing about the message (a wrong token or API root): retried like a 5xx. */
const NOT_THE_MESSAGES_FAULT = new Set([401, 404]);
/** How often `deliver` looks again while its messages are held by someone else (another instance, a retry). */
const DELIVER_RECHECK_MS = 100;
const MARK_TRIES = 3;

type Outcome =
  | { kind: 'sent'; messageId: string | null }
  | { kind: 'retry'; delayMs: number; error: string; code: number | string }
  | { kind: 'failed'; error: string; code: number | string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createOutboxSender(deps: Deps, api: Api, options: OutboxSenderOptions = {}): OutboxSender {
  const settings = {
    pollMs: deps.config.outbox.pollMs,
    maxAttempts: deps.config.outbox.maxAttempts,
    chatIntervalMs: 1000,
    groupIntervalMs: 3000,
    digestEveryMs: 1000,
    perSecond: 30,
    concurrency: 10,
    backoffBaseMs: 5_000,
    backoffMaxMs: 600_000,
    leaseMs: deps.config.outbox.leaseMs,
    // A send must end well inside its lease, or another sender could claim the message meanwhile.
    sendTimeoutMs: Math.min(20_000, Math.floor(deps.config.outbox.leaseMs / 3)),
    ...options,
  };
  const log = deps.log;
  const elapsed = () => performance.now();

  const inflight = new Map<number, Promise<void>>();
  /** chat → when (performance.now()) it may get its next message from this process. */
  const cooling = new Map<string, number>();
  /**
   * When the sends of the last second got their answers, oldest first. A send counts against the
   * second's budget from its start until a second after its answer: then no 1-second window holds more
   * than perSecond arrivals at Telegram, however late a request leaves or its answer comes back.
   */
  const answered: number[] = [];
  const totals: DrainSummary = { sent: 0, failed: 0, retried: 0 };
  let listeners: (() => void)[] = [];
  /** Sends finished so far: a waiter compares it to see whether one finished while it was busy. */
  let finished = 0;

  // Claims run one at a time in this process, so two callers never spend the same room twice.
  let claimLock: Promise<unknown> = Promise.resolve();
  function exclusive<T>(action: () => Promise<T>): Promise<T> {
    const run = claimLock.then(action);
    claimLock = run.catch(() => {});
    return run;
  }

  function room(): number {
    const now = elapsed();
    while (answered.length > 0 && answered[0]! <= now - 1000) answered.shift();
    return Math.min(settings.concurrency, settings.perSecond - answered.length) - inflight.size;
  }

  function coolingChats(): string[] {
    const now = elapsed();
    const chats: string[] = [];
    for (const [chat, until] of cooling) {
      if (until <= now) cooling.delete(chat);
      else chats.push(chat);
    }
    return chats;
  }

  /** Milliseconds until pacing lets something more go (the second's budget, then the chats' pauses). */
  function pacingPause(chats?: string[]): number | undefined {
    const now = elapsed();
    const pauses: number[] = [];
    room(); // drops answers older than a second
    if (answered.length > 0 && answered.length + inflight.size >= settings.perSecond) {
      pauses.push(answered[0]! + 1000 - now);
    }
    for (const [chat, until] of cooling) if (!chats || chats.includes(chat)) pauses.push(until - now);
    return pauses.length ? Math.max(1, Math.min(...pauses)) : undefined;
  }

  /** Resolves when a send in flight finishes, or after `ms`. */
  function nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        listeners = listeners.filter((l) => l !== done);
        resolve();
      }
      listeners.push(done);
    });
  }

  /**
   * Claims as many due messages as pacing allows (of these chats only, when given) and sends them.
   * `outOfRoom`: it stopped for pacing or concurrency, not because nothing more was due; `skipped`: the
   * chats its last claim left out because they had a message a moment ago.
   */
  function claimAndSend(onlyChats?: string[]): Promise<{ outOfRoom: boolean; skipped: string[] }> {
    return exclusive(async () => {
      for (;;) {
        const limit = room();
        if (limit <= 0) return { outOfRoom: true, skipped: [] };
        const now = deps.clock.now();
        const skipped = coolingChats();
        const rows = await outboxRepository.claim(deps.db, {
          now,
          leaseUntil: new Date(now.getTime() + settings.leaseMs),
          limit,
          skipChats: skipped,
          ...(onlyChats ? { onlyChats } : {}),
        });
        for (const row of rows) launch(row);
        if (rows.length < limit) return { outOfRoom: false, skipped };
      }
    });
  }

  function launch(row: ClaimedMessage): void {
    const done = send(row)
      .then((outcome) => record(row, outcome))
      .catch((error: unknown) =>
        log.error({ outboxId: row.id, err: { code: errorCode(error) } }, 'outbox send crashed'),
      )
      .finally(() => {
        inflight.delete(row.id);
        finished++;
        for (const listener of listeners.slice()) listener();
        schedule(0);
      });
    inflight.set(row.id, done);
  }

  async function send(row: ClaimedMessage): Promise<Outcome> {
    // The chat may have had its previous message answered while this claim was on its way to the
    // database (the claim skips only chats that were pausing when it started).
    const pause = (cooling.get(row.chat_id) ?? 0) - elapsed();
    if (pause > 0) await sleep(pause);
    try {
      const message = await api.sendMessage(
        row.chat_id,
        row.text,
        row.buttons ? { reply_markup: replyMarkup(row.buttons) } : {},
        // grammY types its signal parameter with the abort-controller polyfill; Node's own signal is what it
        // checks for at run time (an addEventListener method).
        AbortSignal.timeout(settings.sendTimeoutMs) as unknown as Parameters<Api['sendMessage']>[3],
      );
      // Telegram took it ("ok": true): sent, even when the answer lacks the message's id (sending again
      // could repeat the message); only a real id is kept, for replies to find the thread.
      const id: unknown = (message as { message_id?: unknown } | undefined)?.message_id;
      const known = typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
      if (!known) log.warn({ outboxId: row.id }, 'telegram accepted a message without its id');
      return { kind: 'sent', messageId: known ? String(id) : null };
    } catch (error) {
      return judge(error, row.attempts);
    } finally {
      answered.push(elapsed());
      const group = row.chat_id.startsWith('-');
      cooling.set(row.chat_id, elapsed() + (group ? settings.groupIntervalMs : settings.chatIntervalMs));
    }
  }

  function judge(error: unknown, attempts: number): Outcome {
    if (error instanceof GrammyError) {
      const code = error.error_code;
      const text = `${code}: ${error.description}`.slice(0, 300);
      // Telegram asks for a pause: the message waits that long (holding back its chat). It counts as an
      // attempt, but a pause is not a failure: a 429 alone never gives a message up.
      if (code === 429) {
        const seconds = Math.max(1, error.parameters?.retry_after ?? 1);
        return { kind: 'retry', delayMs: seconds * 1000, error: text, code };
      }
      if (code < 500 && !NOT_THE_MESSAGES_FAULT.has(code)) return { kind: 'failed', error: text, code };
      return retryOrGiveUp(attempts, text, code);
    }
    // Not Telegram's answer (a proxy's page, another shape): whether the message went is unknown.
    if (error instanceof TelegramBadAnswer) return retryOrGiveUp(attempts, error.message, error.code);
    const cause = error instanceof HttpError ? error.error : error;
    return retryOrGiveUp(attempts, `network: ${errorCode(cause) ?? 'request failed'}`, 'network');
  }

  function retryOrGiveUp(attempts: number, error: string, code: number | string): Outcome {
    if (attempts >= settings.maxAttempts)
      return { kind: 'failed', error: `${error} (attempt ${attempts})`, code };
    const delayMs = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** (attempts - 1));
    return { kind: 'retry', delayMs, error, code };
  }

  /** Writes the outcome; retried a few times, since a mark lost to a database hiccup means a repeat. */
  async function record(row: ClaimedMessage, outcome: Outcome): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const at = deps.clock.now();
        const ours = await write(row, outcome, at);
        if (!ours) {
          log.warn(
            { outboxId: row.id, attempts: row.attempts },
            'outbox message was claimed again meanwhile',
          );
          return;
        }
        if (outcome.kind === 'sent') {
          totals.sent++;
          log.debug({ outboxId: row.id, attempts: row.attempts }, 'outbox message sent');
        } else if (outcome.kind === 'retry') {
          totals.retried++;
          log.warn(
            { outboxId: row.id, attempts: row.attempts, errorCode: outcome.code, retryInMs: outcome.delayMs },
            'outbox message will be retried',
          );
        } else {
          totals.failed++;
          log.warn(
            { outboxId: row.id, attempts: row.attempts, errorCode: outcome.code },
            'outbox message failed',
          );
        }
        return;
      } catch (error) {
        if (attempt >= MARK_TRIES) {
          log.error(
            { outboxId: row.id, outcome: outcome.kind, err: { code: errorCode(error) } },
            'outbox message could not be marked; it comes back when its lease ends',
          );
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }

  function write(row: ClaimedMessage, outcome: Outcome, at: Date): Promise<boolean> {
    switch (outcome.kind) {
      case 'sent':
        return inTransaction(deps, async (trx) => {
          const ours = await outboxRepository.markSent(trx, row, outcome.messageId, at);
          // Operators answer a forwarded client message by replying to it: the bot finds the client here.
          if (ours && row.recipient === 'admin' && row.client_id && outcome.messageId) {
            await outboxRepository.recordAdminThread(trx, outcome.messageId, row.client_id, at);
          }
          return ours;
        });
      case 'retry':
        return outboxRepository.reschedule(
          deps.db,
          row,
          new Date(at.getTime() + outcome.delayMs),
          outcome.error,
          at,
        );
      case 'failed':
        return outboxRepository.markFailed(deps.db, row, outcome.error, at);
    }
  }

  // The loop: one timer for the next pass, moved earlier by wake-ups and finished sends.
  let running = false;
  let poller: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;

  function schedule(delayMs: number): void {
    if (!running) return;
    const at = elapsed() + delayMs;
    if (timer && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    // A timer runs in the async context it was made in; the loop belongs to no transaction, even when
    // woken from inside one, so its reads are never taken for that transaction's stray queries.
    timer = outsideTransaction(() =>
      setTimeout(() => {
        timer = undefined;
        timerAt = Infinity;
        void pass();
      }, delayMs),
    );
    timer.unref();
  }

  let gatheredAt = -Infinity;
  /** Gathers due digests; a failure is logged and the sending goes on (the rows wait for the next try). */
  async function gatherDigests(): Promise<void> {
    gatheredAt = elapsed();
    try {
      await gatherNewTicketDigests(deps);
    } catch (error) {
      log.error({ err: { code: errorCode(error) } }, 'gathering new tickets into a digest failed');
    }
  }

  async function pass(): Promise<void> {
    if (elapsed() - gatheredAt >= settings.digestEveryMs) await gatherDigests();
    try {
      await claimAndSend();
    } catch (error) {
      log.error({ err: { code: errorCode(error) } }, 'outbox claim failed');
      return;
    }
    const pause = pacingPause();
    if (pause !== undefined) schedule(pause);
  }

  return {
    wake() {
      schedule(0);
    },

    async deliver(ids, waitMs) {
      if (ids.length === 0) return true;
      const deadline = elapsed() + waitMs;
      for (;;) {
        const states = await outboxRepository.states(deps.db, ids);
        const pending = states.filter((s) => s.status === 'pending');
        if (states.length < ids.length || states.some((s) => s.status !== 'sent' && s.status !== 'pending')) {
          return false;
        }
        if (pending.length === 0) return true;
        const left = deadline - elapsed();
        if (left <= 0) return false;
        // The chats' older messages go first: claiming the chats' oldest rows keeps their order.
        const chats = [...new Set(pending.map((s) => s.chat_id!))];
        const before = finished;
        await claimAndSend(chats);
        if (finished === before) await nextChange(Math.min(left, pacingPause(chats) ?? DELIVER_RECHECK_MS));
      }
    },

    start() {
      if (running) return;
      running = true;
      poller = setInterval(() => schedule(0), settings.pollMs);
      poller.unref();
      schedule(0);
    },

    async stop() {
      running = false;
      clearInterval(poller);
      clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      await exclusive(async () => {});
      await Promise.allSettled([...inflight.values()]);
    },

    async drain() {
      const before = { ...totals };
      await gatherDigests();
      for (;;) {
        const before = finished;
        const { outOfRoom, skipped } = await claimAndSend();
        // A send that finished while the claim ran may have made its chat's next message due.
        if (finished !== before) continue;
        if (inflight.size > 0) {
          await nextChange(settings.sendTimeoutMs);
          continue;
        }
        if (outOfRoom) {
          await sleep(pacingPause() ?? 1);
          continue;
        }
        // Nothing more was due and nothing is in flight: done, unless messages wait only for this
        // process's pause between two messages to one chat.
        if (skipped.length === 0 || !(await outboxRepository.hasDue(deps.db, deps.clock.now(), skipped))) {
          break;
        }
        await sleep(pacingPause(skipped) ?? 1);
      }
      return {
        sent: totals.sent - before.sent,
        failed: totals.failed - before.failed,
        retried: totals.retried - before.retried,
      };
    },
  };
}

/** An error's code or name for the log: never its message, which may quote what was sent. */
function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; name?: unknown } | null;
  if (typeof e?.code === 'string' || typeof e?.code === 'number') return String(e.code);
  return typeof e?.name === 'string' ? e.name : undefined;
}
