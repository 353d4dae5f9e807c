// SQL for the client follow-ups (5 days / 3 weeks): one row per client and kind, its due time upserted
// (a later request for the same client and kind wins).
import type { Executor } from '../deps.ts';

export type FollowupKind = 'after_5_days' | 'after_3_weeks';

export const followupsRepository = {
  async plan(
    db: Executor,
    followup: { clientId: string; kind: FollowupKind; psychologistId: string | null; dueAt: Date },
    now: Date,
  ): Promise<string> {
    const row = await db
      .insertInto('client_followups')
      .values({
        client_id: followup.clientId,
        kind: followup.kind,
        psychologist_id: followup.psychologistId,
        due_at: followup.dueAt,
        done_at: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['client_id', 'kind']).doUpdateSet({
          psychologist_id: followup.psychologistId,
          due_at: followup.dueAt,
          done_at: null,
          updated_at: now,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  },

  async due(db: Executor, now: Date, limit: number) {
    return db
      .selectFrom('client_followups')
      .select('id')
      .where('due_at', '<=', now)
      .where('done_at', 'is', null)
      .orderBy('due_at')
      .limit(limit)
      .execute();
  },

  /** Marks the follow-up done, unless someone else did (then undefined). */
  async claim(db: Executor, id: string, now: Date) {
    return db
      .updateTable('client_followups')
      .set({ done_at: now, updated_at: now })
      .where('id', '=', id)
      .where('done_at', 'is', null)
      .where('due_at', '<=', now)
      .returningAll()
      .executeTakeFirst();
  },
};
