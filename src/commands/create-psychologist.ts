// An operator enters a psychologist. Names are unique as people read them (case, repeated spaces and ё
// ignored): the unique normalized name decides, so two operators entering the same person at once get
// one row and a 409.
import type { Deps } from '../deps.ts';
import type { Psychologist, PsychologistUpdate } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { normalizeName, tidyName } from '../domain/names.ts';
import { badRequest, conflict } from '../errors.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';

/** What an operator may set on a psychologist, named as the columns are. */
export interface PsychologistFields {
  name: string;
  sex: 'male' | 'female';
  telegram_id?: string;
  telegram_username?: string;
  min_price: number;
  max_price: number;
  queries?: string[];
  works_with?: string[];
  description?: string;
  experience_years?: number;
  link_photo?: string;
  link_video?: string;
  help_hand?: boolean;
  debt?: number;
  is_active?: boolean;
  zoom_account?: string;
}

/** The columns of the given fields: the name tidied and normalized, the username without its @. */
export function psychologistColumns(fields: Partial<PsychologistFields>): PsychologistUpdate {
  const values: PsychologistUpdate = { ...fields };
  if (fields.name !== undefined) {
    values.name = tidyName(fields.name);
    values.name_normalized = normalizeName(fields.name);
  }
  if (fields.telegram_username !== undefined)
    values.telegram_username = fields.telegram_username.replace(/^@/, '');
  return values;
}

export const duplicateName = (name: string) =>
  conflict('duplicate_name', `психолог с именем «${tidyName(name)}» уже есть`);

export function checkPriceRange(minPrice: number, maxPrice: number): void {
  if (minPrice > maxPrice) throw badRequest('max_price', 'must not be below min_price');
}

export async function createPsychologist(
  deps: Deps,
  actor: Actor,
  input: PsychologistFields,
): Promise<Psychologist> {
  requireService(actor);
  checkPriceRange(input.min_price, input.max_price);
  const now = deps.clock.now();
  const created = await psychologistsRepository.insert(deps.db, {
    ...psychologistColumns(input),
    name: tidyName(input.name),
    name_normalized: normalizeName(input.name),
    sex: input.sex,
    created_at: now,
    updated_at: now,
  });
  if (!created) throw duplicateName(input.name);
  // A new psychologist shows in listings, the catalog and schedules at once (committed: the effect runs now).
  await deps.effects.run([{ type: 'slots-changed' }]);
  return created;
}
