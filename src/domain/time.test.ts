import { describe, expect, it } from 'vitest';
import {
  clientOffsetMs,
  formatDate,
  formatDateTime,
  formatTime,
  moscowDayStart,
  moscowNextMonthStart,
  parseSlotTime,
  parseYmd,
  partsAt,
} from './time.ts';

const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

describe('parseSlotTime — years the database and a person would mean', () => {
  it('refuses year 0 and far-off years (a 500 from the database before)', () => {
    const now = new Date('2026-06-15T12:00:00Z');
    expect(parseSlotTime('0000-01-01 10:00', now)).toBeNull();
    expect(parseSlotTime('0000-01-01T10:00:00Z', now)).toBeNull();
    expect(parseSlotTime('01.01.1899 10:00', now)).toBeNull();
    expect(parseSlotTime('9999-12-31 10:00', now)).toBeNull();
    expect(parseSlotTime('2027-01-05 10:00', now)).not.toBeNull();
  });
});

describe('parseSlotTime — "DD.MM HH:mm" (Moscow, year rule of SPEC §3)', () => {
  const midJune2026 = at('2026-06-15T09:00:00Z'); // 15.06.2026 12:00 Moscow

  it('reads the time as Moscow wall-clock time (UTC+3)', () => {
    expect(iso(parseSlotTime('05.12 14:00', midJune2026))).toBe('2026-12-05T11:00:00.000Z');
    expect(iso(parseSlotTime('15.06 00:30', midJune2026))).toBe('2026-06-14T21:30:00.000Z');
  });

  it('keeps ordinary dates in the current year, before and after today', () => {
    expect(iso(parseSlotTime('10.03 14:00', midJune2026))).toBe('2026-03-10T11:00:00.000Z');
    expect(iso(parseSlotTime('20.09 09:15', midJune2026))).toBe('2026-09-20T06:15:00.000Z');
    expect(iso(parseSlotTime('15.06 12:00', midJune2026))).toBe('2026-06-15T09:00:00.000Z');
  });

  it('on 28.12 reads "02.01 10:00" as next January', () => {
    const dec28 = at('2026-12-28T09:00:00Z');
    expect(iso(parseSlotTime('02.01 10:00', dec28))).toBe('2027-01-02T07:00:00.000Z');
    // and a December date on the same day stays in this year
    expect(iso(parseSlotTime('30.12 10:00', dec28))).toBe('2026-12-30T07:00:00.000Z');
  });

  it('on 02.01 reads "28.12 10:00" as last December', () => {
    const jan2 = at('2027-01-02T09:00:00Z');
    expect(iso(parseSlotTime('28.12 10:00', jan2))).toBe('2026-12-28T07:00:00.000Z');
    expect(iso(parseSlotTime('05.01 10:00', jan2))).toBe('2027-01-05T07:00:00.000Z');
  });

  it('decides the year by the Moscow date of "now", not the UTC date', () => {
    // 31.12.2026 22:30 UTC is already 01.01.2027 01:30 in Moscow
    const newYearInMoscow = at('2026-12-31T22:30:00Z');
    expect(iso(parseSlotTime('01.01 10:00', newYearInMoscow))).toBe('2027-01-01T07:00:00.000Z');
    expect(iso(parseSlotTime('01.07 10:00', newYearInMoscow))).toBe('2027-07-01T07:00:00.000Z');
  });

  it('accepts single-digit day, month and hour', () => {
    expect(iso(parseSlotTime('5.3 9:05', midJune2026))).toBe('2026-03-05T06:05:00.000Z');
  });

  it('accepts 29.02 only when the chosen year is a leap year', () => {
    const feb2028 = at('2028-02-10T09:00:00Z');
    expect(iso(parseSlotTime('29.02 10:00', feb2028))).toBe('2028-02-29T07:00:00.000Z');
    // 2025, 2026 and 2027 have no 29 February
    expect(parseSlotTime('29.02 10:00', midJune2026)).toBeNull();
    expect(parseSlotTime('29.02 10:00', at('2026-02-10T09:00:00Z'))).toBeNull();
    expect(parseSlotTime('28.02 10:00', midJune2026)).not.toBeNull();
  });

  it.each([
    ['31.02 10:00', 'no 31 February'],
    ['30.02 10:00', 'no 30 February'],
    ['31.04 10:00', 'April has 30 days'],
    ['32.01 10:00', 'day 32'],
    ['00.01 10:00', 'day 0'],
    ['10.00 10:00', 'month 0'],
    ['10.13 10:00', 'month 13'],
    ['10.12 24:00', 'hour 24'],
    ['10.12 12:60', 'minute 60'],
    ['10.12 12:5', 'one-digit minute'],
    ['10.12', 'no time'],
    ['10.12 10:00 extra', 'trailing text'],
    ['garbage', 'garbage'],
    ['', 'empty string'],
    ['   ', 'only spaces'],
  ])('rejects %j (%s)', (input) => {
    expect(parseSlotTime(input, midJune2026)).toBeNull();
  });
});

