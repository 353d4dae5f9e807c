// Moscow business time: parsing and formatting of the API's "DD.MM HH:mm" family (SPEC §3).
// Europe/Moscow has been UTC+3 with no daylight saving since 2014-10-26, so a fixed offset is exact
// for every date the service handles, and keeps the hot slot listings free of zone lookups.

export const MOSCOW_OFFSET_MS = 3 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const WEEKDAYS = ['Вс', 'Пн', 'Вт', 'Ср', 'Чт', 'Пт', 'Сб'] as const;

export interface DateParts {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  weekday: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Wall-clock parts of a moment shifted by `offsetMs` from UTC (Moscow by default). */
export function partsAt(date: Date, offsetMs = MOSCOW_OFFSET_MS): DateParts {
  const shifted = new Date(date.getTime() + offsetMs);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    weekday: WEEKDAYS[shifted.getUTCDay()]!,
  };
}

/** "DD.MM" in Moscow (or at the given offset). */
export function formatDate(date: Date, offsetMs = MOSCOW_OFFSET_MS): string {
  const p = partsAt(date, offsetMs);
  return `${pad(p.day)}.${pad(p.month)}`;
}

/** "HH:mm" in Moscow (or at the given offset). */
export function formatTime(date: Date, offsetMs = MOSCOW_OFFSET_MS): string {
  const p = partsAt(date, offsetMs);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** "DD.MM HH:mm" in Moscow. */
export function formatDateTime(date: Date): string {
  return `${formatDate(date)} ${formatTime(date)}`;
}

function isValidDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= last;
}

function moscowMoment(year: number, month: number, day: number, hour: number, minute: number): Date {
  return new Date(Date.UTC(year, month - 1, day, hour, minute) - MOSCOW_OFFSET_MS);
}

/** Start of a Moscow calendar day given as "YYYY-MM-DD"; null when it is not a real date. */
export function parseYmd(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isValidDate(y, mo, d) || y < 1900 || y > 2200) return null;
  return moscowMoment(y, mo, d, 0, 0);
}

/** Start of the Moscow day containing `date`, plus `days` days. */
export function moscowDayStart(date: Date, days = 0): Date {
  const p = partsAt(date);
  return new Date(moscowMoment(p.year, p.month, p.day, 0, 0).getTime() + days * DAY_MS);
}

/** Start of the first day of the next Moscow month. */
export function moscowNextMonthStart(date: Date): Date {
  const p = partsAt(date);
  return moscowMoment(p.month === 12 ? p.year + 1 : p.year, p.month === 12 ? 1 : p.month + 1, 1, 0, 0);
}

/** The year rule of SPEC §3: of last, this and next year, the one putting the moment closest to now. */
function closestYear(now: Date, month: number, day: number, hour: number, minute: number): Date | null {
  const year = partsAt(now).year;
  let best: Date | null = null;
  for (const y of [year - 1, year, year + 1]) {
    if (!isValidDate(y, month, day)) continue;
    const candidate = moscowMoment(y, month, day, hour, minute);
    if (!best || Math.abs(candidate.getTime() - now.getTime()) < Math.abs(best.getTime() - now.getTime())) {
      best = candidate;
    }
  }
  return best;
}

function validClock(hour: number, minute: number): boolean {
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59;
}

/**
 * A slot time as the API accepts it: "DD.MM HH:mm" (Moscow, year rule), "YYYY-MM-DD HH:mm" (Moscow),
 * or ISO-8601 with an offset or Z. Returns null for anything else, including 31.02 and 24:00.
 */
/** Slot times outside these years are typing mistakes (and year 0 is no date the database knows). */
const SLOT_YEARS = { min: 2000, max: 2200 };
const plausible = (date: Date | null): Date | null => {
  if (!date || Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year >= SLOT_YEARS.min && year <= SLOT_YEARS.max ? date : null;
};

export function parseSlotTime(input: string, now: Date): Date | null {
  return plausible(parseSlotText(input, now));
}

function parseSlotText(input: string, now: Date): Date | null {
  const text = input.trim();
  let m = /^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?[ T,]+(\d{1,2}):(\d{2})$/.exec(text);
  if (m) {
    const [d, mo, h, mi] = [Number(m[1]), Number(m[2]), Number(m[4]), Number(m[5])];
    if (!validClock(h, mi)) return null;
    if (m[3]) {
      const y = Number(m[3]);
      return isValidDate(y, mo, d) ? moscowMoment(y, mo, d, h, mi) : null;
    }
    return closestYear(now, mo, d, h, mi);
  }
  m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (m) {
    const [y, mo, d, h, mi] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
    const s = m[6] ? Number(m[6]) : 0;
    if (!isValidDate(y, mo, d) || !validClock(h, mi) || s > 59) return null;
    if (!m[7]) return moscowMoment(y, mo, d, h, mi);
    const parsed = new Date(text.replace(' ', 'T'));
    return Number.isNaN(parsed.getTime()) ? null : parsed;
  }
  return null;
}

/** Offset in ms for a client's `userTimeOffsetMsk` (hours relative to Moscow). */
export function clientOffsetMs(userTimeOffsetMsk: number): number {
  return MOSCOW_OFFSET_MS + userTimeOffsetMsk * 60 * 60 * 1000;
}

export { DAY_MS };

export interface SlotTimeFields {
  date: string;
  time: string;
  start_iso: string;
}

const slotTimeMemo = new Map<number, SlotTimeFields>();

/**
 * "DD.MM", "HH:mm" (Moscow) and the ISO string of a slot start given in epoch ms. Slot listings repeat
 * the same few start times across psychologists, so the formatted forms are remembered (bounded).
 */
export function slotTimeFields(startMs: number): SlotTimeFields {
  let fields = slotTimeMemo.get(startMs);
  if (!fields) {
    if (slotTimeMemo.size >= 50_000) slotTimeMemo.clear();
    const date = new Date(startMs);
    fields = { date: formatDate(date), time: formatTime(date), start_iso: date.toISOString() };
    slotTimeMemo.set(startMs, fields);
  }
  return fields;
}
