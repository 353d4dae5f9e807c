// Jobs: what each job did last, for /admin/jobs and /metrics. pg-boss keeps its own schema (`pgboss`).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table job_runs (
      name text primary key,
      last_started_at timestamptz,
      last_finished_at timestamptz,
      last_status text check (last_status in ('running', 'ok', 'failed')),
      last_result jsonb,
      last_error text,
      runs integer not null default 0,
      failures integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}