describe('parseSlotTime — "YYYY-MM-DD HH:mm" and ISO-8601', () => {
  const now = at('2026-06-15T09:00:00Z');

  it('reads "YYYY-MM-DD HH:mm" as Moscow time whatever the current year', () => {
    expect(iso(parseSlotTime('2026-12-05 14:00', now))).toBe('2026-12-05T11:00:00.000Z');
    expect(iso(parseSlotTime('2030-01-01 00:00', now))).toBe('2029-12-31T21:00:00.000Z');
    // an ISO-looking time without an offset is Moscow time too
    expect(iso(parseSlotTime('2026-12-05T14:00', now))).toBe('2026-12-05T11:00:00.000Z');
  });

  it('reads ISO-8601 with Z as UTC', () => {
    expect(iso(parseSlotTime('2026-12-05T11:00:00Z', now))).toBe('2026-12-05T11:00:00.000Z');
    expect(iso(parseSlotTime('2026-12-05T11:00:00.000Z', now))).toBe('2026-12-05T11:00:00.000Z');
  });

  it('honours the offset of ISO-8601 times', () => {
    expect(iso(parseSlotTime('2026-12-05T14:00:00+03:00', now))).toBe('2026-12-05T11:00:00.000Z');
    expect(iso(parseSlotTime('2026-12-05T16:00:00+05:00', now))).toBe('2026-12-05T11:00:00.000Z');
    expect(iso(parseSlotTime('2026-12-05T06:00-05:00', now))).toBe('2026-12-05T11:00:00.000Z');
    // +05:00 is not +03:00: the same wall-clock time is two hours earlier
    expect(iso(parseSlotTime('2026-12-05T14:00:00+05:00', now))).toBe('2026-12-05T09:00:00.000Z');
  });

  it('accepts 29 February only in leap years', () => {
    expect(iso(parseSlotTime('2028-02-29 10:00', now))).toBe('2028-02-29T07:00:00.000Z');
    expect(parseSlotTime('2026-02-29 10:00', now)).toBeNull();
    expect(parseSlotTime('2026-02-29T10:00:00Z', now)).toBeNull();
  });

  it.each([
    '2026-02-30 10:00',
    '2026-02-31T10:00:00+03:00',
    '2026-13-01 10:00',
    '2026-12-05 24:00',
    '2026-12-05 12:60',
    '2026-12-05T12:00:60Z',
    '2026-12-05T14:00+25:00',
    '2026-12-05',
    '2026/12/05 10:00',
    '26-12-05 10:00',
  ])('rejects %j', (input) => {
    expect(parseSlotTime(input, now)).toBeNull();
  });
});

