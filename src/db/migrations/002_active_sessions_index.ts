// The remaining-assignment coefficient counts each psychologist's active sessions until the end of the
// month for every submission; a partial index over active sessions answers that from the index alone.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index sessions_active_by_psychologist on hraniteli_sessions (psychologist_id, start_at)
      where status in ('pending', 'confirmed')
  `.execute(db);
}
