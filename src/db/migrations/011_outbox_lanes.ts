// The operators' chat is kept usable (spec/bot-and-jobs.md, Outbox): a client's relayed words get a lane
// of their own that goes before anything else waiting for that chat, and new tickets' messages wait in
// a digest lane until their minute is gathered into one message (`digested` rows point at it). With two
// lanes a chat could have two messages claimable at once, so a claim also marks the row as in flight
// (`leased_until`): a chat with a message in flight gets nothing more until it is answered.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table outbox
      add column lane text not null default 'normal' check (lane in ('relay', 'normal', 'digest')),
      add column leased_until timestamptz,
      add column digest_id bigint references outbox (id) on delete set null;
    alter table outbox drop constraint outbox_status_check;
    alter table outbox add constraint outbox_status_check
      check (status in ('pending', 'sent', 'failed', 'skipped', 'digested'));
    create index outbox_digest_waiting on outbox (chat_id, id) where status = 'pending' and lane = 'digest';
  `.execute(db);
}
