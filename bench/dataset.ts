// The data set of quality.md (Performance): 100 psychologists, 40 slots a week each for the next four
// weeks (16 000 slots), 30 % of them booked, 5 000 clients, 20 000 tickets. Psychologists and slots go
// through the admin API (bench/run.ts); clients, tickets and sessions are bulk-inserted with set-based
// SQL in the server process (loadBookings, called by bench/server.ts), keeping the database invariants.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../src/db/types.ts';
import { MOSCOW_OFFSET_MS } from '../src/domain/time.ts';

export const PSYCHOLOGISTS = 100;
export const SLOTS_PER_DAY = 8;
export const WORKING_DAYS_PER_WEEK = 5;
export const WEEKS = 4;
export const CLIENTS = 5_000;
export const TICKETS_PER_CLIENT = 4;
export const TICKETS = CLIENTS * TICKETS_PER_CLIENT;
export const BOOKED_SHARE = 0.3;
export const SLOTS_PER_PSYCHOLOGIST = SLOTS_PER_DAY * WORKING_DAYS_PER_WEEK * WEEKS;
export const BOOKED_SLOTS = Math.round(PSYCHOLOGISTS * SLOTS_PER_PSYCHOLOGIST * BOOKED_SHARE);

export const SPECIALIZATIONS = [
  'Тревога',
  'Депрессия',
  'Отношения',
  'Самооценка',
  'Выгорание',
  'Стресс',
  'Семейные конфликты',
  'Горе и утрата',
  'Панические атаки',
  'Личностный рост',
];

/**
 * The specialization every psychologist of the data set has, besides 3–5 of SPECIALIZATIONS: S3n asks
 * for it, so all 100 are candidates. S3 asks only for SPECIALIZATIONS, so its matches are unchanged.
 */
export const EVERYONE_SPECIALIZATION = 'Кризисные состояния';

const MALE_FIRST = [
  'Александр',
  'Дмитрий',
  'Максим',
  'Сергей',
  'Андрей',
  'Алексей',
  'Артём',
  'Илья',
  'Кирилл',
  'Михаил',
];
const FEMALE_FIRST = [
  'Анна',
  'Мария',
  'Елена',
  'Ольга',
  'Наталья',
  'Татьяна',
  'Ирина',
  'Екатерина',
  'Светлана',
  'Юлия',
];
const SURNAMES: [male: string, female: string][] = [
  ['Иванов', 'Иванова'],
  ['Смирнов', 'Смирнова'],
  ['Кузнецов', 'Кузнецова'],
  ['Попов', 'Попова'],
  ['Васильев', 'Васильева'],
  ['Петров', 'Петрова'],
  ['Соколов', 'Соколова'],
  ['Михайлов', 'Михайлова'],
  ['Новиков', 'Новикова'],
  ['Фёдоров', 'Фёдорова'],
];

/** A small seeded generator, so that every run builds the same data set. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PsychologistSeed {
  name: string;
  sex: 'male' | 'female';
  min_price: number;
  max_price: number;
  queries: string[];
  works_with: string[];
  description: string;
  experience_years: number;
  telegram_id: string;
  /** The first hour (Moscow) of the psychologist's eight consecutive hourly slots. */
  firstHour: number;
}

