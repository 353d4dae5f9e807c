// Surveys of /survey and the psychologists' events calendar of /calendar (spec/web-form.md A):
// published surveys with a completion count per day (nothing personal), a calendar token per
// psychologist kept only as its SHA-256, the events, and the registrations that hold a psychologist's
// slot at an event's time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table surveys (
      slug text primary key check (slug ~ '^[a-z0-9-]{1,64}$'),
      title text not null,
      description text not null default '',
      content jsonb not null,
      results jsonb not null,
      is_published boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table survey_completions (
      slug text not null references surveys (slug) on delete cascade,
      day date not null,
      completions integer not null default 0,
      primary key (slug, day)
    );

    create table calendar_secrets (
      psychologist_id uuid primary key references hraniteli_psychologists (id) on delete cascade,
      secret_hash text not null unique,
      issued_at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table calendar_events (
      id uuid primary key default gen_random_uuid(),
      title text not null,
      event_type text not null,
      event_modal_type text not null
        check (event_modal_type in ('юнгианство', 'кпт', 'гештальт', 'психоанализ', 'общие')),
      description text not null default '',
      organizator_type text,
      organizator_name text,
      organizator_link text,
      max_participants integer not null check (max_participants between 1 and 10000),
      current_participants integer not null default 0,
      start_at timestamptz not null,
      duration_minutes integer not null default 90 check (duration_minutes between 10 and 600),
      next_event text,
      is_canceled boolean not null default false,
      is_published boolean not null default true,
      event_link text,
      event_folder text,
      repeat_period text,
      last_planed_date text check (last_planed_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      root_event uuid references calendar_events (id) on delete set null,
      allow_connect boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- The backstop under the event row's lock (commands/calendar.ts): never more registered than places.
      check (current_participants between 0 and max_participants)
    );
    -- The page names an event by date, time and title: among live events that triple is one event.
    create unique index calendar_events_title_at on calendar_events (start_at, title) where not is_canceled;
    create index calendar_events_start on calendar_events (start_at);

    create table event_registrations (
      event_id uuid not null references calendar_events (id) on delete cascade,
      psychologist_id uuid not null references hraniteli_psychologists (id) on delete cascade,
      slot_id uuid not null unique references hraniteli_slots (id),
      -- The slot was made for the registration (the psychologist had none at that time): leaving removes it.
      slot_created boolean not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (event_id, psychologist_id)
    );
    create index event_registrations_psychologist on event_registrations (psychologist_id);
  `.execute(db);
}
