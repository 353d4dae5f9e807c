// Whether a request carries a proof of who the person is (SPEC §3 Identity): a whole-client token, which
// only the Telegram login code or a signed link sent to the person's own chat gives. A ticket's token
// proves that ticket only, and a typed contact proves nothing.
import type { Executor } from '../deps.ts';
import type { Client } from '../db/types.ts';
import type { Actor } from '../domain/access.ts';
import { unauthorized } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';

/** The record a whole-client token proves, or undefined. */
export function provenClientOf(actor: Actor): string | undefined {
  return actor.kind === 'client' && actor.ticketId === undefined ? actor.clientId : undefined;
}

/** That record, locked for the transaction; an erased person's old token proves nothing any more. */
export async function provenClient(db: Executor, clientId: string): Promise<Client> {
  const client = await clientsRepository.lock(db, clientId);
  if (!client || client.erased_at) throw unauthorized('the token no longer names a person');
  return client;
}
