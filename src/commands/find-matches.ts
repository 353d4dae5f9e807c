// Finds the psychologists and candidate slots for a client's preferences (the matching of
// submit-application and register-ticket-for-help-hand).
import type { Deps, Executor } from '../deps.ts';
import { fitsWishes, rankCandidates, wantedSex } from '../domain/matching.ts';
import { parseSlotTime, DAY_MS } from '../domain/time.ts';
import { badRequest } from '../errors.ts';
import {
  isUuid,
  psychologistsRepository,
  type CandidateFilter,
} from '../repositories/psychologists.repository.ts';
import { slotsRepository, type FreeSlotRow } from '../repositories/slots.repository.ts';
import { assignedWindow } from '../domain/coefficient.ts';
import { MAX_PAGE } from '../domain/limits.ts';

export interface MatchRequest {
  gender?: string;
  priceMax?: number;
  specializations: string[];
  selectedSlots: string[];
  helpHand: boolean;
}

export interface Match {
  id: string;
  name: string;
  price: number;
  coefficient: number;
  slots: FreeSlotRow[];
}

/** How many upcoming free slots to offer per psychologist when the client chose no times. */
const OFFERED_WITHOUT_CHOICE = 5;

export async function findMatches(deps: Deps, db: Executor, request: MatchRequest): Promise<Match[]> {
  const now = deps.clock.now();
  const slotIds: string[] = [];
  const startTimes: Date[] = [];
  request.selectedSlots.forEach((value, index) => {
    if (isUuid(value.trim())) slotIds.push(value.trim().toLowerCase());
    else {
      const at = parseSlotTime(value, now);
      if (!at) throw badRequest(`selected_slots.${index}`, 'must be a slot id or a time like "05.12 14:00"');
      startTimes.push(at);
    }
  });

  const sex = wantedSex(request.gender);
  const candidates: CandidateFilter = {
    ...(sex ? { sex } : {}),
    ...(request.priceMax !== undefined ? { priceMax: request.priceMax } : {}),
    helpHandOnly: request.helpHand,
    specializations: request.specializations,
  };
  const assigned = assignedWindow(now);
  const from = new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);

  // With chosen times only psychologists free at one of them are offered; without, every candidate is,
  // with their next free slots. Either way one statement reads candidates, slots and coefficients.
  const byPsychologist = new Map<string, Match>();
  if (request.selectedSlots.length > 0) {
    const window = { from, to: new Date(now.getTime() + 366 * DAY_MS) };
    const free =
      slotIds.length === 0 && deps.listings.caching
        ? await freeAtFromMemory(deps, db, candidates, startTimes, window, assigned)
        : await slotsRepository.matchingAt(db, candidates, { ...window, slotIds, startTimes }, assigned);
    for (const { coefficient, ...slot } of free) {
      const match = byPsychologist.get(slot.psychologist_id);
      if (match) match.slots.push(slot);
      else
        byPsychologist.set(slot.psychologist_id, {
          id: slot.psychologist_id,
          name: slot.psychologist,
          price: slot.min_price,
          coefficient,
          slots: [slot],
        });
    }
  } else {
    const rows = await psychologistsRepository.candidatesWithNextFree(
      db,
      candidates,
      { from, to: new Date(now.getTime() + 29 * DAY_MS), perPsychologist: OFFERED_WITHOUT_CHOICE },
      assigned,
    );
    for (const row of rows) {
      let match = byPsychologist.get(row.id);
      if (!match) {
        match = { id: row.id, name: row.name, price: row.min_price, coefficient: row.coefficient, slots: [] };
        byPsychologist.set(row.id, match);
      }
      if (row.slot_id !== null && row.start_ms !== null && row.duration_minutes !== null) {
        match.slots.push({
          id: row.slot_id,
          start_ms: row.start_ms,
          duration_minutes: row.duration_minutes,
          price: row.price,
          psychologist_id: row.id,
          psychologist: row.name,
          min_price: row.min_price,
        });
      }
    }
  }
  // Every candidate is ranked; the best MAX_PAGE are offered.
  return rankCandidates([...byPsychologist.values()]).slice(0, MAX_PAGE);
}

/**
 * slotsRepository.matchingAt for chosen times, from memory: the active psychologists (with their
 * coefficients) and the free slots at each chosen time are kept in the listing cache, which every slot,
 * session or psychologist change of this instance drops and which sees other instances' writes within
 * its TTL — as the free-slot listings do; a booking re-checks in the database. Same rows, same order.
 * A miss reads through the caller's `db`; inside a transaction the cache only passes the read through
 * (ListingCache.value), so a transaction never waits for a load another request started.
 */
async function freeAtFromMemory(
  deps: Deps,
  db: Executor,
  wishes: CandidateFilter,
  times: Date[],
  window: { from: Date; to: Date },
  assigned: { from: Date; to: Date },
): Promise<(FreeSlotRow & { coefficient: number })[]> {
  const profiles = await deps.listings.value(
    `matching:psychologists:${assigned.from.getTime()}:${assigned.to.getTime()}`,
    async () => new Map((await psychologistsRepository.matchingProfiles(db, assigned)).map((p) => [p.id, p])),
  );
  const wanted = [...new Set(times.map((t) => t.getTime()))].filter(
    (t) => t >= window.from.getTime() && t < window.to.getTime(),
  );
  const atTimes = await Promise.all(
    wanted.map((t) =>
      deps.listings.value(`matching:free-at:${t}`, () => slotsRepository.freeAt(db, new Date(t))),
    ),
  );
  const rows: (FreeSlotRow & { coefficient: number })[] = [];
  for (const slot of atTimes.flat()) {
    const p = profiles.get(slot.psychologist_id);
    if (!p || !fitsWishes(p, wishes)) continue;
    rows.push({ ...slot, psychologist: p.name, min_price: p.min_price, coefficient: p.coefficient });
  }
  // As the SQL orders them: by start, then name.
  return rows.sort(
    (a, b) =>
      a.start_ms - b.start_ms ||
      (a.psychologist < b.psychologist ? -1 : a.psychologist > b.psychologist ? 1 : 0),
  );
}
