// The helping hand's confirm link: an operator's allotment gives the ticket a fresh capability (the
// `ticket_id` of /help_hand_confirm), kept only as its SHA-256. A new allotment replaces it, so the old
// link stops working; the index finds a ticket by it and keeps two tickets from sharing one.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table hraniteli_tickets
      add column help_hand_link_hash text,
      add column help_hand_allotted_at timestamptz
  `.execute(db);
  await sql`
    create unique index tickets_help_hand_link on hraniteli_tickets (help_hand_link_hash)
      where help_hand_link_hash is not null
  `.execute(db);
}
