// The outbox sender claims pending rows oldest first (src/repositories/outbox.repository.ts, claim):
// an index of pending ids lets it read them in that order and stop at its batch size, however many
// sent rows the table has gathered. The existing (chat_id, id) index answers "is an older row of this
// chat still pending?".
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index outbox_pending_order on outbox (id) where status = 'pending'`.execute(db);
}
