// SQL for the outbox: every outgoing Telegram message is a row, written in the transaction of the
// change that causes it; the unique dedupe key turns a second write of the same message into a no-op.
// The sender (src/telegram/outbox-sender.ts) claims, marks and reschedules rows through the statements
// at the end.
import { sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { Executor } from '../deps.ts';
import type { DB } from '../db/types.ts';
import type { OutboxLane, OutboxStatus, Recipient } from '../domain/vocabulary.ts';
import { assertFitsTelegram } from '../texts/fit.ts';

/** A button under a message: it sends `callback_data` back to the bot, or opens `url`. */
export type InlineButton = { text: string; callback_data: string } | { text: string; url: string };

/**
 * The `buttons` column: an inline keyboard, rows of buttons top to bottom, as Telegram's
 * `reply_markup.inline_keyboard` takes it (the sender passes it through unchanged).
 */
export type InlineKeyboard = InlineButton[][];

/**
 * A keyboard under the typing field instead: Telegram's own "share my number" button (its answer is a
 * contact the sender proves is theirs), or taking that keyboard away again.
 */
export type ReplyKeyboard = { shareContact: string } | { remove: true };

/** The buttons of a message as the sender passes them to Telegram's `reply_markup`. */
export function replyMarkup(buttons: InlineKeyboard | ReplyKeyboard) {
  if (Array.isArray(buttons)) return { inline_keyboard: buttons };
  if ('remove' in buttons) return { remove_keyboard: true as const };
  return {
    keyboard: [[{ text: buttons.shareContact, request_contact: true }]],
    one_time_keyboard: true,
    resize_keyboard: true,
  };
}

export interface OutgoingMessage {
  dedupeKey: string;
  recipient: Recipient;
  chatId: string | null;
  text: string;
  buttons?: InlineKeyboard | ReplyKeyboard;
  clientId?: string | null;
  ticketId?: string | null;
  sessionId?: string | null;
  /** `normal` unless given (see OUTBOX_LANES). */
  lane?: OutboxLane;
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
    lane: m.lane ?? ('normal' as OutboxLane),
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
   * one and `next_attempt_at` and `leased_until` move to the lease's end in the same statement, so
   * another sender (another process or instance on this database) neither sees them as due nor may mark
   * them — the marks below match the claimed `attempts`. A sender that dies while holding a lease only
   * delays its messages until the lease ends. Which rows are claimable: see `claimable`. `SKIP LOCKED`
   * lets concurrent claims pass each other's rows.
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
        where ${claimable(claim.now)}
          ${skip} ${only}
        order by o.id
        limit ${claim.limit}
        for update skip locked
      )
      update outbox
      set attempts = outbox.attempts + 1, next_attempt_at = ${claim.leaseUntil},
        leased_until = ${claim.leaseUntil}, updated_at = ${claim.now}
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
        where ${claimable(now)} and o.chat_id = any(${chats}::text[])
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
        leased_until: null,
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
      db.updateTable('outbox').set({
        next_attempt_at: nextAttemptAt,
        leased_until: null,
        last_error: error,
        updated_at: at,
      }),
      claimed,
    ).execute();
    return rows.length > 0;
  },

  /** The message will not be sent: Telegram refused it for good, or it ran out of attempts. */
  async markFailed(db: Executor, claimed: Claim, error: string, at: Date): Promise<boolean> {
    const rows = await ownClaim(
      db.updateTable('outbox').set({
        status: 'failed',
        last_error: error,
        next_attempt_at: null,
        leased_until: null,
        updated_at: at,
      }),
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

  /** Chats with new-ticket messages written before `before` still waiting in the digest lane. */
  async chatsWithWaitingDigest(db: Executor, before: Date): Promise<string[]> {
    const rows = await db
      .selectFrom('outbox')
      .select('chat_id')
      .distinct()
      .where('status', '=', 'pending')
      .where('lane', '=', 'digest')
      .where('created_at', '<', before)
      .execute();
    return rows.map((r) => r.chat_id).filter((chat): chat is string => chat !== null);
  },

  /**
   * Locks the chat's waiting new-ticket messages written before `before`, oldest first, with the lead
   * of each. Rows another transaction is gathering are passed over (`SKIP LOCKED`): a row is gathered
   * by one transaction only.
   */
  async lockWaitingDigest(db: Executor, chatId: string, before: Date) {
    const result = await sql<{ id: number; ticket_id: string | null; lead_number: string | null }>`
      select o.id, o.ticket_id, c.lead_number
      from (
        select id, ticket_id, client_id from outbox
        where status = 'pending' and lane = 'digest' and chat_id = ${chatId} and created_at < ${before}
        order by id
        for update skip locked
      ) o
      left join hraniteli_clients c on c.id = o.client_id
      order by o.id
    `.execute(db);
    return result.rows;
  },

  /**
   * Whether the chat was told of a new ticket since `since` (a released new-ticket message or a digest),
   * besides row `except`. Both are known by their dedupe keys (newTicketMessage, the digest's).
   */
  async newTicketsAnnouncedSince(
    db: Executor,
    chatId: string,
    since: Date,
    except: number,
  ): Promise<boolean> {
    const row = await db
      .selectFrom('outbox')
      .select('id')
      .where('chat_id', '=', chatId)
      .where('id', '<>', except)
      .where('updated_at', '>', since)
      .where((eb) =>
        eb.or([
          eb('dedupe_key', 'like', 'ticket-digest:%'),
          eb.and([eb('dedupe_key', 'like', 'ticket-created:%'), eb('lane', '=', 'normal')]),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  },

  /** A lone new-ticket message goes as it is: it joins its chat's normal lane. */
  async releaseFromDigest(db: Executor, id: number, now: Date): Promise<void> {
    await db
      .updateTable('outbox')
      .set({ lane: 'normal', updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  },

  /**
   * Writes the digest message; its dedupe key names the chat and the minute, so a minute has one
   * digest however many senders gather at once. Undefined when that minute's digest exists already.
   */
  async insertDigest(db: Executor, message: OutgoingMessage, now: Date): Promise<number | undefined> {
    const row = await db
      .insertInto('outbox')
      .values(outboxRow(message, true, now))
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  },

  /** The gathered messages went out inside digest `digestId`. */
  async markDigested(db: Executor, ids: number[], digestId: number, now: Date): Promise<void> {
    await db
      .updateTable('outbox')
      .set({ status: 'digested', digest_id: digestId, updated_at: now })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .execute();
  },
};

/**
 * Whether outbox row `o` may be sent now. It is pending, due and not held for a digest, and nothing of
 * its chat is ahead of it: no older pending message of its lane (a chat's messages keep their order
 * within a lane, an older one that is leased or waiting for a retry holding back the rest), no message
 * of the chat in flight (`leased_until`), and — for the normal lane — no client's relayed message of the
 * chat that could go now: the operators read a client's words before the routine messages queued
 * earlier. So a chat has at most one message claimable at a time.
 */
function claimable(now: Date) {
  const due = (alias: string) =>
    sql`(${sql.ref(`${alias}.next_attempt_at`)} is null or ${sql.ref(`${alias}.next_attempt_at`)} <= ${now})`;
  return sql`o.status = 'pending' and o.lane <> 'digest' and ${due('o')}
    and not exists (
      select 1 from outbox ahead
      where ahead.status = 'pending' and ahead.chat_id = o.chat_id and ahead.id <> o.id
        and (
          (ahead.lane = o.lane and ahead.id < o.id)
          or ahead.leased_until > ${now}
          or (o.lane = 'normal' and ahead.lane = 'relay' and ${due('ahead')}
            and not exists (
              select 1 from outbox first
              where first.status = 'pending' and first.chat_id = ahead.chat_id and first.lane = 'relay'
                and first.id < ahead.id
            ))
        )
    )`;
}

/** A message as a claim returns it: what sending needs. */
export interface ClaimedMessage {
  id: number;
  chat_id: string;
  recipient: Recipient;
  text: string;
  buttons: InlineKeyboard | ReplyKeyboard | null;
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
