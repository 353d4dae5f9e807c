// An operator deletes a free slot. A booked slot is refused (its session is cancelled first), and so is
// a slot that ever had a session: its history would lose the time it refers to.
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { conflict, notFound } from '../errors.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { inTransaction } from './transaction.ts';

export async function deleteSlot(deps: Deps, actor: Actor, input: { slotId: string }): Promise<void> {
  requireService(actor);
  await inTransaction(deps, async (trx, events) => {
    const outcome = await slotsRepository.deleteFree(trx, input.slotId);
    if (outcome === 'missing') throw notFound('slot');
    if (outcome === 'booked') throw conflict('slot_booked', 'слот забронирован: сначала отмените сессию');
    if (outcome === 'has_history')
      throw conflict('slot_has_history', 'на слоте были сессии: его нельзя удалить, только оставить');
    events.record({ type: 'slots-changed' });
  });
}
