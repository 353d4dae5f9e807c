// The /calendar and /survey pages of the public front end, as spec/web-form.md C.5 and C.6 say their
// source builds requests and reads answers. The replays in test/http/calendar*.test.ts and
// surveys.test.ts go through these, so a field the page reads differently breaks them.
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.ts';
import { browser, n8n } from './web-form.ts';

/**
 * Calendar.tsx L338–397: startDate = Monday of the current week (browser-local; the browser here runs in
 * Moscow), endDate = +27 days, both through toISOString() — UTC dates, so between 00:00 and 03:00 Moscow
 * the Sunday before.
 */
export function calendarRange(now: Date): { startDate: string; endDate: string } {
  const moscow = new Date(now.getTime() + 3 * 3_600_000);
  const sinceMonday = (moscow.getUTCDay() + 6) % 7;
  // Local midnight of Monday in Moscow, as a UTC instant.
  const monday = new Date(
    Date.UTC(moscow.getUTCFullYear(), moscow.getUTCMonth(), moscow.getUTCDate() - sinceMonday) -
      3 * 3_600_000,
  );
  const end = new Date(monday.getTime() + 27 * 86_400_000);
  return { startDate: monday.toISOString().split('T')[0]!, endDate: end.toISOString().split('T')[0]! };
}

/** The page's load: get-all-events and get-slot together (plain GETs; secret "" when the URL has none). */
export async function loadCalendar(t: TestApp, secret: string, ip?: string) {
  const { startDate, endDate } = calendarRange(t.clock.now());
  const q = encodeURIComponent(secret);
  const [events, slots] = await Promise.all([
    browser(t, 'GET', `${n8n('get-all-events')}?secret=${q}`, undefined, ip ? { ip } : {}),
    browser(
      t,
      'GET',
      `${n8n('get-slot')}?startDate=${startDate}&endDate=${endDate}&secret=${q}`,
      undefined,
      ip ? { ip } : {},
    ),
  ]);
  return { events, slots };
}

export interface PageEvent {
  id: string;
  title: string;
  event_modal_type: string;
  event_type: string;
  description: string;
  organizator_name: string | null;
  max_participants: number;
  current_participants: number;
  date: string;
  time: string;
  next_event: string | null;
  is_canceled: boolean;
  event_link: string | null;
  event_folder: string | null;
  is_registered: boolean;
  slot_id: string | null;
}

const MODALITIES = ['юнгианство', 'кпт', 'гештальт', 'психоанализ', 'общие'];

/**
 * What the page shows: non-2xx or the wrong shapes leave it empty (C.6.1); events filtered by modality
 * (a null modality throws, as `.toLowerCase()` does on the page); `is_registered` and `slot_id` taken from
 * get-slot — registered iff the day of the event's date has, under the event's exact time, a booked slot
 * carrying the event's title (L294–324).
 */
export function readCalendar(events: LightMyRequestResponse, slots: LightMyRequestResponse): PageEvent[] {
  if (events.statusCode >= 300 || slots.statusCode >= 300) return [];
  const list = events.json() as unknown;
  const days = slots.json() as unknown;
  if (!Array.isArray(list)) return [];
  if (!Array.isArray(days) || !days[0] || !Array.isArray(days[0].items)) return [];
  const items = days[0].items as {
    date: string;
    slots: Record<string, { id: string; status: string; event: string | null }[]>;
  }[];
  return (list as PageEvent[])
    .filter((e) => MODALITIES.includes((e.event_modal_type as string).toLowerCase()))
    .map((event) => {
      const day = items.find((d) => d.date === event.date);
      const slot = day?.slots[event.time]?.find(
        (s) => s.event === event.title && s.status === 'Забронирован',
      );
      return { ...event, is_registered: Boolean(slot), slot_id: slot?.id ?? null };
    });
}

/** CalendarModal.tsx L95–126: get-psycho, read as `[0].psychologist` or `.psychologist`. */
export async function viewerName(t: TestApp, secret: string): Promise<string | null> {
  const res = await browser(t, 'GET', `${n8n('get-psycho')}?secret=${encodeURIComponent(secret)}`);
  if (res.statusCode >= 300) return null;
  const body = res.json() as { psychologist?: string } | { psychologist?: string }[];
  return (Array.isArray(body) ? body[0]?.psychologist : body.psychologist) ?? null;
}

/** CalendarModal.tsx L144–193: "Записаться" — the event named by date, time and title. */
export function joinRequest(
  t: TestApp,
  secret: string,
  event: Pick<PageEvent, 'date' | 'time' | 'title'>,
  ip?: string,
) {
  return browser(
    t,
    'POST',
    n8n('join-to-event'),
    { secret, date: event.date, time: event.time, event: event.title },
    ip ? { ip } : {},
  );
}

/** CalendarModal.tsx L195–232: "Отменить запись" — a GET with the slot id the page keeps. */
export function cancelRequest(t: TestApp, secret: string, slotId: string, ip?: string) {
  return browser(
    t,
    'GET',
    `${n8n('cancel-slot')}?slot=${encodeURIComponent(slotId)}&secret=${encodeURIComponent(secret)}`,
    undefined,
    ip ? { ip } : {},
  );
}

/** survey/page.tsx L128–156: the survey screen, or null for the "404 Анкета не найдена" screen. */
export async function openSurvey(t: TestApp, slug: string) {
  const res = await browser(t, 'GET', `${n8n('get-survey')}?slug=${encodeURIComponent(slug)}`);
  if (res.statusCode >= 300) return null;
  const data = res.json() as {
    title?: string;
    description?: string;
    content?: {
      step_id: string;
      step_name: string;
      step_type: string;
      step_items: { title: string; coins: number }[];
    }[];
    results?: { from: number; title: string; description: string }[];
  };
  const first = Array.isArray(data.content) ? data.content[0] : undefined;
  if (!first || !first.step_id || !first.step_name || !first.step_type || !first.step_items) return null;
  return {
    title: data.title ?? 'Анкета',
    description: data.description,
    content: data.content!,
    results: data.results ?? [],
  };
}

/**
 * StageContext.tsx L61–69, L143–158: the score counts `single` and `multiple` steps only; the result is
 * the first by `from` descending with total ≥ from, else the lowest.
 */
export function scoreSurvey(
  survey: NonNullable<Awaited<ReturnType<typeof openSurvey>>>,
  answers: Record<string, string | string[]>,
): { total: number; description: string | undefined } {
  let total = 0;
  for (const step of survey.content) {
    if (step.step_type !== 'single' && step.step_type !== 'multiple') continue;
    const chosen = [answers[step.step_id] ?? []].flat();
    for (const item of step.step_items) if (chosen.includes(item.title)) total += item.coins;
  }
  const sorted = [...survey.results].sort((a, b) => b.from - a.from);
  const result = sorted.find((r) => total >= r.from) ?? sorted.at(-1);
  return { total, description: result?.description };
}
