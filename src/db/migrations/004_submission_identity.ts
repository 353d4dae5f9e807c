// Identity of public submissions: an Idempotency-Key replays only for the same route and body and
// expires after a day; each ticket keeps the contacts its submission typed, so a known person's stored
// contacts are neither shown to nor overwritten by whoever typed their handle.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table idempotency_keys
      add column body_hash text,
      add column expires_at timestamptz not null default now() + interval '24 hours'
  `.execute(db);
  await sql`create index idempotency_keys_expiry on idempotency_keys (expires_at)`.execute(db);
  await sql`alter table hraniteli_tickets add column typed_contact jsonb`.execute(db);
}
