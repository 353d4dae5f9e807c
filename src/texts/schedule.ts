// The weekly schedule messages of GET /get-schedule (and the psychologist's /schedule in the bot):
// four messages, week k covering the 7 Moscow days from today + 7(k−1), each listing free and booked
// times by day. The text is the seed's, character for character.
import { DAY_MS, formatDate, formatTime, moscowDayStart, partsAt } from '../domain/time.ts';

const ORDINALS = ['первую', 'вторую', 'третью', 'четвёртую'];

export interface ScheduleSlot {
  startAt: Date;
  booked: boolean;
}

/** "DD.MM Пн: HH:mm, HH:mm" per day that has times, or "—" when none. */
function part(starts: Date[]): string {
  if (!starts.length) return '—';
  const days = new Map<string, string[]>();
  for (const start of [...starts].sort((a, b) => a.getTime() - b.getTime())) {
    const day = `${formatDate(start)} ${partsAt(start).weekday}`;
    days.set(day, [...(days.get(day) ?? []), formatTime(start)]);
  }
  return [...days].map(([day, times]) => `${day}: ${times.join(', ')}`).join('\n');
}

/** The four weekly messages for slots seen from `now`. */
export function weeklySchedule(now: Date, slots: ScheduleSlot[]): string[] {
  const today = moscowDayStart(now);
  return ORDINALS.map((ordinal, week) => {
    const from = today.getTime() + week * 7 * DAY_MS;
    const to = from + 7 * DAY_MS;
    const inWeek = slots.filter((s) => s.startAt.getTime() >= from && s.startAt.getTime() < to);
    const title = `Расписание на ${ordinal} неделю (${formatDate(new Date(from))}-${formatDate(new Date(to - DAY_MS))})`;
    return (
      `${title}\n\n🟩 Свободно:\n\n${part(inWeek.filter((s) => !s.booked).map((s) => s.startAt))}` +
      `\n\n✅Забронировано\n\n${part(inWeek.filter((s) => s.booked).map((s) => s.startAt))}`
    );
  });
}

/** The free part only, for `weeks` weeks (the follow-ups: "format of GET /get-schedule, free part only"). */
export function freeWeeks(now: Date, starts: Date[], weeks = 3): string {
  const today = moscowDayStart(now);
  return ORDINALS.slice(0, weeks)
    .map((ordinal, week) => {
      const from = today.getTime() + week * 7 * DAY_MS;
      const to = from + 7 * DAY_MS;
      const inWeek = starts.filter((s) => s.getTime() >= from && s.getTime() < to);
      const title = `Расписание на ${ordinal} неделю (${formatDate(new Date(from))}-${formatDate(new Date(to - DAY_MS))})`;
      return `${title}\n\n🟩 Свободно:\n\n${part(inWeek)}`;
    })
    .join('\n\n');
}

/** The window the four weeks cover: today's Moscow midnight and 28 days later. */
export function scheduleWindow(now: Date): { from: Date; to: Date } {
  const from = moscowDayStart(now);
  return { from, to: new Date(from.getTime() + 28 * DAY_MS) };
}
