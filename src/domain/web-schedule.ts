// The web front end's schedule answer (spec/web-form.md A and B.2): matching and slots in one nested
// array — `[{name_order, items: [{date, pretty_date, day_name, slots: {"HH:MM": [Slot…]}}]}]`. Slots
// keep Moscow `date`/`time` (the form turns them into "dd.M HH:00"); the days, their labels, the map
// keys and the two local fields are at the client's offset. Pure: rows in, JSON text out.
import { moscowDayStart, partsAt, type DateParts } from './time.ts';

export const FREE_STATE = 'Свободен';
export const BOOKED_STATE = 'Забронирован';

/** A slot of a matched psychologist, as read for a schedule. */
export interface ScheduleRow {
  id: string;
  start_ms: number;
  psychologist: string;
  coefficient: number;
  state: 'free' | 'booked';
  confirmed: boolean;
}

/** A row with everything the answer needs precomputed once per listing. */
export interface PreparedSlot {
  startMs: number;
  psychologist: string;
  coefficient: number;
  /** Local day "YYYY-MM-DD", its "DD.MM" and weekday, and the local "HH:MM" key. */
  day: string;
  prettyDate: string;
  dayName: string;
  timeKey: string;
  json: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (p: DateParts) => `${p.year}-${pad(p.month)}-${pad(p.day)}`;
const hm = (p: DateParts) => `${pad(p.hour)}:${pad(p.minute)}`;

/** Serializes each row once (its fields depend only on the row and the offset). */
export function prepareSlots(rows: readonly ScheduleRow[], offsetMs: number): PreparedSlot[] {
  return rows.map((row) => {
    const at = new Date(row.start_ms);
    const moscow = partsAt(at);
    const local = partsAt(at, offsetMs);
    const slot = {
      id: row.id,
      psychologist: row.psychologist,
      date: ymd(moscow),
      time: hm(moscow),
      state: row.state === 'free' ? FREE_STATE : BOOKED_STATE,
      ticket: null,
      client_id: null,
      meeting_link: null,
      meeting_id: null,
      calendar_meeting_id: null,
      confirmed: row.confirmed,
      auto_assigned: false,
      auto_canceled: false,
      is_helpful_hand: false,
      'Дата Локальная': ymd(local),
      'Время Локальное': hm(local),
    };
    return {
      startMs: row.start_ms,
      psychologist: row.psychologist,
      coefficient: row.coefficient,
      day: ymd(local),
      prettyDate: `${pad(local.day)}.${pad(local.month)}`,
      dayName: local.weekday,
      timeKey: hm(local),
      json: JSON.stringify(slot),
    };
  });
}

/**
 * The psychologists of these slots, best first: remaining assignment coefficient, then how many slots
 * they have here, then name (as submit-application ranks its matches).
 */
export function nameOrder(slots: readonly PreparedSlot[]): string[] {
  const byName = new Map<string, { coefficient: number; count: number }>();
  for (const slot of slots) {
    const seen = byName.get(slot.psychologist);
    if (seen) seen.count++;
    else byName.set(slot.psychologist, { coefficient: slot.coefficient, count: 1 });
  }
  return [...byName.entries()]
    .sort(([a, x], [b, y]) => y.coefficient - x.coefficient || y.count - x.count || a.localeCompare(b, 'ru'))
    .map(([name]) => name);
}

/** The answer text for slots sorted by start: days and times ascending, each time's slots by rank. */
export function scheduleJson(slots: readonly PreparedSlot[]): { names: string[]; json: string } {
  const names = nameOrder(slots);
  const rank = new Map(names.map((name, i) => [name, i]));
  const days: string[] = [];
  let i = 0;
  while (i < slots.length) {
    const first = slots[i]!;
    const times: string[] = [];
    while (i < slots.length && slots[i]!.day === first.day) {
      const key = slots[i]!.timeKey;
      const group: PreparedSlot[] = [];
      while (i < slots.length && slots[i]!.day === first.day && slots[i]!.timeKey === key)
        group.push(slots[i++]!);
      group.sort((a, b) => rank.get(a.psychologist)! - rank.get(b.psychologist)!);
      times.push(`${JSON.stringify(key)}:[${group.map((s) => s.json).join(',')}]`);
    }
    days.push(
      `{"date":"${first.day}","pretty_date":"${first.prettyDate}","day_name":"${first.dayName}","slots":{${times.join(',')}}}`,
    );
  }
  return { names, json: `[{"name_order":${JSON.stringify(names)},"items":[${days.join(',')}]}]` };
}

/** The index of the first slot starting at or after `ms` in slots sorted by start. */
export function firstFrom(slots: readonly { startMs: number }[], ms: number): number {
  let low = 0;
  let high = slots.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (slots[mid]!.startMs < ms) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** At most `max` rows (by start): when there are more, the day the cut falls in is left out whole. */
export function wholeDays<T extends { start_ms: number }>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const cut = moscowDayStart(new Date(rows[max]!.start_ms)).getTime();
  const kept = rows.slice(0, max).filter((row) => row.start_ms < cut);
  // One day over the cap on its own: its first slots, rather than nothing.
  return kept.length ? kept : rows.slice(0, max);
}
