// SQL for the outbox: every outgoing Telegram message is a row, written in the transaction of the
// change that causes it; the unique dedupe key turns a second write of the same message into a no-op.
// The sender (src/telegram/outbox-sender.ts) claims, marks and reschedules rows through the statements
// at the end.
import { sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { Executor } from '../deps.ts';
import type { DB } from '../db/types.ts';
import type { OutboxStatus, Recipient } from '../domain/vocabulary.ts';
import { assertFitsTelegram } from '../texts/fit.ts';

/** A button under a message: it sends `callback_data` back to the bot, or opens `url`. */
export type InlineButton = { text: string; callback_data: string } | { text: string; url: string };

/**
 * The `buttons` column: an inline keyboard, rows of buttons top to bottom, as Telegram's
 * `reply_markup.inline_keyboard` takes it (the sender passes it through unchanged).
 */
export type InlineKeyboard = InlineButton[][];

export interface OutgoingMessage {
  dedupeKey: string;
  recipient: Recipient;
  chatId: string | null;
  text: string;
  buttons?: InlineKeyboard;
  clientId?: string | null;
  ticketId?: string | null;
  sessionId?: string | null;
}

/**
 * The row of a message. Rows without a chat, or written while no bot is configured, are recorded as
 * `skipped` so operators can see what was not sent.
 */
export function outboxRow(m: OutgoingMessage, deliverable: boolean, now: Date) {
  // A text Telegram would refuse must never wait in the outbox (commands split or cut it first).
  assertFitsTelegram(m.text, m.buttons);
  return {
    dedupe_key: m.dedupeKey,
    recipient: m.recipient,
    chat_id: m.chatId,
    text: m.text,
    buttons: m.buttons === undefined ? null : JSON.stringify(m.buttons),
    status: (deliverable && m.chatId ? 'pending' : 'skipped') as OutboxStatus,
    client_id: m.clientId ?? null,
    ticket_id: m.ticketId ?? null,
    session_id: m.sessionId ?? null,
    created_at: now,
    updated_at: now,
  };
}

export const outboxRepository = {
  /**
   * Writes messages (outboxRow); ones whose dedupe key exists are skipped. Returns the ids of all the
   * named rows, written now or before.
   */
  async enqueue(
    db: Executor,
    messages: OutgoingMessage[],
    deliverable: boolean,
    now: Date,
  ): Promise<number[]> {
    if (messages.length === 0) return [];
    const rows = await db
      .insertInto('outbox')
      .values(messages.map((m) => outboxRow(m, deliverable, now)))
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .execute();
    if (rows.length === messages.length) return rows.map((r) => r.id);
    // Some were written before (a retry): their rows are the answer too.
    const all = await db
      .selectFrom('outbox')
      .select('id')
      .where(
        'dedupe_key',
        'in',
        messages.map((m) => m.dedupeKey),
      )
      .orderBy('id')
      .execute();
    return all.map((r) => r.id);
  },

  async countByStatus(db: Executor) {
    return db
      .selectFrom('outbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
  },

  async list(
    db: Executor,
    filter: {
      chatId?: string;
      status?: OutboxStatus;
      since?: Date;
      limit: number;
      ticketId?: string;
      clientId?: string;
    },
  ) {
    let query = db
      .selectFrom('outbox')
      .select([
        'id',
        'chat_id',
        'recipient',
        'text',
        'buttons',
        'dedupe_key',
        'status',
        'attempts',
        'last_error',
        'created_at',
        'sent_at',
        'ticket_id',
        'session_id',
      ]);
    if (filter.chatId) query = query.where('chat_id', '=', filter.chatId);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.since) query = query.where('created_at', '>=', filter.since);
    if (filter.ticketId) query = query.where('ticket_id', '=', filter.ticketId);
    if (filter.clientId) query = query.where('client_id', '=', filter.clientId);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },

  /**
   * Claims up to `limit` messages to send now and leases them until `leaseUntil`: `attempts` goes up by
   * one and `next_attempt_at` moves to the lease's end in the same statement, so another sender (another
   * process or instance on this database) neither sees them as due nor may mark them — the marks below
   * match the claimed `attempts`. A sender that dies while holding a lease only delays its messages
   * until the lease ends. Only the oldest pending message of a chat is claimable (an older one that is
   * leased or waiting for a retry holds back the rest of its chat), so a chat's messages go out in the
   * order they were written; `SKIP LOCKED` lets concurrent claims pass each other's rows.
   */
  async claim(
    db: Executor,
    claim: { now: Date; leaseUntil: Date; limit: number; skipChats?: string[]; onlyChats?: string[] },
  ): Promise<ClaimedMessage[]> {
    const skip = claim.skipChats?.length ? sql`and o.chat_id <> all(${claim.skipChats}::text[])` : sql``;
    const only = claim.onlyChats ? sql`and o.chat_id = any(${claim.onlyChats}::text[])` : sql``;
    const result = await sql<ClaimedMessage>`
      with claimable as materialized (
        select o.id from outbox o
        where o.status = 'pending'
          and (o.next_attempt_at is null or o.next_attempt_at <= ${claim.now})
          and not exists (
            select 1 from outbox older
            where older.status = 'pending' and older.chat_id = o.chat_id and older.id < o.id
          )
          ${skip} ${only}
        order by o.id
        limit ${claim.limit}
        for update skip locked
      )
      update outbox
      set attempts = outbox.attempts + 1, next_attempt_at = ${claim.leaseUntil}, updated_at = ${claim.now}
      from claimable
      where outbox.id = claimable.id
      returning outbox.id, outbox.chat_id, outbox.recipient, outbox.text, outbox.buttons, outbox.client_id,
        outbox.attempts
    `.execute(db);
    return result.rows.sort((a, b) => a.id - b.id);
  },

  /** Whether any of these chats has a message that could be claimed now (nothing is locked). */
  async hasDue(db: Executor, now: Date, chats: string[]): Promise<boolean> {
    if (chats.length === 0) return false;
    const result = await sql<{ due: boolean }>`
      select exists (
        select 1 from outbox o
        where o.status = 'pending' and o.chat_id = any(${chats}::text[])
          and (o.next_attempt_at is null or o.next_attempt_at <= ${now})
          and not exists (
            select 1 from outbox older
            where older.status = 'pending' and older.chat_id = o.chat_id and older.id < o.id
          )
      ) as due
    `.execute(db);
    return result.rows[0]?.due === true;
  },

  /** Status and chat of these messages (what `deliver` waits for). */
  async states(db: Executor, ids: number[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('outbox').select(['id', 'status', 'chat_id']).where('id', 'in', ids).execute();
  },

  /** Telegram accepted the message. False when the claim was no longer ours (its lease was taken over). */
  async markSent(db: Executor, claimed: Claim, telegramMessageId: string | null, at: Date): Promise<boolean> {
    const rows = await ownClaim(
      db.updateTable('outbox').set({
        status: 'sent',
        sent_at: at,
        telegram_message_id: telegramMessageId,
        next_attempt_at: null,
        updated_at: at,
      }),
      claimed,
    ).execute();
    return rows.length > 0;
  },

  /** The attempt failed and another one is due at `nextAttemptAt`; `error` is kept for operators. */
  async reschedule(
    db: Executor,
    claimed: Claim,
    nextAttemptAt: Date,
    error: string,
    at: Date,
  ): Promise<boolean> {
    const rows = await ownClaim(
      db.updateTable('outbox').set({ next_attempt_at: nextAttemptAt, last_error: error, updated_at: at }),
      claimed,
    ).execute();
    return rows.length > 0;
  },

  /** The message will not be sent: Telegram refused it for good, or it ran out of attempts. */
  async markFailed(db: Executor, claimed: Claim, error: string, at: Date): Promise<boolean> {
    const rows = await ownClaim(
      db
        .updateTable('outbox')
        .set({ status: 'failed', last_error: error, next_attempt_at: null, updated_at: at }),
      claimed,
    ).execute();
    return rows.length > 0;
  },

  /**
   * A client's message forwarded to the operators' chat: an operator's reply to it finds the client
   * through this row. Written in the transaction that marks the message sent.
   */
  async recordAdminThread(db: Executor, adminMessageId: string, clientId: string, at: Date): Promise<void> {
    await db
      .insertInto('admin_threads')
      .values({ admin_message_id: adminMessageId, client_id: clientId, created_at: at, updated_at: at })
      .onConflict((oc) => oc.column('admin_message_id').doNothing())
      .execute();
  },
};

/** A message as a claim returns it: what sending needs. */
export interface ClaimedMessage {
  id: number;
  chat_id: string;
  recipient: Recipient;
  text: string;
  buttons: InlineKeyboard | null;
  client_id: string | null;
  /** Attempts including this one; the marks match it, so only the holder of the claim can mark. */
  attempts: number;
}

type Claim = Pick<ClaimedMessage, 'id' | 'attempts'>;

/** Limits an update to the message while it is still pending under this claim. */
function ownClaim(query: UpdateQueryBuilder<DB, 'outbox', 'outbox', UpdateResult>, claimed: Claim) {
  return query
    .where('id', '=', claimed.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', claimed.attempts)
    .returning('id');
}
