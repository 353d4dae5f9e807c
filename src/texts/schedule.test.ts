import { describe, expect, it } from 'vitest';
import { weeklySchedule } from './schedule.ts';

const at = (iso: string) => new Date(iso);
const free = (iso: string) => ({ startAt: at(iso), booked: false });
const booked = (iso: string) => ({ startAt: at(iso), booked: true });

describe('weeklySchedule — the seed’s text, character for character', () => {
  it('lists days in order with times ascending, free and booked apart, "—" for an empty part', () => {
    // Monday 07.12.2026, 12:00 Moscow.
    const weeks = weeklySchedule(at('2026-12-07T09:00:00Z'), [
      free('2026-12-07T12:00:00Z'), // 15:00 Mon
      free('2026-12-07T07:00:00Z'), // 10:00 Mon, listed first
      free('2026-12-08T06:30:00Z'), // 09:30 Tue
      booked('2026-12-09T08:00:00Z'), // 11:00 Wed
      free('2026-12-13T20:59:00Z'), // 23:59 Sun, still week one
      free('2026-12-13T21:00:00Z'), // 00:00 Mon 14.12, week two
    ]);
    expect(weeks).toHaveLength(4);
    expect(weeks[0]).toBe(
      'Расписание на первую неделю (07.12-13.12)\n\n🟩 Свободно:\n\n' +
        '07.12 Пн: 10:00, 15:00\n08.12 Вт: 09:30\n13.12 Вс: 23:59\n\n✅Забронировано\n\n09.12 Ср: 11:00',
    );
    expect(weeks[1]).toBe(
      'Расписание на вторую неделю (14.12-20.12)\n\n🟩 Свободно:\n\n14.12 Пн: 00:00\n\n✅Забронировано\n\n—',
    );
    expect(weeks[3]).toBe(
      'Расписание на четвёртую неделю (28.12-03.01)\n\n🟩 Свободно:\n\n—\n\n✅Забронировано\n\n—',
    );
  });

  it('crosses month and year ends, and a late-evening "today" is the Moscow day', () => {
    // 31.12.2026 at 23:30 Moscow is still the 31st there (20:30 UTC).
    const weeks = weeklySchedule(at('2026-12-31T20:30:00Z'), [
      free('2027-01-01T06:00:00Z'),
      booked('2027-01-27T06:00:00Z'),
    ]);
    expect(weeks.map((w) => w.split('\n')[0])).toEqual([
      'Расписание на первую неделю (31.12-06.01)',
      'Расписание на вторую неделю (07.01-13.01)',
      'Расписание на третью неделю (14.01-20.01)',
      'Расписание на четвёртую неделю (21.01-27.01)',
    ]);
    expect(weeks[0]).toContain('🟩 Свободно:\n\n01.01 Пт: 09:00\n\n✅Забронировано\n\n—');
    expect(weeks[3]).toContain('✅Забронировано\n\n27.01 Ср: 09:00');
  });

  it('a psychologist with no slots gets four weeks of "—"', () => {
    const weeks = weeklySchedule(at('2026-12-07T09:00:00Z'), []);
    for (const week of weeks) expect(week.endsWith('🟩 Свободно:\n\n—\n\n✅Забронировано\n\n—')).toBe(true);
  });
});
