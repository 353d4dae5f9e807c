// S6 (quality.md): the session-reminders sweep over 10 000 due sessions, on a data set of its own —
// 5 000 psychologists with two sessions each in the next two hours — in a database of its own. Every
// psychologist and client has a Telegram chat, so each reminder writes both messages (20 000 in all).
// The data set is bulk-inserted with set-based SQL in the server process (loadDueSessions); the sweep
// runs through runJob, as pg-boss's cron and the operators' "run now" do (bench/server.ts).
import { sql, type Kysely } from 'kysely';
import type { DB } from '../src/db/types.ts';
import { ACTIVE_STATUSES_SQL } from '../src/db/vocabulary-sql.ts';
import { leadNumber, ticketId } from './dataset.ts';

export const S6_PSYCHOLOGISTS = 5_000;
export const S6_SESSIONS_EACH = 2;
export const S6_SESSIONS = S6_PSYCHOLOGISTS * S6_SESSIONS_EACH;
/** A reminder goes to the client and to the psychologist. */
export const S6_MESSAGES = S6_SESSIONS * 2;

const PSYCHOLOGIST_CHATS = 820_000_000;
const CLIENT_CHATS = 830_000_000;

/**
 * Psychologist n (0 … 4 999) has two back-to-back hourly sessions, the first 15 + n mod 40 minutes from
 * now: every start is within the next two hours (so the reminder, due two hours before, is due now)
 * and at least a quarter of an hour away (so it is still due when the sweep runs). Session k is booked
 * by client k on ticket k; each slot is booked, each ticket too. Returns the counts written.
 */
export async function loadDueSessions(db: Kysely<DB>): Promise<Record<string, number>> {
  const leads = Array.from({ length: S6_SESSIONS }, (_, k) => leadNumber(k));
  const tickets = Array.from({ length: S6_SESSIONS }, (_, k) => ticketId(k));
  const prefs = JSON.stringify({ gender: 'any', price_max: 5000, specializations: ['Тревога'] });
  const counts = await db.transaction().execute(async (trx) => {
    // The service's 15 s statement timeout is for requests, not for a bulk load on a busy machine.
    await sql`set local statement_timeout = 0`.execute(trx);
    await sql`
      insert into hraniteli_psychologists
        (name, name_normalized, sex, telegram_id, min_price, max_price, queries, works_with)
      select 'Психолог ' || n, 'психолог ' || n, case when n % 2 = 0 then 'female' else 'male' end,
        (${PSYCHOLOGIST_CHATS} + n)::text, 2000, 4000, array['Тревога'], array['взрослые']
      from generate_series(0, ${S6_PSYCHOLOGISTS - 1}::int) as n`.execute(trx);
    await sql`
      insert into hraniteli_slots (psychologist_id, start_at, duration_minutes, state)
      select p.id,
        date_trunc('minute', now())
          + ((15 + (p.telegram_id::bigint - ${PSYCHOLOGIST_CHATS}) % 40 + 60 * h) * interval '1 minute'),
        60, 'booked'
      from hraniteli_psychologists p, generate_series(0, ${S6_SESSIONS_EACH - 1}::int) as h`.execute(trx);
    await sql`
      insert into hraniteli_clients
        (lead_number, contact_key, name, age, telegram_id, telegram_username, contact_type, contact_value)
      select l.lead, 'telegram:@s6_client_' || l.n, 'Клиент', 18 + (l.n % 50)::int,
        (${CLIENT_CHATS} + l.n)::text, 's6_client_' || l.n, 'telegram', '@s6_client_' || l.n
      from unnest(${leads}::text[]) with ordinality as l(lead, n)`.execute(trx);
    await sql`
      insert into hraniteli_tickets (ticket_id, client_id, type, status, request_text, preferences)
      select x.ticket_id, c.id, 'application', 'booked', 'Хочу разобраться с тревогой', ${prefs}::jsonb
      from unnest(${tickets}::text[], ${leads}::text[]) with ordinality as x(ticket_id, lead, n)
      join hraniteli_clients c on c.lead_number = x.lead`.execute(trx);
    await sql`
      with slot as (
        select s.id, s.psychologist_id, s.start_at, s.duration_minutes,
          row_number() over (order by p.telegram_id::bigint, s.start_at) as k
        from hraniteli_slots s join hraniteli_psychologists p on p.id = s.psychologist_id
      )
      insert into hraniteli_sessions
        (ticket_id, client_id, psychologist_id, slot_id, kind, status, start_at, duration_minutes,
         payment_amount, payment_status, meeting_link, meeting_platform, meeting_id, remind_at,
         feedback_due_at, confirmed_at)
      select t.ticket_id, t.client_id, s.psychologist_id, s.id, 'diagnostic',
        case when s.k % 2 = 0 then 'pending' else 'confirmed' end, s.start_at, s.duration_minutes, 0,
        'pending', 'https://meet.jit.si/hrani-s6-' || s.k, 'jitsi', 'hrani-s6-' || s.k,
        s.start_at - interval '2 hours', s.start_at + (s.duration_minutes + 60) * interval '1 minute',
        case when s.k % 2 = 0 then null else now() end
      from slot s
      join unnest(${tickets}::text[]) with ordinality as x(ticket_id, k) on x.k = s.k
      join hraniteli_tickets t on t.ticket_id = x.ticket_id`.execute(trx);
    await sql`
      update hraniteli_tickets t
      set psychologist_id = x.psychologist_id, matched_psychologists = array[x.psychologist_id]
      from hraniteli_sessions x where x.ticket_id = t.ticket_id`.execute(trx);
    const counted = await sql<{ psychologists: number; clients: number; sessions: number }>`
      select (select count(*) from hraniteli_psychologists where telegram_id is not null)::int as psychologists,
        (select count(*) from hraniteli_clients where telegram_id is not null)::int as clients,
        (select count(*) from hraniteli_sessions where status in (${ACTIVE_STATUSES_SQL}))::int as sessions`.execute(
      trx,
    );
    return counted.rows[0]!;
  });
  // Fresh statistics, as a server would have them after autovacuum: the planner needs them.
  await sql`analyze`.execute(db);
  return counts;
}

