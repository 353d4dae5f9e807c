// The public web front end's requests, built field by field as spec/web-form.md B says its source builds
// them (quirks included), and the way it reads the schedule answer (B.2.3). The flow tests replay these.
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.ts';

/** The two hosts' paths: {n8n}/webhook/<name> and {cache}/<path>. */
export const n8n = (name: string) => `/webhook/${name}`;

/** What the form keeps in localStorage (app_*) and redux for one person. */
export interface Person {
  ticketId: string;
  name: string;
  age: string;
  gender: 'male' | 'female';
  genderPsychologist: 'male' | 'female' | 'other';
  request: string;
  conditions: string[];
  traumatic: string[];
  diagnosis: 'nothing' | 'diseases2';
  medications?: 'yes' | 'no';
  contactType: 'Telegram' | 'VK' | 'Max';
  contact: string;
  /** Raw ls:app_promocode as PromocodeStage stores it (JSON-encoded), or a research/zapis note. */
  promocode: string;
  research?: {
    city: string;
    education: string;
    experience: 'earlier' | 'supposed';
    meetType: string;
    criteria: string;
    price: string;
    duration: string;
    reason: string;
    occupation: string;
  };
}

const SEX = { male: 'Мужской', female: 'Женский' } as const;
const SCHEDULE_SEX = { male: 'Мужской', female: 'Женский', other: 'Не имеет значения' } as const;
const APPLICATION_SEX = { male: 'Мужчина', female: 'Женщина', other: 'Не имеет значения' } as const;
export const DIAGNOSE = {
  nothing: ['Нет диагноза'],
  diseases2: ['Есть диагностированное психиатрическое заболевание'],
} as const;

const utm = () => ({
  utm_client: 'null',
  utm_campaign: 'null',
  utm_content: 'null',
  utm_medium: 'null',
  utm_source: 'null',
  utm_term: 'null',
});

/** formPsyClientInfo of tilda-zayavka and update-contacts-stb (B.1.2), with the Cyrillic С key. */
export function formPsyClientInfo(p: Person) {
  const r = p.research;
  const earlier = r?.experience === 'earlier';
  return {
    age: p.age,
    city: '',
    sex: SEX[p.gender],
    psychoEducated: r?.education ?? '',
    anxieties: [],
    customAnexiety: '',
    hasPsychoExperience: r
      ? earlier
        ? 'Да, я работал(а) с психологом/психотерапевтом'
        : 'Нет, но рассматривал(а) такую возможность'
      : '',
    meetType: r?.meetType ?? '',
    selectionСriteria: r?.criteria ?? '',
    custmCreteria: '',
    importancePsycho: { preferences: ['Чуткость, мягкость, умение выслушивать'], customPreferences: '' },
    customImportance: '',
    agePsycho: '',
    sexPsycho: APPLICATION_SEX[p.genderPsychologist],
    priceLastSession: earlier ? r.price : '',
    durationSession: earlier ? r.duration : '',
    reasonCancel: earlier ? r.reason : '',
    pricePsycho: r && !earlier ? r.price : '',
    reasonNonApplication: r && !earlier ? r.reason : '',
    contactType: p.contactType,
    contact: p.contact,
    name: p.name,
    is_adult: Number(p.age) >= 18,
    is_last_page: true,
    occupation: r?.occupation ?? '',
  };
}

/** The body of get-agregated-schedule-v2 and its siblings (B.2.2), as submitQuestionnaire builds it. */
export function scheduleRequest(p: Person, today: string, extra: Record<string, unknown> = {}) {
  const end = new Date(`${today}T00:00:00Z`);
  end.setUTCMonth(end.getUTCMonth() + 1);
  return {
    startDate: today,
    endDate: end.toISOString().split('T')[0],
    ageFilter: p.age,
    formPsyClientInfo: {
      age: p.age,
      city: '',
      sex: SEX[p.gender],
      psychoEducated: '',
      anxieties: [],
      customAnexiety: '',
      hasPsychoExperience: '',
      meetType: '',
      selectionСriteria: '',
      custmCreteria: '',
      importancePsycho: ['Чуткость, мягкость, умение выслушивать'],
      customImportance: '',
      agePsycho: '',
      sexPsycho: SCHEDULE_SEX[p.genderPsychologist],
      priceLastSession: '',
      durationSession: '',
      reasonCancel: '',
      pricePsycho: '',
      reasonNonApplication: '',
      contactType: 'Telegram',
      contact: '',
      name: p.name,
      is_adult: Number(p.age) >= 18,
      is_last_page: false,
      occupation: p.research?.occupation ?? '',
    },
    form: {
      anxieties: [],
      questions: [p.request],
      customQuestion: [],
      // Stale by one submit: the first request sends [] (B.2.2).
      diagnoses: [],
      diagnoseInfo: '',
      diagnoseMedicaments: '',
      traumaticEvents: p.traumatic,
      clientStates: p.conditions,
      selectedPsychologistsNames: [],
      shownPsychologists: '',
      psychos: [],
      lastExperience: '',
      amountExpectations: '',
      age: p.age,
      slots: [],
      contactType: 'Telegram',
      contact: '',
      name: p.name,
      promocode: '',
      ticket_id: p.ticketId,
      emptySlots: false,
      userTimeZone: 'МСК',
      bid: 0,
      rid: 0,
      categoryType: '',
      customCategory: '',
      question_to_psychologist: p.request,
      filtered_by_automatch_psy_names: [],
      _queries: '',
      customTraumaticEvent: '',
      customState: '',
    },
    ticket_id: p.ticketId,
    userTimeOffsetMsk: 0,
    ...extra,
  };
}

