// What an actor may see of the person behind a ticket. Typing a contact proves nothing, so a ticket shows
// what its own submission typed; the person's stored record shows only to whoever may see the whole
// person (the service, a proven identity), and only for tickets that carry nothing typed (made by
// operators, by the booking path, or before typed contacts were kept).
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import { mayAccessClient, mayAccessTicket, type Actor } from '../domain/access.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';

export interface ShownContact {
  name: string | null;
  phone: string | null;
  email: string | null;
  telegram: string | null;
}

const NOTHING: ShownContact = { name: null, phone: null, email: null, telegram: null };

export async function contactShownTo(
  deps: Deps,
  actor: Actor,
  ticket: Pick<Ticket, 'ticket_id' | 'client_id' | 'typed_contact'>,
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
  const stored = await clientsRepository.findById(deps.db, ticket.client_id);
  if (!stored) return NOTHING;
  return {
    name: stored.name,
    phone: stored.phone,
    email: stored.email,
    telegram: stored.telegram_username ? `@${stored.telegram_username}` : stored.telegram_id,
  };
}
