// SQL for the post-session questionnaires (/client-os).
import type { Executor } from '../deps.ts';

export const questionnairesRepository = {
  async insert(
    db: Executor,
    row: {
      clientId: string;
      psychologistId: string | null;
      sessionId: string | null;
      anketa: unknown;
      payload: unknown;
    },
    now: Date,
  ): Promise<string> {
    const inserted = await db
      .insertInto('client_questionnaires')
      .values({
        client_id: row.clientId,
        psychologist_id: row.psychologistId,
        session_id: row.sessionId,
        anketa: JSON.stringify(row.anketa),
        payload: JSON.stringify(row.payload),
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return inserted.id;
  },
};