export interface RemindersOutcome {
  /** Sessions whose reminder is due now and not sent. */
  due: number;
  /** Sessions marked reminded. */
  reminded: number;
  outboxRows: number;
  reminderRows: number;
  pendingRows: number;
  /** Distinct (session, recipient) pairs among the reminder rows. */
  distinctPairs: number;
  /** Sessions with one reminder to their client's chat and one to their psychologist's chat. */
  sessionsWithBoth: number;
}

/** What the sweep left: the outbox's reminder rows and the sessions' marks. */
export async function remindersOutcome(db: Kysely<DB>): Promise<RemindersOutcome> {
  // Right after the sweep the planner would still take the outbox for empty (autovacuum has not run)
  // and join it by nested loops: 10 000 × 20 000 rows.
  await sql`analyze outbox`.execute(db);
  const result = await sql<Record<keyof RemindersOutcome, number>>`
    select
      (select count(*) from hraniteli_sessions
        where remind_at <= now() and reminded_at is null and start_at > now()
          and status in (${ACTIVE_STATUSES_SQL}))::int as due,
      (select count(*) from hraniteli_sessions where reminded_at is not null)::int as reminded,
      (select count(*) from outbox)::int as "outboxRows",
      (select count(*) from outbox where dedupe_key like 'reminder:%')::int as "reminderRows",
      (select count(*) from outbox where dedupe_key like 'reminder:%' and status = 'pending')::int
        as "pendingRows",
      (select count(*) from (select distinct session_id, recipient from outbox
        where dedupe_key like 'reminder:%') d)::int as "distinctPairs",
      (select count(*) from hraniteli_sessions s
        join hraniteli_clients c on c.id = s.client_id
        join hraniteli_psychologists p on p.id = s.psychologist_id
        join outbox oc on oc.session_id = s.id and oc.recipient = 'client' and oc.chat_id = c.telegram_id
          and oc.dedupe_key like 'reminder:%'
        join outbox op on op.session_id = s.id and op.recipient = 'psychologist'
          and op.chat_id = p.telegram_id and op.dedupe_key like 'reminder:%')::int as "sessionsWithBoth"`.execute(
    db,
  );
  return result.rows[0]!;
}
