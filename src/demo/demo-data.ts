// The demo data set: a handful of psychologists with free slots over the next 4 weeks and a few
// booked sessions, so that a newcomer's first `npm start` answers with real data.
import type { Deps } from '../deps.ts';
import { bookSlotFor } from '../commands/book-slot.ts';
import { SERVICE } from '../domain/access.ts';
import { analyzeHotTables } from '../db/database.ts';
import { normalizeName } from '../domain/names.ts';
import { moscowDayStart, partsAt } from '../domain/time.ts';
import { WORKS_WITH_PSYCHIATRIC } from '../domain/web-form.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { loadDemoCalendar } from './demo-calendar.ts';

const PSYCHOLOGISTS = [
  {
    name: 'Анна Смирнова',
    sex: 'female',
    min: 2500,
    max: 3500,
    help: true,
    years: 8,
    hours: [10, 12, 14, 16],
    queries: ['Тревога', 'Отношения', 'Самооценка'],
  },
  {
    name: 'Дмитрий Ковалёв',
    sex: 'male',
    min: 3000,
    max: 4500,
    help: false,
    years: 12,
    hours: [11, 13, 18, 19],
    queries: ['Выгорание', 'Депрессия', 'Кризис'],
  },
  {
    name: 'Екатерина Орлова',
    sex: 'female',
    min: 2000,
    max: 3000,
    help: true,
    years: 5,
    hours: [9, 10, 15, 17],
    queries: ['Тревога', 'Панические атаки', 'Стресс'],
  },
  {
    name: 'Михаил Соколов',
    sex: 'male',
    min: 3500,
    max: 5000,
    help: false,
    years: 15,
    hours: [12, 14, 19, 20],
    queries: ['Отношения', 'Семья', 'Зависимость'],
  },
  {
    name: 'Ольга Васильева',
    sex: 'female',
    min: 1500,
    max: 2500,
    help: true,
    years: 3,
    hours: [10, 11, 16, 18],
    queries: ['Горе и утрата', 'Тревога', 'Самооценка'],
  },
  {
    name: 'Сергей Новиков',
    sex: 'male',
    min: 2500,
    max: 4000,
    help: false,
    years: 9,
    hours: [9, 13, 15, 17],
    queries: ['Выгорание', 'Стресс', 'Поиск себя'],
  },
  {
    name: 'Мария Фёдорова',
    sex: 'female',
    min: 3000,
    max: 4000,
    help: false,
    years: 11,
    hours: [12, 16, 18, 20],
    queries: ['Депрессия', 'Отношения', 'Травма'],
  },
  {
    name: 'Алексей Морозов',
    sex: 'male',
    min: 2000,
    max: 3000,
    help: true,
    years: 6,
    hours: [10, 14, 17, 19],
    queries: ['Кризис', 'Тревога', 'Семья'],
  },
] as const;

/** The catalog profile of each psychologist above, in the same order (what /cards shows). */
const PROFILES = [
  {
    age: 38,
    experience: '3 года',
    main: 'Гештальт',
    more: ['КПТ'],
    married: true,
    children: true,
    diagnostic: true,
  },
  {
    age: 45,
    experience: '4 года',
    main: 'Психоанализ',
    more: [],
    married: true,
    children: true,
    diagnostic: true,
  },
  {
    age: 31,
    experience: '2 года',
    main: 'КПТ',
    more: ['Схема-терапия'],
    married: false,
    children: false,
    diagnostic: true,
  },
  {
    age: 52,
    experience: '5 лет',
    main: 'Системная семейная терапия',
    more: ['Гештальт'],
    married: true,
    children: true,
    diagnostic: false,
  },
  {
    age: 29,
    experience: '1 год',
    main: 'Аналитическая психология',
    more: [],
    married: null,
    children: null,
    diagnostic: true,
  },
  {
    age: 41,
    experience: '3 года',
    main: 'КПТ',
    more: ['Эмоционально-фокусированная терапия'],
    married: true,
    children: false,
    diagnostic: false,
  },
  {
    age: 44,
    experience: '4 года',
    main: 'Психоанализ',
    more: ['Аналитическая психология'],
    married: false,
    children: true,
    diagnostic: true,
  },
  {
    age: 35,
    experience: '2 года',
    main: 'Гештальт',
    more: ['Телесно-ориентированная терапия'],
    married: true,
    children: true,
    diagnostic: true,
  },
] as const;

/** Where each modality is taught, for believable education entries. */
const SCHOOLS: Record<string, { program: string; school: string }> = {
  Гештальт: { program: 'Гештальт-терапия', school: 'Московский Гештальт Институт' },
  Психоанализ: {
    program: 'Психоаналитическая психотерапия',
    school: 'Институт практической психологии и психоанализа',
  },
  КПТ: {
    program: 'Когнитивно-поведенческая терапия',
    school: 'Ассоциация когнитивно-поведенческой психотерапии',
  },
  'Системная семейная терапия': {
    program: 'Системная семейная психотерапия',
    school: 'Институт интегративной семейной терапии',
  },
  'Аналитическая психология': {
    program: 'Юнгианский анализ',
    school: 'Московская ассоциация аналитической психологии',
  },
};

