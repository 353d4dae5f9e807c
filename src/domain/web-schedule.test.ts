import { describe, expect, it } from 'vitest';
import { clientOffsetMs, MOSCOW_OFFSET_MS } from './time.ts';
import {
  firstFrom,
  nameOrder,
  prepareSlots,
  scheduleJson,
  wholeDays,
  type ScheduleRow,
} from './web-schedule.ts';

const at = (iso: string) => Date.parse(iso);
const row = (
  id: string,
  iso: string,
  psychologist: string,
  coefficient: number,
  state: 'free' | 'booked' = 'free',
): ScheduleRow => ({
  id,
  start_ms: at(iso),
  psychologist,
  coefficient,
  state,
  confirmed: false,
});

// Sorted by start then name, as the repository reads them.
const rows = [
  row('a1', '2026-12-08T07:00:00Z', 'Анна', 2),
  row('b1', '2026-12-08T07:00:00Z', 'Борис', 5),
  row('a2', '2026-12-08T08:00:00Z', 'Анна', 2, 'booked'),
  row('a3', '2026-12-09T20:30:00Z', 'Анна', 2),
];

describe('the web schedule answer', () => {
  it('is one element with name_order and days of "HH:MM" keys, ranked slots first', () => {
    const { json, names } = scheduleJson(prepareSlots(rows, MOSCOW_OFFSET_MS));
    const data = JSON.parse(json);
    expect(names).toEqual(['Борис', 'Анна']);
    expect(data).toHaveLength(1);
    expect(data[0].name_order).toEqual(['Борис', 'Анна']);
    expect(data[0].items.map((d: { date: string }) => d.date)).toEqual(['2026-12-08', '2026-12-09']);
    const first = data[0].items[0];
    expect(first).toMatchObject({ pretty_date: '08.12', day_name: 'Вт' });
    expect(Object.keys(first.slots)).toEqual(['10:00', '11:00']);
    expect(first.slots['10:00'].map((s: { id: string }) => s.id)).toEqual(['b1', 'a1']);
    expect(first.slots['11:00'][0]).toMatchObject({
      state: 'Забронирован',
      date: '2026-12-08',
      time: '11:00',
      ticket: null,
      client_id: null,
    });
    expect(data[0].items[1].slots['23:30'][0]).toMatchObject({
      state: 'Свободен',
      'Дата Локальная': '2026-12-09',
    });
  });

  it('groups by the client’s local day at an offset, keeping Moscow date and time', () => {
    const data = JSON.parse(scheduleJson(prepareSlots(rows, clientOffsetMs(2))).json);
    const late = data[0].items[1];
    expect(late).toMatchObject({ date: '2026-12-10', pretty_date: '10.12', day_name: 'Чт' });
    expect(late.slots['01:30'][0]).toMatchObject({
      date: '2026-12-09',
      time: '23:30',
      'Время Локальное': '01:30',
    });
  });

  it('ranks by coefficient, then slot count, then name', () => {
    const tie = prepareSlots(
      [
        row('x', '2026-12-08T07:00:00Z', 'Яна', 1),
        row('y', '2026-12-08T07:00:00Z', 'Ася', 1),
        row('z', '2026-12-08T08:00:00Z', 'Яна', 1),
      ],
      MOSCOW_OFFSET_MS,
    );
    expect(nameOrder(tie)).toEqual(['Яна', 'Ася']);
    expect(nameOrder(tie.slice(0, 2))).toEqual(['Ася', 'Яна']);
  });

  it('is an empty list of days with nothing to show, and the lead-time cut finds the first slot', () => {
    expect(JSON.parse(scheduleJson([]).json)).toEqual([{ name_order: [], items: [] }]);
    const prepared = prepareSlots(rows, MOSCOW_OFFSET_MS);
    expect(firstFrom(prepared, at('2026-12-08T07:30:00Z'))).toBe(2);
    expect(firstFrom(prepared, at('2027-01-01T00:00:00Z'))).toBe(4);
  });
});

describe('wholeDays', () => {
  // Moscow days: 10 Dec 21:00 UTC is 11 Dec 00:00 in Moscow.
  const rows = [
    row('a', '2026-12-10T07:00:00Z', 'А', 1),
    row('b', '2026-12-10T20:30:00Z', 'А', 1),
    row('c', '2026-12-10T21:00:00Z', 'А', 1),
    row('d', '2026-12-11T08:00:00Z', 'А', 1),
    row('e', '2026-12-12T08:00:00Z', 'А', 1),
  ];
  const ids = (kept: ScheduleRow[]) => kept.map((r) => r.id);

  it('keeps rows within the cap as they are', () => {
    expect(ids(wholeDays(rows, 5))).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('past the cap, leaves out the (Moscow) day the cut falls in, whole', () => {
    expect(ids(wholeDays(rows, 4))).toEqual(['a', 'b', 'c', 'd']);
    // The 11th (c, d) would be shown half: it goes.
    expect(ids(wholeDays(rows, 3))).toEqual(['a', 'b']);
    expect(ids(wholeDays(rows, 2))).toEqual(['a', 'b']);
  });

  it('a first day over the cap on its own gives its first slots, not nothing', () => {
    expect(ids(wholeDays(rows, 1))).toEqual(['a']);
  });
});