/** The body of tilda-zayavka (B.1.2), for the slot string `slot` of psychologist `chosen`. */
export function applicationBody(
  p: Person,
  chosen: string | null,
  slot: string | null,
  matched: string[],
  ids: { rid?: number; bid?: number } = {},
) {
  const r = p.research;
  const duration = r?.duration ?? '';
  return {
    ...utm(),
    anxieties: [],
    questions: [p.request],
    customQuestion: [],
    diagnoses: [],
    diagnoseInfo: '',
    ...(p.medications ? { diagnoseMedicaments: p.medications } : {}),
    traumaticEvents: p.traumatic,
    clientStates: p.conditions,
    selectedPsychologistsNames: [chosen],
    shownPsychologists: chosen ?? '',
    top_3_psychologists: matched,
    lastExperience:
      r?.experience === 'earlier'
        ? `Да, я работал(а) с психологом/психотерапевтом.${duration}`
        : r
          ? 'Нет, я не работал(а) с психологом/психотерапевтом'
          : '',
    amountExpectations: '',
    age: p.age,
    slots: [slot],
    slots_objects: [],
    contactType: p.contactType,
    contact: p.contact,
    name: p.name,
    promocode: p.promocode,
    ticket_id: p.ticketId,
    emptySlots: false,
    userTimeZone: 'МСК',
    userTimeOffsetMsk: '0',
    bid: ids.bid ?? 0,
    rid: ids.rid ?? 0,
    categoryType: '',
    customCategory: '',
    question_to_psychologist: p.request,
    filtered_by_automatch_psy_names: [chosen],
    _queries: '',
    customTraumaticEvent: '',
    customState: '',
    formPsyClientInfo: formPsyClientInfo(p),
  };
}

/** The research form's flat body (B.8), sent when its final stage mounts. */
export function researchBody(p: Person) {
  const r = p.research!;
  const earlier = r.experience === 'earlier';
  return {
    age: '',
    city: r.city,
    sex: '',
    psychoEducated: r.education,
    anxieties: [],
    customAnexiety: '',
    hasPsychoExperience: earlier
      ? 'Да, я работал(а) с психологом/психотерапевтом'
      : 'Нет, но рассматривал(а) такую возможность',
    meetType: r.meetType,
    selectionСriteria: r.criteria,
    custmCreteria: '',
    importancePsycho: [],
    customImportance: '',
    agePsycho: '',
    sexPsycho: '',
    priceLastSession: earlier ? r.price : '',
    durationSession: earlier ? r.duration : '',
    reasonCancel: earlier ? r.reason : '',
    pricePsycho: earlier ? '' : r.price,
    reasonNonApplication: earlier ? '' : r.reason,
    contactType: '',
    contact: '',
    name: '',
    is_adult: false,
    is_last_page: false,
    occupation: r.occupation,
    ...utm(),
    referer: 'https://hrani.live/psy-client-info',
  };
}

export const APPLICATION_STEPS = [
  'Возраст клиента',
  'Пол клиента',
  'Что важно в психологе',
  'Пол психолога',
  'Запрос клиента',
  'Состояние клиента',
  'Травматическое событие',
  'Психические заболевания',
] as const;
export const RESEARCH_STEPS = [
  'Город клиента',
  'Психологическое образование',
  'Опыт работы с психологом',
  'Формат сессии',
  'Критерии отбора клиентов',
  'Сумма за сессию',
  'Продолжительность терапии',
  'Почему не ходили на сессию',
  'Трудовое положение',
  'Исследовательская часть отправлена',
] as const;

