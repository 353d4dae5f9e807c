// The web front end's matching + schedule in one answer (spec/web-form.md A, B.2, B.4): the four
// schedule endpoints and the catalog's convert-schedule-timezone. The psychologists who fit the form's
// answers (psychologist sex, a diagnosed psychiatric illness, one psychologist, diagnostic sessions),
// best first by the assignment coefficient, with their slots between two Moscow dates. Listings are
// kept in the free-slot listing cache (same freshness rules as get-available-slots) and the answer
// text is built once per listing and lead-time cut.
import { gzipSync } from 'node:zlib';
import type { Deps } from '../deps.ts';
import type { Actor } from '../domain/access.ts';
import { wantedSex } from '../domain/matching.ts';
import { clientOffsetMs, DAY_MS, moscowDayStart, parseYmd } from '../domain/time.ts';
import { hasPsychiatricDiagnosis } from '../domain/web-form.ts';
import {
  firstFrom,
  prepareSlots,
  scheduleJson,
  wholeDays,
  type PreparedSlot,
} from '../domain/web-schedule.ts';
import { badRequest } from '../errors.ts';
import { catalogRepository, type ScheduleFilter } from '../repositories/catalog.repository.ts';
import { normalizeName } from '../domain/names.ts';
import { recordOffered } from './form-tracking.ts';
import { assignedWindow } from '../domain/coefficient.ts';

/**
 * matching: get-agregated-schedule-v2; cards: get-agregated-schedule-cards; diagnostic:
 * schedule-diagnosis-v2 (free slots of the fitting psychologists); all: get-aggregated-all (booked
 * slots too); catalog: convert-schedule-timezone (every active psychologist, free and booked).
 */
export type ScheduleMode = 'matching' | 'cards' | 'diagnostic' | 'all' | 'catalog';

export interface ScheduleInput {
  mode: ScheduleMode;
  startDate?: string;
  endDate?: string;
  offsetHours: number;
  sexPsycho?: string;
  diagnoses: string[];
  onlyName?: string;
  /** The form id the matched names are recorded under (operators see what was offered). */
  ticketId?: string;
  /** How soon a slot may start and still be listed; MIN_LEAD_MINUTES unless a page needs more. */
  leadMinutes?: number;
}

/** The longest window one request may ask for. */
export const MAX_SCHEDULE_DAYS = 62;
/**
 * Slots one answer may hold. The form shows a month at once (a month of 100 psychologists' free times is
 * about 16 000), so this is above the 5 000 of the slot listings; past it the answer ends with the last
 * whole day that fits, never with a day shown half.
 */
export const MAX_SCHEDULE_SLOTS = 25_000;
const DEFAULT_DAYS = 28;

interface Listing {
  slots: PreparedSlot[];
  lastFrom: number;
  lastBody: Buffer;
  /** lastBody gzipped, made on the first request that accepts it. */
  lastGzip: Buffer | null;
  lastNames: string[];
}

/**
 * The answer as JSON bytes, `[{"name_order": [...], "items": [...]}]`, and the same gzipped. A month of
 * slots is megabytes of repetitive JSON (~15× smaller gzipped), and browsers always accept gzip; both
 * forms are made once per listing and lead-time cut.
 */
export interface ScheduleAnswer {
  json: Buffer;
  gzipped(): Buffer;
}

/**
 * Per service instance, which form ids were last recorded with which names, so that a repeated request
 * writes nothing (an optimization only: another instance records the same names once more).
 */
const recordedBy = new WeakMap<Deps, Map<string, string>>();
const MAX_RECORDED = 10_000;

export async function webSchedule(deps: Deps, _actor: Actor, input: ScheduleInput): Promise<ScheduleAnswer> {
  const now = deps.clock.now();
  const from = input.startDate ? parseYmd(input.startDate) : moscowDayStart(now);
  if (!from) throw badRequest('startDate', 'must be a real date YYYY-MM-DD');
  const last = input.endDate ? parseYmd(input.endDate) : new Date(from.getTime() + DEFAULT_DAYS * DAY_MS);
  if (!last) throw badRequest('endDate', 'must be a real date YYYY-MM-DD');
  if (last.getTime() < from.getTime()) throw badRequest('endDate', 'must not be before startDate');
  if (last.getTime() - from.getTime() > MAX_SCHEDULE_DAYS * DAY_MS)
    throw badRequest('endDate', `must be at most ${MAX_SCHEDULE_DAYS} days after startDate`);
  const to = new Date(last.getTime() + DAY_MS);

  const catalog = input.mode === 'catalog';
  const sex = catalog ? undefined : wantedSex(input.sexPsycho);
  const filter: ScheduleFilter = {
    ...(sex ? { sex } : {}),
    psychiatric: !catalog && hasPsychiatricDiagnosis(input.diagnoses),
    diagnosticOnly: input.mode === 'diagnostic',
    ...(input.onlyName && !catalog ? { onlyName: input.onlyName } : {}),
    allStates: catalog || input.mode === 'all',
  };
  const key = `web-schedule:${JSON.stringify([
    filter.sex ?? null,
    filter.psychiatric,
    filter.diagnosticOnly,
    filter.onlyName ? normalizeName(filter.onlyName) : null,
    filter.allStates,
    from.getTime(),
    to.getTime(),
    input.offsetHours,
  ])}`;
  const listing = await deps.listings.value<Listing>(key, async () => ({
    slots: prepareSlots(
      wholeDays(
        await catalogRepository.scheduleRows(
          deps.db,
          filter,
          { from, to },
          assignedWindow(now),
          MAX_SCHEDULE_SLOTS + 1,
        ),
        MAX_SCHEDULE_SLOTS,
      ),
      clientOffsetMs(input.offsetHours),
    ),
    lastFrom: -1,
    lastBody: Buffer.alloc(0),
    lastGzip: null,
    lastNames: [],
  }));
  const earliest = now.getTime() + (input.leadMinutes ?? deps.config.minLeadMinutes) * 60_000;
  const start = firstFrom(listing.slots, earliest);
  if (start !== listing.lastFrom) {
    const built = scheduleJson(start === 0 ? listing.slots : listing.slots.slice(start));
    listing.lastBody = Buffer.from(built.json);
    listing.lastGzip = null;
    listing.lastNames = built.names;
    listing.lastFrom = start;
  }
  if (input.ticketId && !catalog && input.mode !== 'all')
    await remember(deps, input.ticketId, listing.lastNames);
  const json = listing.lastBody;
  return {
    json,
    // Level 1: 5 ms for a month of 5 000 slots, within a few per cent of the best ratio on this JSON.
    gzipped: () => {
      if (listing.lastBody !== json) return gzipSync(json, { level: 1 });
      listing.lastGzip ??= gzipSync(json, { level: 1 });
      return listing.lastGzip;
    },
  };
}

async function remember(deps: Deps, ticketId: string, names: string[]): Promise<void> {
  const signature = names.join('\n');
  let recorded = recordedBy.get(deps);
  if (!recorded) recordedBy.set(deps, (recorded = new Map()));
  if (recorded.get(ticketId) === signature) return;
  await recordOffered(deps, ticketId, names);
  if (recorded.size >= MAX_RECORDED) recorded.clear();
  recorded.set(ticketId, signature);
}
