// The database answers at all: the one query /ready runs before checking migrations.
import { sql, type Kysely } from 'kysely';
import type { DB } from './types.ts';

export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