const CLIENTS = [
  { name: 'Ирина', age: 29, telegram: 'demo_irina' },
  { name: 'Павел', age: 34, telegram: 'demo_pavel' },
  { name: 'Наталья', age: 41, telegram: 'demo_natalya' },
];

function demoProfile(index: number, years: number) {
  const profile = PROFILES[index]!;
  const school = SCHOOLS[profile.main]!;
  const graduated = 2025 - years;
  return {
    age: profile.age,
    experience: profile.experience,
    verified: index % 3 !== 2,
    main_modal: profile.main,
    additional_modals: [...profile.more],
    // Every third works with a diagnosed psychiatric illness (the forms' "diagnose" answer).
    works_with: index % 3 === 0 ? ['Взрослые', WORKS_WITH_PSYCHIATRIC] : ['Взрослые'],
    personal_therapy_duration: `${2 + (index % 4)} года`,
    is_married: profile.married,
    has_children: profile.children,
    takes_diagnostic: profile.diagnostic,
    // The groups /cards shows (web-form.md A): Алексей Морозов is the helping-hand psychologist a newcomer
    // allots to a /help_hand_form ticket (README, "The helping hand"), Михаил Соколов the supervision group.
    group: index === 7 ? 'Рука помощи' : index === 3 ? 'Супервизии' : 'Сообщество',
    education: JSON.stringify([
      {
        program_title: 'Психология',
        year: graduated,
        title: 'Московский государственный университет',
        doc_type: 'Диплом специалиста',
      },
      {
        program_title: school.program,
        year: graduated + 2,
        title: school.school,
        doc_type: 'Диплом о профессиональной переподготовке',
      },
    ]),
  };
}

/** True when the database has no psychologists yet (then the demo set may be loaded). */
export async function isEmpty(deps: Deps): Promise<boolean> {
  const row = await psychologistsRepository.anyOne(deps.db);
  return row === undefined;
}

export async function loadDemoData(
  deps: Deps,
): Promise<{ psychologists: number; slots: number; booked: number; events: number; calendarUrl: string }> {
  const now = deps.clock.now();
  const demoPsychologists: { id: string; name: string }[] = [];
  let slotCount = 0;
  const firstSlots: string[] = [];
  for (const [index, p] of PSYCHOLOGISTS.entries()) {
    const psychologist =
      (await psychologistsRepository.insert(deps.db, {
        name: p.name,
        name_normalized: normalizeName(p.name),
        sex: p.sex,
        min_price: p.min,
        max_price: p.max,
        queries: [...p.queries],
        description: `Практикующий психолог, опыт ${p.years} лет.`,
        experience_years: p.years,
        help_hand: p.help,
        debt: 6 + (index % 3) * 2,
        ...demoProfile(index, p.years),
      })) ?? (await psychologistsRepository.findByName(deps.db, p.name));
    if (!psychologist) continue;
    demoPsychologists.push({ id: psychologist.id, name: psychologist.name });
    const starts: Date[] = [];
    for (let day = 1; day <= 28; day++) {
      const dayStart = moscowDayStart(now, day);
      const weekday = partsAt(dayStart).weekday;
      if (weekday === 'Вс' || (weekday === 'Сб' && index % 2 === 0)) continue;
      for (const hour of p.hours) starts.push(new Date(dayStart.getTime() + hour * 60 * 60_000));
    }
    const created = await slotsRepository.addMany(deps.db, psychologist.id, starts, 60, null);
    slotCount += created.length;
    if (created[2]) firstSlots.push(created[2].id);
  }

  let booked = 0;
  for (const [index, c] of CLIENTS.entries()) {
    const slotId = firstSlots[index * 2];
    if (!slotId) continue;
    // As a web form files them: the typed @username is a claim on a record of its own; the person's
    // account joins only when they open the bot from that username (SPEC §3 Identity).
    const client = await clientsRepository.create(
      deps.db,
      {
        key: `telegram:@${c.telegram}`,
        type: 'telegram',
        value: `@${c.telegram}`,
        telegramUsername: c.telegram,
      },
      { name: c.name, age: c.age },
      now,
    );
    await bookSlotFor(deps, SERVICE, {
      slotId,
      clientId: client.id,
      kind: 'diagnostic',
      ignoreLeadTime: true,
    });
    booked++;
  }
  // The survey `demo` and the events calendar, its token held by the second psychologist; the first
  // leads the first event (organizers are written "Фамилия Имя", as the page compares them).
  const [lead, viewer] = demoPsychologists;
  const calendar = await loadDemoCalendar(deps, viewer!, lead!.name.split(' ').reverse().join(' '));
  // Planner statistics for what was just written (PGlite gathers none on its own).
  await analyzeHotTables(deps.db);
  return { psychologists: PSYCHOLOGISTS.length, slots: slotCount, booked, ...calendar };
}
