// Finds the psychologists and candidate slots for a client's preferences (the matching of
// submit-application and register-ticket-for-help-hand).
import type { Deps, Executor } from '../deps.ts';
import { rankCandidates, wantedSex, worksWithAny } from '../domain/matching.ts';
import { parseSlotTime, DAY_MS } from '../domain/time.ts';
import { badRequest } from '../errors.ts';
import { isUuid, psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { slotsRepository, type FreeSlotRow } from '../repositories/slots.repository.ts';
import { monthBounds } from './refresh-clients-provided.ts';

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
  const psychologists = (
    await psychologistsRepository.matchCandidates(
      db,
      {
        ...(sex ? { sex } : {}),
        ...(request.priceMax !== undefined ? { priceMax: request.priceMax } : {}),
        helpHandOnly: request.helpHand,
      },
      now,
      monthBounds(now).end,
    )
  ).filter((p) => worksWithAny(p.queries, request.specializations));
  if (psychologists.length === 0) return [];

  const chose = request.selectedSlots.length > 0;
  const from = new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
  const to = new Date(now.getTime() + 29 * DAY_MS);
  const ids = psychologists.map((p) => p.id);
  const free = chose
    ? await slotsRepository.listFree(db, {
        from,
        to: new Date(now.getTime() + 366 * DAY_MS),
        psychologistIds: ids,
        slotIds,
        startTimes,
      })
    : await slotsRepository.nextFreePerPsychologist(db, ids, from, to, OFFERED_WITHOUT_CHOICE);
  const byPsychologist = new Map<string, FreeSlotRow[]>();
  for (const slot of free) {
    const list = byPsychologist.get(slot.psychologist_id) ?? [];
    list.push(slot);
    byPsychologist.set(slot.psychologist_id, list);
  }

  const matches = psychologists
    .map((p) => ({
      id: p.id,
      name: p.name,
      price: p.min_price,
      coefficient: p.coefficient,
      slots: byPsychologist.get(p.id) ?? [],
    }))
    .filter((m) => !chose || m.slots.length > 0);
  return rankCandidates(matches);
}
