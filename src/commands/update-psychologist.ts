// An operator changes a psychologist: a rename, prices, activity, what they work with. The unique
// normalized name is the one judge of a duplicate (no look-up first that a concurrent rename could
// slip past): its violation is a 409, never a 500. Listings show names and prices, so they are rebuilt.
import type { Deps } from '../deps.ts';
import type { Psychologist } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { notFound } from '../errors.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import {
  checkPriceRange,
  duplicateName,
  psychologistColumns,
  type PsychologistFields,
} from './create-psychologist.ts';
import { inTransaction, isUniqueViolation } from './transaction.ts';

const UNIQUE_NAME = 'hraniteli_psychologists_name_normalized_key';

export async function updatePsychologist(
  deps: Deps,
  actor: Actor,
  input: { id: string; changes: Partial<PsychologistFields> },
): Promise<Psychologist> {
  requireService(actor);
  const { id, changes } = input;
  try {
    return await inTransaction(deps, async (trx, events) => {
      const existing = await psychologistsRepository.findById(trx, id, true);
      if (!existing) throw notFound('psychologist');
      checkPriceRange(changes.min_price ?? existing.min_price, changes.max_price ?? existing.max_price);
      const updated = await psychologistsRepository.update(
        trx,
        id,
        psychologistColumns(changes),
        deps.clock.now(),
      );
      events.record({ type: 'slots-changed' });
      return updated;
    });
  } catch (error) {
    if (changes.name !== undefined && isUniqueViolation(error, UNIQUE_NAME))
      throw duplicateName(changes.name);
    throw error;
  }
}
