// The whole data model of SPEC §4. The four hraniteli_* names are the original tables, so data can be
// moved over from the old system. The database guards the invariants: one active session per slot and
// per ticket (partial unique indexes), one row per dedupe key in the outbox and in processed events.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table hraniteli_psychologists (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      name_normalized text not null unique,
      sex text not null check (sex in ('male', 'female')),
      telegram_id text,
      telegram_username text,
      min_price integer not null default 0 check (min_price >= 0),
      max_price integer not null default 0 check (max_price >= 0),
      queries text[] not null default '{}',
      works_with text[] not null default '{}',
      description text,
      experience_years integer,
      link_photo text,
      link_video text,
      is_active boolean not null default true,
      help_hand boolean not null default false,
      debt integer not null default 0,
      number_of_clients_provided integer not null default 0,
      zoom_account text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index psychologists_telegram_id on hraniteli_psychologists (telegram_id);

    create table hraniteli_clients (
      id uuid primary key default gen_random_uuid(),
      lead_number text not null unique check (lead_number ~ '^[a-z]{2}[0-9]{4}$'),
      contact_key text unique,
      name text,
      age integer,
      phone text,
      email text,
      telegram_id text unique,
      telegram_username text,
      contact_type text check (contact_type in ('telegram', 'whatsapp', 'phone', 'vk', 'max', 'email')),
      contact_value text,
      utm jsonb,
      lead_codes text[] not null default '{}',
      erased_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index clients_telegram_username on hraniteli_clients (telegram_username);
    create index clients_phone on hraniteli_clients (phone);

    create table hraniteli_slots (
      id uuid primary key default gen_random_uuid(),
      psychologist_id uuid not null references hraniteli_psychologists (id) on delete cascade,
      start_at timestamptz not null,
      duration_minutes integer not null default 60 check (duration_minutes between 10 and 600),
      price integer check (price >= 0),
      state text not null default 'free' check (state in ('free', 'booked')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (psychologist_id, start_at)
    );
    create index slots_free_by_time on hraniteli_slots (start_at) include (psychologist_id) where state = 'free';
    create index slots_by_time on hraniteli_slots (start_at);

    create table hraniteli_tickets (
      ticket_id text primary key check (ticket_id ~ '^([0-9]{7}|hh_[a-z0-9]{7})$'),
      form_ticket_id text,
      client_id uuid not null references hraniteli_clients (id),
      type text not null check (type in ('application', 'diagnostic', 'help_hand', 'reassignment')),
      status text not null default 'new' check (status in ('new', 'matched', 'booked', 'closed', 'cancelled')),
      request_text text,
      preferences jsonb,
      selected_slots text[] not null default '{}',
      matched_psychologists uuid[] not null default '{}',
      candidate_slot_ids uuid[] not null default '{}',
      psychologist_id uuid references hraniteli_psychologists (id),
      utm jsonb,
      raw_payload jsonb,
      promocode text,
      price_session text,
      bot_link text,
      link_opened_at timestamptz,
      link_check_due_at timestamptz,
      link_checked_at timestamptz,
      parent_ticket_id text references hraniteli_tickets (ticket_id),
      help_hand_stage integer not null default 0,
      help_hand_next_check_at timestamptz,
      help_hand_confirmed_at timestamptz,
      note text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index tickets_client on hraniteli_tickets (client_id, created_at desc);
    create index tickets_form_ticket_id on hraniteli_tickets (form_ticket_id);
    create index tickets_created on hraniteli_tickets (created_at desc, ticket_id desc);
    create index tickets_link_check_due on hraniteli_tickets (link_check_due_at) where link_checked_at is null;
    create index tickets_help_hand_due on hraniteli_tickets (help_hand_next_check_at)
      where help_hand_next_check_at is not null;

    create table hraniteli_sessions (
      id uuid primary key default gen_random_uuid(),
      ticket_id text not null references hraniteli_tickets (ticket_id),
      client_id uuid not null references hraniteli_clients (id),
      psychologist_id uuid not null references hraniteli_psychologists (id),
      slot_id uuid not null references hraniteli_slots (id),
      kind text not null default 'diagnostic' check (kind in ('diagnostic', 'regular')),
      status text not null default 'pending'
        check (status in ('pending', 'confirmed', 'cancelled', 'completed', 'missed')),
      start_at timestamptz not null,
      duration_minutes integer not null default 60,
      payment_amount numeric(12, 2),
      payment_status text check (payment_status in ('pending', 'completed')),
      meeting_link text,
      meeting_platform text,
      meeting_id text,
      cancellation_reason text,
      cancelled_by text,
      rating integer check (rating between 1 and 5),
      feedback text,
      rated_at timestamptz,
      remind_at timestamptz,
      reminded_at timestamptz,
      feedback_due_at timestamptz,
      feedback_asked_at timestamptz,
      confirmed_at timestamptz,
      cancelled_at timestamptz,
      completed_at timestamptz,
      missed_at timestamptz,
      rescheduled_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index sessions_one_active_per_slot on hraniteli_sessions (slot_id)
      where status in ('pending', 'confirmed');
    create unique index sessions_one_active_per_ticket on hraniteli_sessions (ticket_id)
      where status in ('pending', 'confirmed');
    create index sessions_ticket on hraniteli_sessions (ticket_id, start_at desc);
    create index sessions_client on hraniteli_sessions (client_id, start_at desc);
    create index sessions_psychologist on hraniteli_sessions (psychologist_id, start_at);
    create index sessions_remind_due on hraniteli_sessions (remind_at) where reminded_at is null;
    create index sessions_feedback_due on hraniteli_sessions (feedback_due_at) where feedback_asked_at is null;

    create table session_ratings (
      id uuid primary key default gen_random_uuid(),
      session_id uuid not null references hraniteli_sessions (id) on delete cascade,
      rating integer not null check (rating between 1 and 5),
      feedback text,
      created_at timestamptz not null default now()
    );

    create table client_questionnaires (
      id uuid primary key default gen_random_uuid(),
      client_id uuid references hraniteli_clients (id),
      psychologist_id uuid references hraniteli_psychologists (id),
      session_id uuid references hraniteli_sessions (id),
      anketa jsonb not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create sequence research_row_number start 2;
    create table research_responses (
      id bigint primary key,
      row_number integer not null unique default nextval('research_row_number'),
      payload jsonb not null,
      name text,
      contact text,
      contact_type text,
      age text,
      form_psy_client_info jsonb,
      contacts_updated_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table form_tracking (
      id uuid primary key default gen_random_uuid(),
      ticket_id text not null,
      form_type text not null,
      current_step text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (ticket_id, form_type)
    );
    create table form_tracking_steps (
      id bigint generated always as identity primary key,
      tracking_id uuid not null references form_tracking (id) on delete cascade,
      step text not null,
      at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index form_tracking_steps_tracking on form_tracking_steps (tracking_id, at);

    create table analytics_snapshots (
      ticket_id text primary key,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table verification_codes (
      telegram_id text primary key,
      code_hash text not null,
      expires_at timestamptz not null,
      attempts integer not null default 0,
      spent_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table verification_failures (
      id bigint generated always as identity primary key,
      telegram_id text not null,
      at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index verification_failures_recent on verification_failures (telegram_id, at);

    create table admin_threads (
      id bigint generated always as identity primary key,
      admin_message_id text not null unique,
      client_id uuid not null references hraniteli_clients (id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table outbox (
      id bigint generated always as identity primary key,
      chat_id text,
      recipient text not null check (recipient in ('client', 'psychologist', 'admin')),
      text text not null,
      buttons jsonb,
      dedupe_key text not null unique,
      status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'skipped')),
      attempts integer not null default 0,
      last_error text,
      next_attempt_at timestamptz,
      sent_at timestamptz,
      telegram_message_id text,
      client_id uuid references hraniteli_clients (id),
      ticket_id text,
      session_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index outbox_pending on outbox (chat_id, id) where status = 'pending';
    create index outbox_created on outbox (created_at desc, id desc);

    create table processed_events (
      key text primary key,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table idempotency_keys (
      key text primary key,
      status_code integer,
      response jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table client_followups (
      id uuid primary key default gen_random_uuid(),
      client_id uuid not null references hraniteli_clients (id),
      kind text not null check (kind in ('after_5_days', 'after_3_weeks')),
      psychologist_id uuid references hraniteli_psychologists (id),
      due_at timestamptz not null,
      done_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (client_id, kind)
    );
    create index client_followups_due on client_followups (due_at) where done_at is null;
  `.execute(db);
}
