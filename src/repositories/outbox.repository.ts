// SQL for the outbox: every outgoing Telegram message is a row, written in the transaction of the
// change that causes it; the unique dedupe key turns a second write of the same message into a no-op.
import type { Executor } from '../deps.ts';
import type { OutboxStatus, Recipient } from '../domain/vocabulary.ts';

export interface OutgoingMessage {
  dedupeKey: string;
  recipient: Recipient;
  chatId: string | null;
  text: string;
  buttons?: unknown;
  clientId?: string | null;
  ticketId?: string | null;
  sessionId?: string | null;
}

export const outboxRepository = {
  /**
   * Writes messages; ones whose dedupe key exists are skipped. Rows without a chat, or written while
   * no bot is configured, are recorded as `skipped` so operators can see what was not sent.
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
      .values(
        messages.map((m) => ({
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
        })),
      )
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
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
};