/** 100 distinct "Имя Фамилия" psychologists, sexes alternating, 3–5 specializations + the common one, 1500–4000 ₽. */
export function psychologistSeeds(): PsychologistSeed[] {
  const random = seededRandom(20_240_501);
  const seeds: PsychologistSeed[] = [];
  for (let i = 0; i < PSYCHOLOGISTS; i++) {
    const female = i % 2 === 0;
    const j = Math.floor(i / 2);
    // (j mod 10, (j mod 10 + ⌊j/10⌋) mod 10) is a distinct pair for j < 50, so every name is unique.
    const first = (female ? FEMALE_FIRST : MALE_FIRST)[j % 10]!;
    const surname = SURNAMES[(j + Math.floor(j / 10)) % 10]![female ? 1 : 0];
    const count = 3 + Math.floor(random() * 3);
    const queries = [
      ...[...SPECIALIZATIONS].sort(() => random() - 0.5).slice(0, count),
      EVERYONE_SPECIALIZATION,
    ];
    const minPrice = 1500 + 500 * Math.floor(random() * 6);
    seeds.push({
      name: `${first} ${surname}`,
      sex: female ? 'female' : 'male',
      min_price: minPrice,
      max_price: minPrice + 2000,
      queries,
      works_with: ['взрослые'],
      description: `Психолог, ${queries.join(', ').toLowerCase()}.`,
      experience_years: 2 + Math.floor(random() * 20),
      telegram_id: String(700_000_000 + i),
      firstHour: 9 + (i % 3),
    });
  }
  return seeds;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "YYYY-MM-DD" of the Moscow day `days` after the one containing `now`. */
export function moscowYmdAfter(now: Date, days: number): string {
  const d = new Date(now.getTime() + MOSCOW_OFFSET_MS + days * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * The 160 slot times ("YYYY-MM-DD HH:mm", Moscow) of one psychologist: the 28 days from tomorrow, five
 * working days of every seven (days 6 and 7 of each week off, so that everybody works tomorrow), eight
 * hourly slots from `firstHour`.
 */
export function slotTimes(now: Date, firstHour: number): string[] {
  const times: string[] = [];
  for (let day = 0; day < WEEKS * 7; day++) {
    if (day % 7 >= WORKING_DAYS_PER_WEEK) continue;
    const ymd = moscowYmdAfter(now, day + 1);
    for (let h = 0; h < SLOTS_PER_DAY; h++) times.push(`${ymd} ${pad(firstHour + h)}:00`);
  }
  return times;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** The lead number of bench client k: distinct for k < 6 760 000, spread over the whole ^[a-z]{2}\d{4}$ space. */
export function leadNumber(k: number): string {
  const x = (k * 7919) % 6_760_000;
  return `${LETTERS[Math.floor(x / 260_000)]}${LETTERS[Math.floor(x / 10_000) % 26]}${String(x % 10_000).padStart(4, '0')}`;
}

/** The ticket id of bench ticket t: seven digits, never a leading zero, distinct for t < 9 000 000. */
export function ticketId(t: number): string {
  return String(1_000_000 + ((t * 7919) % 9_000_000));
}

/**
 * Ticket t belongs to client ⌊t/4⌋. The first ticket of each of the first 4 800 clients is booked
 * (one active session each); the others are open or cancelled, never holding a session.
 */
export function ticketStatus(t: number): 'booked' | 'new' | 'matched' | 'cancelled' {
  const client = Math.floor(t / TICKETS_PER_CLIENT);
  switch (t % TICKETS_PER_CLIENT) {
    case 0:
      return client < BOOKED_SLOTS ? 'booked' : 'matched';
    case 1:
      return 'cancelled';
    case 2:
      return 'new';
    default:
      return 'matched';
  }
}

const CLIENT_FIRST = [...MALE_FIRST, ...FEMALE_FIRST];

/**
 * Clients, tickets and sessions in one transaction: 30 % of the free slots (chosen at random) are
 * booked, each by the first ticket of its own client, with one active session whose start and duration
 * are the slot's. Returns the counts written.
 */
export async function loadBookings(db: Kysely<DB>): Promise<Record<string, number>> {
  const leads = Array.from({ length: CLIENTS }, (_, k) => leadNumber(k));
  const ticketIds = Array.from({ length: TICKETS }, (_, t) => ticketId(t));
  const ticketLeads = Array.from({ length: TICKETS }, (_, t) => leads[Math.floor(t / TICKETS_PER_CLIENT)]!);
  const statuses = Array.from({ length: TICKETS }, (_, t) => ticketStatus(t));
  const bookedTickets = Array.from({ length: BOOKED_SLOTS }, (_, k) => ticketIds[k * TICKETS_PER_CLIENT]!);
  const prefs = JSON.stringify({ gender: 'any', price_max: 5000, specializations: [SPECIALIZATIONS[0]] });

  const counts = await db.transaction().execute(async (trx) => {
    await sql`
      insert into hraniteli_clients
        (lead_number, contact_key, name, age, telegram_username, contact_type, contact_value,
         created_at, updated_at)
      select l.lead, 'telegram:@bench_client_' || l.n, (${CLIENT_FIRST}::text[])[(1 + l.n % 20)::int],
        18 + (l.n % 50)::int, 'bench_client_' || l.n, 'telegram', '@bench_client_' || l.n,
        now() - (l.n % 90)::int * interval '1 day', now()
      from unnest(${leads}::text[]) with ordinality as l(lead, n)`.execute(trx);
    await sql`
      insert into hraniteli_tickets
        (ticket_id, client_id, type, status, request_text, preferences, created_at, updated_at)
      select x.ticket_id, c.id, 'application', x.status, 'Хочу разобраться с тревогой', ${prefs}::jsonb,
        now() - (x.n % 60)::int * interval '1 hour' - (4 - x.n % 4)::int * interval '1 day', now()
      from unnest(${ticketIds}::text[], ${ticketLeads}::text[], ${statuses}::text[])
        with ordinality as x(ticket_id, lead, status, n)
      join hraniteli_clients c on c.lead_number = x.lead`.execute(trx);
    await sql`
      with picked as (
        select s.id, s.psychologist_id, s.start_at, s.duration_minutes,
          (row_number() over (order by md5(s.id::text)))::int as k
        from hraniteli_slots s where s.state = 'free'
      )
      insert into hraniteli_sessions
        (ticket_id, client_id, psychologist_id, slot_id, kind, status, start_at, duration_minutes,
         payment_amount, payment_status, meeting_link, meeting_platform, meeting_id, remind_at,
         feedback_due_at, confirmed_at, created_at, updated_at)
      select t.ticket_id, t.client_id, p.psychologist_id, p.id, 'diagnostic',
        case when p.k % 2 = 0 then 'pending' else 'confirmed' end,
        p.start_at, p.duration_minutes, 0, 'pending', 'https://meet.jit.si/hrani-bench-' || p.k, 'jitsi',
        'hrani-bench-' || p.k, p.start_at - interval '2 hours',
        p.start_at + (p.duration_minutes + 60) * interval '1 minute',
        case when p.k % 2 = 0 then null else now() end, now(), now()
      from picked p
      join hraniteli_tickets t on t.ticket_id = (${bookedTickets}::text[])[p.k]
      where p.k <= ${BOOKED_SLOTS}`.execute(trx);
    await sql`
      update hraniteli_slots s set state = 'booked', updated_at = now()
      from hraniteli_sessions x
      where x.slot_id = s.id and x.status in ('pending', 'confirmed')`.execute(trx);
    await sql`
      update hraniteli_tickets t
      set psychologist_id = x.psychologist_id, matched_psychologists = array[x.psychologist_id]
      from hraniteli_sessions x where x.ticket_id = t.ticket_id`.execute(trx);
    // Counted afterwards: affected-row counts of a data-modifying CTE differ between the drivers.
    const counted = await sql<{ clients: number; tickets: number; sessions: number; booked_slots: number }>`
      select (select count(*) from hraniteli_clients)::int as clients,
        (select count(*) from hraniteli_tickets)::int as tickets,
        (select count(*) from hraniteli_sessions where status in ('pending', 'confirmed'))::int as sessions,
        (select count(*) from hraniteli_slots where state = 'booked')::int as booked_slots`.execute(trx);
    const row = counted.rows[0]!;
    return {
      clients: row.clients,
      tickets: row.tickets,
      sessions: row.sessions,
      bookedSlots: row.booked_slots,
    };
  });
  // Fresh statistics, as a server would have them after autovacuum: the planner needs them.
  await sql`analyze`.execute(db);
  return counts;
}

/** What the storm left on its slots: how many are booked and how many active sessions they hold. */
export async function stormOutcome(
  db: Kysely<DB>,
  slotIds: string[],
): Promise<{ bookedSlots: number; activeSessions: number }> {
  const booked = await sql<{ n: number }>`
    select count(*)::int as n from hraniteli_slots
    where id = any(${slotIds}::uuid[]) and state = 'booked'`.execute(db);
  const active = await sql<{ n: number }>`
    select count(*)::int as n from hraniteli_sessions
    where slot_id = any(${slotIds}::uuid[]) and status in ('pending', 'confirmed')`.execute(db);
  return { bookedSlots: booked.rows[0]?.n ?? 0, activeSessions: active.rows[0]?.n ?? 0 };
}

export { invariantViolations } from '../src/db/invariants.ts';
