// An operator loads a psychologist's slots, up to 5 000 a call, in any slot-time format. A time the
// psychologist already has is skipped, not duplicated: the unique (psychologist, start) decides.
import type { Deps } from '../deps.ts';
import type { Slot } from '../db/types.ts';
import { analyzeHotTables } from '../db/database.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { parseSlotTime } from '../domain/time.ts';
import { badRequest, notFound } from '../errors.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';

/** Slot inserts from this many rows on are followed by ANALYZE on the embedded database. */
const BULK_ANALYZE_ROWS = 100;

export interface AddSlotsInput {
  /** The psychologist's id or name. */
  psychologist: string;
  /** Slot times as typed ("05.12 14:00", "2026-12-05 14:00", ISO-8601). */
  slots: string[];
  durationMinutes?: number;
  price?: number;
}

export async function addSlots(
  deps: Deps,
  actor: Actor,
  input: AddSlotsInput,
): Promise<{ created: Pick<Slot, 'id' | 'start_at'>[]; skipped: number }> {
  requireService(actor);
  const psychologist = await psychologistsRepository.findByIdOrName(deps.db, input.psychologist);
  if (!psychologist) throw notFound('psychologist');
  const now = deps.clock.now();
  const starts = new Map<number, Date>();
  input.slots.forEach((text, index) => {
    const at = parseSlotTime(text, now);
    if (!at)
      throw badRequest(`slots.${index}`, 'must be a time like "05.12 14:00", "2026-12-05 14:00" or ISO-8601');
    starts.set(at.getTime(), at);
  });
  const created = await slotsRepository.addMany(
    deps.db,
    psychologist.id,
    [...starts.values()],
    input.durationMinutes ?? 60,
    input.price ?? null,
  );
  // PGlite has no autovacuum: a bulk load would leave the planner without statistics (seen: a listing
  // by name walking every free slot). PostgreSQL's autovacuum catches up by itself.
  if (deps.database.kind === 'pglite' && created.length >= BULK_ANALYZE_ROWS) await analyzeHotTables(deps.db);
  // Committed outside a transaction: the after-commit effect runs here.
  await deps.effects.run([{ type: 'slots-changed' }]);
  return {
    created: created.sort((a, b) => a.start_at.getTime() - b.start_at.getTime()),
    skipped: input.slots.length - created.length,
  };
}
