// What an actor may see of the person behind a ticket. Typing a contact proves nothing, so a ticket shows
// what its own submission typed; the person's stored record shows only to whoever may see the whole
// person (the service, a proven identity), and only for tickets that carry nothing typed (made by
// operators, by the booking path, or before typed contacts were kept).
import type { Executor } from '../deps.ts';
import type { Client, Ticket } from '../db/types.ts';
import { mayAccessClient, mayAccessTicket, type Actor } from '../domain/access.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';

export interface ShownContact {
  name: string | null;
  phone: string | null;
  email: string | null;
  telegram: string | null;
}

const NOTHING: ShownContact = { name: null, phone: null, email: null, telegram: null };

/**
 * `db`: the executor to read the client's record with — the caller's transaction when it holds one
 * (on the embedded database a read beside an open transaction waits for it for good).
 * `stored`: the client's record when the caller has read it already (else it is read when needed).
 */
export async function contactShownTo(
  db: Executor,
  actor: Actor,
  ticket: Pick<Ticket, 'ticket_id' | 'client_id' | 'typed_contact'>,
  stored?: Pick<Client, 'name' | 'phone' | 'email' | 'telegram_username' | 'telegram_id'>,
): Promise<ShownContact> {
  if (!mayAccessTicket(actor, ticket)) return NOTHING;
  const typed = ticket.typed_contact as Partial<ShownContact> | null;
  if (typed) {
    return {
      name: typed.name ?? null,
      phone: typed.phone ?? null,
      email: typed.email ?? null,
      telegram: typed.telegram ?? null,
    };
  }
  if (!mayAccessClient(actor, ticket.client_id)) return NOTHING;
  const record = stored ?? (await clientsRepository.findById(db, ticket.client_id));
  if (!record) return NOTHING;
  return {
    name: record.name,
    phone: record.phone,
    email: record.email,
    telegram: record.telegram_username ? `@${record.telegram_username}` : record.telegram_id,
  };
}
