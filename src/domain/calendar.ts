// The psychologists' events calendar (spec/web-form.md A): the calendar token, the event vocabularies
// and the window of dates the page shows. Pure: no I/O.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MOSCOW_OFFSET_MS, moscowDayStart, parseYmd, partsAt } from './time.ts';

/** The modalities the page filters by; any other value is filtered out there, null breaks it. */
export const EVENT_MODAL_TYPES = ['юнгианство', 'кпт', 'гештальт', 'психоанализ', 'общие'] as const;
export type EventModalType = (typeof EVENT_MODAL_TYPES)[number];

/** A calendar token as the page carries it: URL-safe, 22–64 characters. */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** A new token: 256 bits from the CSPRNG, base64url (43 characters); nothing about the psychologist in it. */
export function newCalendarSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of a token: its SHA-256. The token has 256 bits of entropy, so no salt or stretching is needed. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a stored hash with the hash of a presented token. */
export function sameHash(stored: string, presented: string): boolean {
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(presented, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

const DAY_MS = 86_400_000;

/**
 * The dates get-all-events lists: from the Sunday before the current Moscow week's Monday (the page
 * counts from that Sunday between 00:00 and 03:00 Moscow, C.6.1) to 35 days after that Monday.
 */
export function eventsWindow(now: Date): { from: Date; to: Date } {
  const today = moscowDayStart(now);
  const sinceMonday = (new Date(today.getTime() + MOSCOW_OFFSET_MS).getUTCDay() + 6) % 7;
  const monday = new Date(today.getTime() - sinceMonday * DAY_MS);
  return { from: new Date(monday.getTime() - DAY_MS), to: new Date(monday.getTime() + 36 * DAY_MS) };
}

/** The longest range get-slot answers, in days (both ends included). */
export const MAX_CALENDAR_DAYS = 62;

const pad = (n: number) => String(n).padStart(2, '0');

/** "YYYY-MM-DD" of a moment's Moscow day. */
export function moscowYmd(at: Date): string {
  const p = partsAt(at);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The moment of an event's Moscow date and "HH:MM", or which of the two is not valid. */
export function eventStart(date: string, time: string): Date | 'date' | 'time' {
  const day = parseYmd(date);
  if (!day) return 'date';
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time.trim());
  if (!m) return 'time';
  return new Date(day.getTime() + (Number(m[1]) * 60 + Number(m[2])) * 60_000);
}
