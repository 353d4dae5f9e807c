// SQL for form tracking and questionnaires (the web forms' analytics and the /client-os anketa).
import type { Executor } from '../deps.ts';

export const formsRepository = {
  /** Tracking steps recorded under any of these ids (the ticket's own and the form's), oldest first. */
  async trackingSteps(db: Executor, ids: string[]) {
    return db
      .selectFrom('form_tracking as f')
      .innerJoin('form_tracking_steps as s', 's.tracking_id', 'f.id')
      .select(['f.form_type', 's.step', 's.at'])
      .where('f.ticket_id', 'in', ids)
      .orderBy('s.at')
      .execute();
  },

  async questionnairesOfClient(db: Executor, clientId: string) {
    return db
      .selectFrom('client_questionnaires')
      .selectAll()
      .where('client_id', '=', clientId)
      .orderBy('created_at', 'desc')
      .execute();
  },
};
