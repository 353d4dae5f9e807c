// Identity by proof (SPEC §3 "Identity: proofs and claims"). A record (client, lead number) is keyed by
// what Telegram proves — the account, its username, a phone shared with the "share my number" button —
// never by a contact typed into a form: the typed contact stops being unique (operators see "possibly
// the same person" by it), a form id names one ticket only (the first submitted under it), each ticket
// remembers the record its submission made (so erasure finds what
// a proof later moved), the bot keeps which account asked to open which ticket until it proves the
// claim, and failed login codes count per requester.
//
// Existing data: records merged by a typed contact are split (every ticket beyond a record's first
// typed one gets a record of its own, made from what that ticket typed); a ticket linked to a Telegram
// account without proof leaves the account unless the account's username or id is the one the ticket
// typed; a typed numeric id or @username stored as if Telegram had vouched for it is cleared.
import { sql, type Kysely } from 'kysely';
import { newLeadNumber } from '../../domain/ids.ts';

interface TypedClaim {
  name?: string | null;
  age?: number | null;
  type?: string | null;
  value?: string | null;
  phone?: string | null;
  email?: string | null;
  telegram?: string | null;
}

interface Row {
  ticket_id: string;
  client_id: string;
  typed_contact: TypedClaim | string;
  telegram_id: string | null;
  telegram_username: string | null;
  contact_key: string | null;
  created_at: Date;
}

const CONTACT_TYPES = ['telegram', 'whatsapp', 'phone', 'vk', 'max', 'email'];

/** The claim key a submission would have given this typed contact (contact.ts's rule). */
export function claimKey(claim: TypedClaim): string | null {
  if (!claim.type || !claim.value) return null;
  if (claim.phone && ['phone', 'whatsapp', 'max'].includes(claim.type)) return `phone:${claim.phone}`;
  return `${claim.type}:${claim.value}`;
}

/** True when the account already holding the ticket is the one its submission named. */
function provenBy(
  claim: TypedClaim,
  account: { telegram_id: string | null; telegram_username: string | null },
) {
  const typed = claim.telegram?.toLowerCase();
  if (!typed || !account.telegram_id) return false;
  if (typed === account.telegram_id) return true;
  return account.telegram_username !== null && typed === `@${account.telegram_username.toLowerCase()}`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table hraniteli_clients drop constraint if exists hraniteli_clients_contact_key_key;
    create index clients_contact_key on hraniteli_clients (contact_key);
    alter table hraniteli_clients add column proven_phone text;
    alter table hraniteli_clients add column merged_into uuid references hraniteli_clients (id);
    create index clients_proven_phone on hraniteli_clients (proven_phone);
    alter table hraniteli_tickets add column origin_client_id uuid references hraniteli_clients (id);
    alter table hraniteli_tickets add column linked_by text;
    create index tickets_origin_client on hraniteli_tickets (origin_client_id);

    create table link_requests (
      telegram_id text not null,
      ticket_id text not null references hraniteli_tickets (ticket_id) on delete cascade,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (telegram_id, ticket_id)
    );

    alter table verification_failures add column requester text;
    create index verification_failures_by_requester on verification_failures (requester, at);
  `.execute(db);

  // Typed Telegram handles that were stored as if proven.
  await sql`
    update hraniteli_clients set telegram_id = null
    where telegram_id is not null and contact_key = 'telegram:' || telegram_id
  `.execute(db);
  await sql`
    update hraniteli_clients set telegram_username = null
    where telegram_id is null and telegram_username is not null
  `.execute(db);
  await sql`update hraniteli_tickets set origin_client_id = client_id`.execute(db);
  // A form id belongs to the first ticket submitted under it; later ones that reused it (anyone can type
  // it) keep it only in their raw payload.
  await sql`
    update hraniteli_tickets t set form_ticket_id = null
    where form_ticket_id is not null and exists (
      select 1 from hraniteli_tickets f
      where f.form_ticket_id = t.form_ticket_id
        and (f.created_at, f.ticket_id) < (t.created_at, t.ticket_id))
  `.execute(db);
  await sql`
    create unique index tickets_form_ticket_id_unique on hraniteli_tickets (form_ticket_id)
      where form_ticket_id is not null
  `.execute(db);

  const { rows } = await sql<Row>`
    select t.ticket_id, t.client_id, t.typed_contact, c.telegram_id, c.telegram_username, c.contact_key,
           t.created_at
    from hraniteli_tickets t join hraniteli_clients c on c.id = t.client_id
    where t.typed_contact is not null and c.erased_at is null
    order by t.client_id, t.created_at, t.ticket_id
  `.execute(db);

  let kept: string | null = null;
  for (const row of rows) {
    const claim: TypedClaim =
      typeof row.typed_contact === 'string' ? JSON.parse(row.typed_contact) : row.typed_contact;
    const first = kept !== row.client_id;
    kept = row.client_id;
    const stays = row.telegram_id ? provenBy(claim, row) : first;
    if (stays) continue;
    await splitOff(db, row, claim);
  }
}

/** Gives the ticket a record of its own, made from what it typed, and moves its sessions with it. */
async function splitOff(db: Kysely<unknown>, row: Row, claim: TypedClaim): Promise<void> {
  const key = claimKey(claim);
  let id: string | undefined;
  for (let attempt = 0; attempt < 20 && !id; attempt++) {
    const { rows } = await sql<{ id: string }>`
      insert into hraniteli_clients
        (lead_number, contact_key, contact_type, contact_value, name, age, phone, email, created_at, updated_at)
      values (${newLeadNumber()}, ${key},
        ${claim.type && CONTACT_TYPES.includes(claim.type) ? claim.type : null}, ${claim.value ?? null},
        ${claim.name ?? null}, ${typeof claim.age === 'number' ? claim.age : null}, ${claim.phone ?? null},
        ${claim.email ?? null}, ${row.created_at}, ${row.created_at})
      on conflict (lead_number) do nothing
      returning id
    `.execute(db);
    id = rows[0]?.id;
  }
  if (!id) throw new Error('could not draw a free lead number');
  await sql`update hraniteli_tickets set client_id = ${id}, origin_client_id = ${id}, linked_by = null
            where ticket_id = ${row.ticket_id}`.execute(db);
  await sql`update hraniteli_sessions set client_id = ${id} where ticket_id = ${row.ticket_id}`.execute(db);
  await sql`update outbox set client_id = ${id} where ticket_id = ${row.ticket_id}`.execute(db);
  await sql`update client_questionnaires set client_id = ${id}
            where session_id in (select id from hraniteli_sessions where ticket_id = ${row.ticket_id})`.execute(
    db,
  );
  await sql`update research_responses set client_id = ${id} where ticket_id = ${row.ticket_id}`.execute(db);
  // An account that took over a submission's record also took what that submission typed: it goes.
  if (row.telegram_id && key && row.contact_key === key) {
    await sql`
      update hraniteli_clients
      set contact_key = null, contact_type = 'telegram', contact_value = null, name = null, age = null,
          phone = null, email = null, utm = null
      where id = ${row.client_id}
    `.execute(db);
  }
}