/** The step-analytics value a stage sends with a tracking step (B.5), if it sends one. */
export function stepAnswer(p: Person, step: string): [string, unknown] | null {
  switch (step) {
    case 'Возраст клиента':
      return ['client_age', p.age];
    case 'Пол клиента':
      return ['client_sex', SEX[p.gender]];
    case 'Что важно в психологе':
      return ['client_preferences', 'Чуткость, мягкость, умение выслушивать;;'];
    case 'Пол психолога':
      return ['psychologist_sex', p.genderPsychologist];
    case 'Запрос клиента':
      return ['psy_queries', p.request];
    case 'Состояние клиента':
      return ['client_state', p.conditions];
    case 'Травматическое событие':
      return ['traumatic_events', p.traumatic];
    case 'Психические заболевания':
      return [
        'diagnose',
        p.diagnosis === 'nothing'
          ? DIAGNOSE.nothing
          : [
              ...DIAGNOSE.diseases2,
              p.medications === 'yes' ? 'Принимает медикаменты' : 'Не принимает медикаменты',
            ],
      ];
    case 'Опыт работы с психологом':
      return ['client_experience', 'Да, я работал(а) с психологом/психотерапевтом'];
    case 'Сумма за сессию':
      return ['psychologist_category', '<3000'];
    default:
      return null;
  }
}

