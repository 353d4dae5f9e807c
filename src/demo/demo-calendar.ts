// The demo data's survey and events calendar: the published survey `demo` (/survey?slug=demo), a few
// events over the next weeks, and a calendar token for one psychologist (registered to one event), so a
// newcomer can open /calendar. The token is random like any other; `npm start` prints its link once.
import type { Deps } from '../deps.ts';
import { SERVICE } from '../domain/access.ts';
import { moscowDayStart } from '../domain/time.ts';
import { moscowYmd } from '../domain/calendar.ts';
import { createEvent, type EventFields } from '../commands/calendar-events.ts';
import { issueCalendarSecret } from '../commands/calendar-secret.ts';
import { joinEvent } from '../commands/calendar.ts';
import { saveSurvey } from '../commands/surveys.ts';

const STEP_ITEMS = [
  { title: 'Почти никогда', coins: 0 },
  { title: 'Иногда', coins: 1 },
  { title: 'Часто', coins: 2 },
  { title: 'Почти всегда', coins: 3 },
];

export const DEMO_SURVEY = {
  title: 'Как вы справляетесь со стрессом?',
  description: 'Короткий тест из трёх вопросов. Ответы остаются в вашем браузере.',
  content: [
    {
      step_id: 'sleep',
      step_name: 'Как часто за последние две недели вам было трудно заснуть?',
      step_description: 'Выберите один вариант',
      step_type: 'single' as const,
      step_items: STEP_ITEMS,
    },
    {
      step_id: 'worry',
      step_name: 'Как часто вы не могли перестать беспокоиться?',
      step_description: 'Выберите один вариант',
      step_type: 'single' as const,
      step_items: STEP_ITEMS,
    },
    {
      step_id: 'signs',
      step_name: 'Что из этого вы замечали за собой?',
      step_description: 'Можно выбрать несколько',
      step_type: 'multiple' as const,
      step_items: [
        { title: 'Раздражительность', coins: 1 },
        { title: 'Усталость с утра', coins: 1 },
        { title: 'Трудно сосредоточиться', coins: 1 },
        { title: 'Ничего из этого', coins: 0 },
      ],
    },
  ],
  results: [
    { from: 0, title: 'Всё спокойно', description: 'Похоже, вы неплохо справляетесь. Берегите себя!' },
    { from: 4, title: 'Есть напряжение', description: 'Стресс заметен. Разговор с психологом может помочь.' },
    { from: 8, title: 'Много стресса', description: 'Вам сейчас непросто. Мы поможем подобрать психолога.' },
  ],
};

/**
 * What the printed link is. No name in it: the terminal output is held to the logs' rule (no personal
 * data — a psychologist's name is one), and the link already names its psychologist to the page.
 */
export const DEMO_CALENDAR_NOTE =
  "a demo psychologist's, shown once; the page at WEB_BASE_URL calls this service once its hosts point here";

/** The demo events: days from today, Moscow time. */
function demoEvents(now: Date, organizer: string): EventFields[] {
  const at = (days: number, time: string) => ({ date: moscowYmd(moscowDayStart(now, days)), time });
  return [
    {
      title: 'Групповая супервизия: трудные случаи',
      event_type: 'супервизия',
      event_modal_type: 'гештальт',
      description:
        '<p>Разбираем случаи участников в малой группе.</p><ul><li>до 3 случаев</li><li>90 минут</li></ul>' +
        '<p>Подробнее: <a href="https://hrani.live">hrani.live</a></p>',
      organizator_type: 'Супервизор',
      organizator_name: organizer,
      max_participants: 8,
      ...at(2, '19:30'),
      event_link: 'https://meet.jit.si/hrani-demo-supervision',
      event_folder: 'https://hrani.live/materials/supervision',
      next_event: 'Интервизия по КПТ',
    },
    {
      title: 'Интервизия по КПТ',
      event_type: 'интервизия',
      event_modal_type: 'кпт',
      description: '<p>Равные обсуждают <b>работу с тревогой</b> в подходе КПТ.</p>',
      organizator_type: 'Модератор',
      organizator_name: 'Орлова Екатерина',
      max_participants: 12,
      ...at(9, '19:30'),
      event_link: 'https://meet.jit.si/hrani-demo-intervision',
    },
    {
      title: 'Лекция: юнгианский взгляд на сновидения',
      event_type: 'лекция',
      event_modal_type: 'юнгианство',
      description: '<p>Открытая лекция для психологов сообщества.</p>',
      organizator_type: 'Лектор',
      organizator_name: 'Соколов Михаил',
      max_participants: 50,
      ...at(5, '20:30'),
    },
    {
      title: 'Терапевтическая группа для специалистов',
      event_type: 'групповая терапия',
      event_modal_type: 'общие',
      description: '<p>Поддерживающая группа: профилактика выгорания.</p>',
      organizator_type: 'Ведущий',
      organizator_name: 'Васильева Ольга, Новиков Сергей',
      max_participants: 10,
      ...at(12, '21:00'),
    },
  ];
}

/** Loads the survey, the events and one psychologist's calendar token; returns that psychologist's link. */
export async function loadDemoCalendar(
  deps: Deps,
  calendarPsychologist: { id: string; name: string },
  organizer: string,
): Promise<{ calendarUrl: string; events: number }> {
  await saveSurvey(deps, SERVICE, { slug: 'demo', fields: { ...DEMO_SURVEY, is_published: true } });
  const events = [];
  for (const fields of demoEvents(deps.clock.now(), organizer))
    events.push(await createEvent(deps, SERVICE, fields));
  const { secret, calendar_url } = await issueCalendarSecret(deps, SERVICE, calendarPsychologist.id);
  const first = events[0]!;
  const event = demoEvents(deps.clock.now(), organizer)[0]!;
  await joinEvent(deps, { secret, date: event.date, time: event.time, title: first.title });
  return { calendarUrl: calendar_url, events: events.length };
}
