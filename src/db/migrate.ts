// Versioned migrations, applied at start and by `npm run migrate`. Kysely's migrator records them in
// kysely_migration and holds a lock while it runs, so two instances starting together apply each once.
import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import * as dataModel from './migrations/001_data_model.ts';
import * as activeSessionsIndex from './migrations/002_active_sessions_index.ts';
import * as freeSlotsByPsychologist from './migrations/003_free_slots_by_psychologist.ts';
import * as submissionIdentity from './migrations/004_submission_identity.ts';
import * as outboxClaimOrder from './migrations/005_outbox_claim_order.ts';
import * as jobs from './migrations/006_jobs.ts';
import * as webForms from './migrations/008_web_forms.ts';
import * as videoMeetings from './migrations/009_video_meetings.ts';
import * as identityProofs from './migrations/010_identity_proofs.ts';
import * as outboxLanes from './migrations/011_outbox_lanes.ts';
import * as helpHand from './migrations/012_help_hand.ts';
import * as surveysEvents from './migrations/013_surveys_events.ts';
import { analyzeHotTables } from './database.ts';
import type { DB } from './types.ts';

/** Every migration of the repository, by name (applied in name order). */
export const migrations: Record<string, Migration> = {
  '001_data_model': dataModel,
  '002_active_sessions_index': activeSessionsIndex,
  '003_free_slots_by_psychologist': freeSlotsByPsychologist,
  '004_submission_identity': submissionIdentity,
  '005_outbox_claim_order': outboxClaimOrder,
  '006_jobs': jobs,
  '008_web_forms': webForms,
  '009_video_meetings': videoMeetings,
  '010_identity_proofs': identityProofs,
  '011_outbox_lanes': outboxLanes,
  '012_help_hand': helpHand,
  '013_surveys_events': surveysEvents,
};

export async function migrateToLatest(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  // New tables and indexes start without planner statistics (PGlite never gathers them on its own).
  if (applied.length) await analyzeHotTables(db);
  return applied;
}

/** True when every migration in the repository has been applied (used by /ready). */
export async function migrationsApplied(db: Kysely<DB>): Promise<boolean> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const all = await migrator.getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