describe('formatting in Moscow time', () => {
  it('moves to the next Moscow day at 21:00 UTC', () => {
    const before = at('2026-12-05T20:59:00Z');
    const after = at('2026-12-05T21:00:00Z');
    expect(formatDate(before)).toBe('05.12');
    expect(formatTime(before)).toBe('23:59');
    expect(formatDateTime(before)).toBe('05.12 23:59');
    expect(formatDate(after)).toBe('06.12');
    expect(formatTime(after)).toBe('00:00');
    expect(formatDateTime(after)).toBe('06.12 00:00');
  });

  it('at midnight UTC it is already 03:00 in Moscow', () => {
    expect(formatDateTime(at('2026-12-06T00:00:00Z'))).toBe('06.12 03:00');
    expect(formatDateTime(at('2026-12-05T23:59:00Z'))).toBe('06.12 02:59');
  });

  it('crosses the year boundary in Moscow before UTC does', () => {
    const moment = at('2026-12-31T21:30:00Z');
    expect(formatDateTime(moment)).toBe('01.01 00:30');
    expect(partsAt(moment)).toMatchObject({ year: 2027, month: 1, day: 1, hour: 0, minute: 30 });
  });

  it('pads single digits', () => {
    expect(formatDateTime(at('2026-03-04T04:05:00Z'))).toBe('04.03 07:05');
  });

  it('formats the same moment for clients in other zones', () => {
    const moment = at('2026-12-05T20:00:00Z'); // 23:00 Moscow
    expect(formatTime(moment, clientOffsetMs(4.5))).toBe('03:30');
    expect(formatDate(moment, clientOffsetMs(4.5))).toBe('06.12');
    expect(formatTime(moment, clientOffsetMs(-1))).toBe('22:00');
    expect(formatDate(moment, clientOffsetMs(-1))).toBe('05.12');
    expect(formatTime(moment, clientOffsetMs(0))).toBe('23:00');
  });

  it('names the Moscow weekday', () => {
    // Sunday 06.12.2026 in UTC at 22:00 is Monday 07.12 in Moscow
    expect(partsAt(at('2026-12-06T22:00:00Z')).weekday).toBe('Пн');
    expect(partsAt(at('2026-12-06T20:00:00Z')).weekday).toBe('Вс');
  });
});

describe('clientOffsetMs', () => {
  it('adds the client offset (hours from Moscow) to UTC+3', () => {
    expect(clientOffsetMs(0)).toBe(3 * 3_600_000);
    expect(clientOffsetMs(4.5)).toBe(7.5 * 3_600_000);
    expect(clientOffsetMs(-1)).toBe(2 * 3_600_000);
    expect(clientOffsetMs(-3)).toBe(0);
  });
});

describe('parseYmd', () => {
  it('gives the start of the Moscow day', () => {
    expect(iso(parseYmd('2026-12-05'))).toBe('2026-12-04T21:00:00.000Z');
    expect(iso(parseYmd('2028-02-29'))).toBe('2028-02-28T21:00:00.000Z');
    expect(iso(parseYmd(' 2026-01-01 '))).toBe('2025-12-31T21:00:00.000Z');
  });

  it.each(['2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-1-01', '05.12', ''])(
    'rejects %j',
    (input) => {
      expect(parseYmd(input)).toBeNull();
    },
  );
});

describe('moscowDayStart and moscowNextMonthStart', () => {
  it('finds the start of the Moscow day, which may be the previous UTC day', () => {
    // 06.12 01:00 Moscow
    expect(moscowDayStart(at('2026-12-05T22:00:00Z')).toISOString()).toBe('2026-12-05T21:00:00.000Z');
    // 05.12 23:00 Moscow
    expect(moscowDayStart(at('2026-12-05T20:00:00Z')).toISOString()).toBe('2026-12-04T21:00:00.000Z');
    // exactly midnight Moscow
    expect(moscowDayStart(at('2026-12-05T21:00:00Z')).toISOString()).toBe('2026-12-05T21:00:00.000Z');
  });

  it('adds whole days', () => {
    const moment = at('2026-12-05T12:00:00Z');
    expect(moscowDayStart(moment, 1).toISOString()).toBe('2026-12-05T21:00:00.000Z');
    expect(moscowDayStart(moment, 28).toISOString()).toBe('2027-01-01T21:00:00.000Z');
    expect(moscowDayStart(moment, -5).toISOString()).toBe('2026-11-29T21:00:00.000Z');
  });

  it('finds the first day of the next Moscow month', () => {
    expect(moscowNextMonthStart(at('2026-06-15T12:00:00Z')).toISOString()).toBe('2026-06-30T21:00:00.000Z');
    expect(moscowNextMonthStart(at('2026-01-31T12:00:00Z')).toISOString()).toBe('2026-01-31T21:00:00.000Z');
  });

  it('goes from December to January of the next year', () => {
    expect(moscowNextMonthStart(at('2026-12-15T12:00:00Z')).toISOString()).toBe('2026-12-31T21:00:00.000Z');
    // 31.12.2026 22:00 UTC is already January 2027 in Moscow: the next month is February
    expect(moscowNextMonthStart(at('2026-12-31T22:00:00Z')).toISOString()).toBe('2027-01-31T21:00:00.000Z');
    // 30.11 21:30 UTC is 01.12 00:30 Moscow: the next month is January
    expect(moscowNextMonthStart(at('2026-11-30T21:30:00Z')).toISOString()).toBe('2026-12-31T21:00:00.000Z');
  });
});
