// The public web front end's flows (spec/web-form.md): the psychologist catalog's profile fields and
// education, step answers per form id, who created a research row (so get-sheets-row-number can hand a
// requester their own row) and which client it was linked to, the names a form was offered, and one
// submission per form id (tilda-zayavka is idempotent on the form's own ticket id).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table hraniteli_psychologists
      add column "group" text not null default 'Сообщество',
      add column age integer check (age between 18 and 120),
      add column experience text,
      add column verified boolean not null default false,
      add column main_modal text,
      add column additional_modals text[] not null default '{}',
      add column vk text,
      add column site text,
      add column telegram text,
      add column personal_therapy_duration text,
      add column is_married boolean,
      add column has_children boolean,
      add column takes_diagnostic boolean not null default true,
      add column education jsonb not null default '[]';

    alter table research_responses
      add column requester text,
      add column client_id uuid references hraniteli_clients (id),
      add column ticket_id text;
    create index research_responses_requester on research_responses (requester, created_at desc);
    create index research_responses_created on research_responses (created_at desc);

    alter table form_tracking add column offered_psychologists text[];
    create index form_tracking_latest on form_tracking (ticket_id, created_at desc);
    create index form_tracking_by_type on form_tracking (form_type, created_at);

    create table form_step_answers (
      form_ticket_id text not null,
      field text not null,
      value jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (form_ticket_id, field)
    );

    create table web_form_submissions (
      form_ticket_id text primary key,
      ticket_id text references hraniteli_tickets (ticket_id),
      body_hash text not null,
      answer jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}