/** A browser's request: JSON with the front end's origin. */
export function browser(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
  client: { ip?: string; userAgent?: string } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: {
      origin: 'https://hrani.live',
      'user-agent': client.userAgent ?? 'Mozilla/5.0 (test browser)',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    remoteAddress: client.ip ?? '203.0.113.7',
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}

/** Fire-and-forget calls of the front end still have to succeed. */
export async function ok(response: Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  const res = await response;
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body}`);
  return res;
}

export interface ScheduleSlot {
  id: string;
  psychologist: string;
  date: string;
  time: string;
  state: string;
}

/**
 * How ApplicationStages/DiseasesPsychologistStage reads a schedule answer (B.2.3): `data[0].items`,
 * free slots only, per psychologist `{pretty_date: {time: first free slot}}`, names joined with /cards
 * (a name missing there is dropped), sorted by name_order. Returns the psychologists the person sees.
 */
export function readSchedule(
  data: unknown,
  cards: { name: string }[],
): { name: string; schedule: Record<string, Record<string, ScheduleSlot>> }[] {
  if (!Array.isArray(data) || !data[0] || !Array.isArray(data[0].items)) return [];
  const items = data[0].items as { pretty_date: string; slots: Record<string, unknown> }[];
  const order: string[] = Array.isArray(data[0].name_order) ? data[0].name_order : [];
  const byName = new Map<string, Record<string, Record<string, ScheduleSlot>>>();
  for (const day of items) {
    for (const [time, slots] of Object.entries(day.slots)) {
      if (!Array.isArray(slots)) continue;
      for (const slot of slots as ScheduleSlot[]) {
        if (slot.state !== 'Свободен') continue;
        const schedule = byName.get(slot.psychologist) ?? {};
        byName.set(slot.psychologist, schedule);
        schedule[day.pretty_date] ??= {};
        schedule[day.pretty_date]![time] ??= slot;
      }
    }
  }
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : Number.MAX_SAFE_INTEGER);
  return cards
    .filter((card) => byName.has(card.name))
    .map((card) => ({ name: card.name, schedule: byName.get(card.name)! }))
    .sort((a, b) => rank(a.name) - rank(b.name));
}

/** date-fns `format(new Date(`${date}T${time}`), 'dd.M HH:00')`, as PsychologistStage makes the slot string. */
export function slotString(slot: ScheduleSlot): string {
  const at = new Date(`${slot.date}T${slot.time}`);
  if (Number.isNaN(at.getTime())) throw new Error(`the slot does not parse: ${slot.date} ${slot.time}`);
  const dd = String(at.getDate()).padStart(2, '0');
  const hh = String(at.getHours()).padStart(2, '0');
  return `${dd}.${at.getMonth() + 1} ${hh}:00`;
}

// ---- The helping hand (web-form.md C.1, C.2) ------------------------------------------------------------

/** What /help_hand_form keeps for one person (redux applicationFormData), C.1. */
export interface HelpHandPerson {
  ticketId: string;
  name: string;
  age: string;
  gender: 'male' | 'female';
  experience: 'earlier' | 'in_therapy' | 'supposed' | 'no';
  preferences: string[];
  customImportance: string;
  diagnosis: 'nothing' | 'diseases2';
  medications?: 'yes' | 'no';
  conditions: string[];
  traumatic: string[];
  request: string;
  price: 'free' | '300' | '500' | '1000' | '1500' | '2000' | '3000';
  contactType: 'Telegram' | 'VK' | 'Max';
  contact: string;
}

const HH_EXPERIENCE = {
  earlier: 'Да, обращался(ась) ранее',
  in_therapy: 'Да, сейчас нахожусь в терапии',
  supposed: 'Нет, но рассматривал(а) такую возможность',
  no: 'Нет',
} as const;

/** The diagnose labels of DiseasesPsychologistStage (L33–37, L97–100): current, unlike B.1's. */
export function helpHandDiagnoses(p: HelpHandPerson): string[] {
  if (p.diagnosis === 'nothing') return ['Нет'];
  return [
    'Есть диагностированное психиатрическое заболевание',
    p.medications === 'yes' ? 'Принимает медикаменты' : 'Не принимает медикаменты',
  ];
}

/** HelpHand.ts L144–150: the price as a label. */
export const categoryLabel = (price: HelpHandPerson['price'] | undefined) =>
  !price || price === 'free' ? 'Бесплатно' : `${price} руб`;

/** The tracking steps of the helping-hand form, in order (C.1). */
export const HELP_HAND_STEPS = [
  'Возраст клиента',
  'Пол клиента',
  'Опыт работы с психологом',
  'Что важно в психологе',
  'Психические заболевания',
  'Состояние клиента',
  'Травматическое событие',
  'Запрос клиента',
  'Сумма за сессию',
  'Контакты клиента',
] as const;

/** The step-analytics of a helping-hand step (C.1's differences from B §5), or null. */
export function helpHandStepAnswer(p: HelpHandPerson, step: string): [string, unknown] | null {
  switch (step) {
    case 'Возраст клиента':
      return ['client_age', p.age];
    case 'Пол клиента':
      return ['client_sex', SEX[p.gender]];
    case 'Опыт работы с психологом':
      // The switch at ExperienceStage L59–66 has no break: always "".
      return ['client_experience', ''];
    case 'Психические заболевания':
      return ['diagnose', helpHandDiagnoses(p)];
    case 'Сумма за сессию':
      return ['psychologist_category', p.price];
    default:
      return null;
  }
}

/** POST register-ticket-for-help-hand's body (C.1.2, HelpHand.ts L80–157), field by field. */
export function helpHandBody(p: HelpHandPerson) {
  return {
    utm_source: 'null',
    utm_medium: 'null',
    utm_campaign: 'null',
    utm_content: 'null',
    utm_term: 'null',
    utm_client: 'null',
    utm_anketa: 'null',
    formPsyClientInfo: {
      age: p.age,
      city: '',
      sex: SEX[p.gender],
      psychoEducated: '',
      anxieties: [],
      customAnexiety: '',
      hasPsychoExperience: HH_EXPERIENCE[p.experience],
      meetType: '',
      selectionСriteria: '',
      custmCreteria: '',
      importancePsycho: p.preferences,
      customImportance: p.customImportance,
      agePsycho: '',
      sexPsycho: 'Не имеет значения',
      priceLastSession: '',
      durationSession: '',
      reasonCancel: '',
      pricePsycho: '',
      reasonNonApplication: '',
      contactType: p.contactType,
      contact: p.contact,
      name: p.name,
      is_adult: Number(p.age) >= 18,
      is_last_page: false,
      occupation: '',
    },
    anxieties: [],
    questions: [p.request],
    customQuestion: [],
    diagnoses: helpHandDiagnoses(p),
    diagnoseInfo: '',
    diagnoseMedicaments: '',
    traumaticEvents: p.traumatic,
    clientStates: p.conditions,
    selectedPsychologistsNames: [],
    shownPsychologists: '',
    psychos: [],
    lastExperience: '',
    amountExpectations: '',
    age: p.age,
    slots: [],
    contactType: p.contactType,
    contact: p.contact,
    name: p.name,
    promocode: '',
    ticket_id: p.ticketId,
    emptySlots: false,
    userTimeZone: 'МСК',
    bid: 0,
    rid: 0,
    categoryType: categoryLabel(p.price),
    customCategory: '',
    question_to_psychologist: p.request,
    filtered_by_automatch_psy_names: [],
    _queries: '',
    customTraumaticEvent: '',
    customState: '',
    top_3_psychologists: [],
  };
}

/** The confirm link's parameters as the page reads them (C.2, L98–105). */
export function confirmLinkParams(url: string): { ticketId: string; utmPsy: string; price: string | null } {
  const query = new URL(url).searchParams;
  return {
    ticketId: query.get('ticket_id') ?? '',
    utmPsy: query.get('utm_psy') ?? '',
    price: query.get('price_session'),
  };
}

/** Monday of the week of `today` (date-fns startOfWeek with weekStartsOn 1), as YYYY-MM-DD. */
function mondayOf(today: string): Date {
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d;
}

/** Redux's fresh form on the confirm page (C.2.5): defaults, but for the ticket and the price label. */
function freshForm(ticketId: string, label: string) {
  return {
    anxieties: [],
    questions: [],
    customQuestion: [],
    diagnoses: [],
    diagnoseInfo: '',
    diagnoseMedicaments: '',
    traumaticEvents: [],
    clientStates: [],
    selectedPsychologistsNames: [],
    shownPsychologists: '',
    psychos: [],
    lastExperience: '',
    amountExpectations: '',
    age: '',
    slots: [],
    contactType: '',
    contact: '',
    name: '',
    promocode: '',
    ticket_id: ticketId,
    emptySlots: false,
    userTimeZone: 'МСК',
    bid: 0,
    rid: 0,
    categoryType: label,
    customCategory: '',
    question_to_psychologist: '',
    filtered_by_automatch_psy_names: [],
    _queries: '',
    customTraumaticEvent: '',
    customState: '',
  };
}

/** POST get-agregated-schedule-helpful-hand's body (C.2.5, L283–361). */
export function confirmScheduleRequest(ticketId: string, utmPsy: string, label: string, today: string) {
  const start = mondayOf(today);
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 1);
  return {
    startDate: start.toISOString().split('T')[0],
    endDate: end.toISOString().split('T')[0],
    formPsyClientInfo: {
      age: '',
      city: '',
      sex: 'Мужской',
      psychoEducated: '',
      anxieties: [],
      customAnexiety: '',
      hasPsychoExperience: 'Нет',
      meetType: '',
      selectionСriteria: '',
      custmCreteria: '',
      importancePsycho: [],
      customImportance: '',
      agePsycho: '',
      sexPsycho: 'Не имеет значения',
      priceLastSession: '',
      durationSession: '',
      reasonCancel: '',
      pricePsycho: '',
      reasonNonApplication: '',
      contactType: '',
      contact: '',
      name: '',
      is_adult: false,
      is_last_page: false,
      occupation: '',
    },
    form: freshForm(ticketId, label),
    ticket_id: ticketId,
    userTimeOffsetMsk: 0,
    utm_psy: utmPsy,
  };
}

export interface ConfirmSlot {
  id: string;
  date: string;
  time: string;
  label: string;
}

/**
 * How ConfirmPsychologistForm reads the schedule (C.2.5, L374–416): every Slot whose state contains
 * "Свободен", local date/time preferred, dropped when under 24 h ahead of `now` or without an id, in the
 * order answered. The page's browser is in Moscow here.
 */
export function readConfirmSchedule(data: unknown, now: Date): ConfirmSlot[] {
  if (!Array.isArray(data) || !data[0] || !Array.isArray(data[0].items)) return [];
  const out: ConfirmSlot[] = [];
  for (const day of data[0].items as { slots: Record<string, Record<string, unknown>[]> }[]) {
    for (const slots of Object.values(day.slots)) {
      for (const slot of slots) {
        if (!String(slot.state).trim().includes('Свободен')) continue;
        const date = String(slot['Дата Локальная'] || slot.date);
        const time = String(slot['Время Локальное'] || slot.time);
        const at = new Date(`${date}T${time}:00+03:00`);
        if (at.getTime() - now.getTime() < 24 * 3_600_000) continue;
        if (!slot.id) continue;
        out.push({
          id: String(slot.id),
          date,
          time,
          label: `${date.slice(8)}.${date.slice(5, 7)} / ${time}`,
        });
      }
    }
  }
  return out;
}

/** POST helpful-hand-zayavka-new's body (C.2.6, L523–558): redux defaults, the slot as "d.M HH:mm" and its id. */
export function confirmBookingBody(ticketId: string, utmPsy: string, label: string, slot: ConfirmSlot) {
  const [, month, day] = slot.date.split('-').map(Number);
  return {
    utm_source: 'null',
    utm_medium: 'null',
    utm_campaign: 'null',
    utm_content: 'null',
    utm_term: 'null',
    utm_client: 'null',
    utm_anketa: 'null',
    ...freshForm(ticketId, label),
    slots: [`${day}.${month} ${slot.time}`],
    slots_objects: [slot.id],
    contactType: 'Telegram',
    filtered_by_automatch_psy_names: [utmPsy],
    utm_psy: utmPsy,
  };
}
