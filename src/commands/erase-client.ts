// The right to be forgotten (DELETE /admin/clients/:lead_number): the person's name, contacts, Telegram
// ids, request texts, answers and message texts go, everywhere, in one transaction; their tickets and
// sessions stay as anonymous rows (status, times, psychologist), so counts and reports still add up.
// Erasing an erased client again changes nothing and succeeds. Every record that holds the person (SPEC
// §3 Identity: a submission's own record, and the account's its ticket moved to) is erased together. A later submission with the same
// contact is a new person: nothing links it to the erased one.
import type { Deps, Executor } from '../deps.ts';
import type { Client } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { erasureRepository } from '../repositories/erasure.repository.ts';
import { inTransaction } from './transaction.ts';

export async function eraseClient(
  deps: Deps,
  actor: Actor,
  input: { leadNumber: string },
): Promise<{ leadNumber: string; erasedAt: Date }> {
  requireService(actor);
  return inTransaction(deps, async (trx) => {
    const found = await clientsRepository.findByLeadOrId(trx, input.leadNumber);
    if (!found) throw notFound('client');
    const now = deps.clock.now();
    // One person may be held by several records: a submission's own, and the account's that a proof
    // moved its ticket to. All of them go.
    const records = await erasureRepository.connectedRecords(trx, found.id);
    let erasedAt: Date = now;
    for (const id of records) {
      // Locked first (in one order), so the erasure and a submission adding a ticket to this person do
      // not interleave: that ticket either committed before (and is erased) or is written after.
      const client = (await clientsRepository.lock(trx, id))!;
      const erased = await eraseRecord(trx, client, now);
      if (id === found.id) erasedAt = erased.erased_at ?? now;
    }
    return { leadNumber: found.lead_number, erasedAt };
  });
}

async function eraseRecord(trx: Executor, client: Client, now: Date): Promise<Client> {
  const handles = [client.telegram_id, client.telegram_username].filter((h): h is string => Boolean(h));
  const contacts = [...handles, client.phone, client.proven_phone, client.email, client.contact_value].filter(
    (c): c is string => Boolean(c),
  );
  const ticketIds = await erasureRepository.tickets(trx, client.id);
  await erasureRepository.analyticsSnapshots(trx, ticketIds);
  await erasureRepository.formAnswers(trx, ticketIds);
  await erasureRepository.sessions(trx, client.id);
  await erasureRepository.questionnaires(trx, client.id, now);
  await erasureRepository.outbox(trx, client.id, client.telegram_id, handles, ticketIds, now);
  if (client.telegram_id) await erasureRepository.verification(trx, client.telegram_id);
  await erasureRepository.adminThreads(trx, client.id);
  await erasureRepository.idempotencyAnswers(trx, client.id);
  await erasureRepository.researchResponses(trx, client.id, contacts, now);
  return erasureRepository.client(trx, client.id, now);
}
