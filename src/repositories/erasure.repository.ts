// SQL that erases a person's personal data (DELETE /admin/clients/:lead_number), every table in one
// place: a table that gains a personal column gains its line here (the erasure test scans every text
// and JSON column of the schema to keep it so). Rows stay with their anonymous columns — statuses,
// times, psychologist, ratings — so counts and reports still add up.
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';
import type { Client } from '../db/types.ts';

export const erasureRepository = {
  /**
   * The records that hold one person: this one, the records its tickets were first filed under, and the
   * records its own submissions' tickets moved to once an account proved them (SPEC §3 Identity).
   */
  async connectedRecords(db: Executor, clientId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('hraniteli_tickets')
      .select(['client_id', 'origin_client_id'])
      .where((eb) => eb.or([eb('client_id', '=', clientId), eb('origin_client_id', '=', clientId)]))
      .execute();
    const ids = new Set([clientId]);
    for (const row of rows) {
      ids.add(row.client_id);
      if (row.origin_client_id) ids.add(row.origin_client_id);
    }
    return [...ids].sort();
  },

  /** The client's own columns; erased_at keeps the first erasure's time. */
  async client(db: Executor, clientId: string, now: Date): Promise<Client> {
    return db
      .updateTable('hraniteli_clients')
      .set({
        contact_key: null,
        name: null,
        age: null,
        phone: null,
        proven_phone: null,
        email: null,
        telegram_id: null,
        telegram_username: null,
        contact_type: null,
        contact_value: null,
        utm: null,
        erased_at: sql<Date>`coalesce(erased_at, ${now})`,
        updated_at: now,
      })
      .where('id', '=', clientId)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** What the person typed on their tickets; returns every id their forms used (own and form ids). */
  async tickets(db: Executor, clientId: string): Promise<string[]> {
    const rows = await db
      .updateTable('hraniteli_tickets')
      .set({
        request_text: null,
        preferences: null,
        utm: null,
        raw_payload: null,
        typed_contact: null,
        note: null,
      })
      .where('client_id', '=', clientId)
      .returning(['ticket_id', 'form_ticket_id'])
      .execute();
    return rows.flatMap((r) => (r.form_ticket_id ? [r.ticket_id, r.form_ticket_id] : [r.ticket_id]));
  },

  /** The form answers snapshotted before slots were shown, under any of the person's ticket ids. */
  async analyticsSnapshots(db: Executor, ticketIds: string[]): Promise<void> {
    if (ticketIds.length === 0) return;
    await db
      .updateTable('analytics_snapshots')
      .set({ payload: '{}' })
      .where('ticket_id', 'in', ticketIds)
      .execute();
  },

  /**
   * The web form's step answers under any of the person's ticket or form ids (deleted: they are the
   * answers themselves), and the stored answers of their web-form submissions (tokens, lead number).
   */
  async formAnswers(db: Executor, ticketIds: string[]): Promise<void> {
    if (ticketIds.length === 0) return;
    await db.deleteFrom('form_step_answers').where('form_ticket_id', 'in', ticketIds).execute();
    await db
      .updateTable('web_form_submissions')
      .set({ answer: null })
      .where((eb) => eb.or([eb('form_ticket_id', 'in', ticketIds), eb('ticket_id', 'in', ticketIds)]))
      .execute();
  },

  /** Feedback texts and cancellation reasons of the person's sessions, and of every rating kept. */
  async sessions(db: Executor, clientId: string): Promise<void> {
    await db
      .updateTable('hraniteli_sessions')
      .set({ feedback: null, cancellation_reason: null })
      .where('client_id', '=', clientId)
      .execute();
    await db
      .updateTable('session_ratings')
      .set({ feedback: null })
      .where('session_id', 'in', (eb) =>
        eb.selectFrom('hraniteli_sessions').select('id').where('client_id', '=', clientId),
      )
      .execute();
  },

  /** Questionnaire answers given by the person or about their sessions. */
  async questionnaires(db: Executor, clientId: string, now: Date): Promise<void> {
    await db
      .updateTable('client_questionnaires')
      .set({ anketa: '{}', payload: '{}', updated_at: now })
      .where((eb) =>
        eb.or([
          eb('client_id', '=', clientId),
          eb(
            'session_id',
            'in',
            eb.selectFrom('hraniteli_sessions').select('id').where('client_id', '=', clientId),
          ),
        ]),
      )
      .execute();
  },

  /**
   * Messages about the person, their tickets or to their chat: texts and buttons go, the chat id when it
   * is theirs, and a dedupe key that spells one of their handles. What was not sent yet will not be.
   */
  async outbox(
    db: Executor,
    clientId: string,
    chatId: string | null,
    handles: string[],
    ticketIds: string[],
    now: Date,
  ) {
    await db
      .updateTable('outbox')
      .set({
        text: '',
        buttons: null,
        chat_id: sql<string | null>`nullif(chat_id, ${chatId}::text)`,
        dedupe_key: sql<string>`case when exists (select 1 from unnest(${handles}::text[]) h
          where strpos(dedupe_key, h) > 0) then 'erased:' || id::text else dedupe_key end`,
        status: sql`case when status = 'pending' then 'skipped' else status end`,
        updated_at: now,
      })
      .where((eb) =>
        eb.or([
          eb('client_id', '=', clientId),
          ...(chatId === null ? [] : [eb('chat_id', '=', chatId)]),
          ...(ticketIds.length ? [eb('ticket_id', 'in', ticketIds)] : []),
        ]),
      )
      .execute();
  },

  /** Login codes, failed tries and open bot link requests of the person's Telegram id. */
  async verification(db: Executor, telegramId: string): Promise<void> {
    await db.deleteFrom('verification_codes').where('telegram_id', '=', telegramId).execute();
    await db.deleteFrom('verification_failures').where('telegram_id', '=', telegramId).execute();
    await db.deleteFrom('link_requests').where('telegram_id', '=', telegramId).execute();
  },

  /** Which relayed admin-chat messages were the person's. */
  async adminThreads(db: Executor, clientId: string): Promise<void> {
    await db.deleteFrom('admin_threads').where('client_id', '=', clientId).execute();
  },

  /** Stored submission answers that would replay the person's tickets. */
  async idempotencyAnswers(db: Executor, clientId: string): Promise<void> {
    await db
      .deleteFrom('idempotency_keys')
      .where(sql<boolean>`response->>'client_id' = ${clientId}`)
      .execute();
  },

  /**
   * Research rows linked to the person's application, or whose contact is one of the person's (compared
   * without case, spaces or a leading @), lose their contacts and name; the anonymous answers stay.
   */
  async researchResponses(db: Executor, clientId: string, contacts: string[], now: Date): Promise<void> {
    const wanted = [...new Set(contacts.map((c) => c.trim().replace(/^@/, '').toLowerCase()))];
    await db
      .updateTable('research_responses')
      .set({
        name: null,
        contact: null,
        contact_type: null,
        age: null,
        form_psy_client_info: null,
        payload: sql`payload - array['name', 'contact', 'contactType', 'age']`,
        updated_at: now,
      })
      // Rows linked to the person's application, and rows carrying one of their contacts.
      .where((eb) =>
        eb.or([
          eb('client_id', '=', clientId),
          sql<boolean>`lower(ltrim(btrim(contact), '@')) = any(${wanted}::text[])`,
        ]),
      )
      .execute();
  },
};
