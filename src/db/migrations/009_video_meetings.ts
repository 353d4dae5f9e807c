// Video meetings: the Zoom user hosting a session's meeting (one host holds one meeting at a time) and a
// short claim on making a session's link, so the after-commit effect, the sweep and a second instance do
// not all call the providers for the same session and start.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table hraniteli_sessions
      add column meeting_host text,
      add column link_claimed_until timestamptz
  `.execute(db);
  await sql`
    create index sessions_by_meeting_host on hraniteli_sessions (meeting_host, start_at)
      where meeting_host is not null and status in ('pending', 'confirmed')
  `.execute(db);
}
