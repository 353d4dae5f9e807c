// SQL for the web forms' analytics (tracking records with their step history, step answers, the
// before-slots snapshot, one submission per form id) and the /client-os questionnaires.
import type { Executor } from '../deps.ts';
import { UNKNOWN_FORM_TYPE } from '../domain/web-form.ts';

export interface TrackingStepRow {
  tracking_id: string;
  form_type: string;
  step: string;
  at: Date;
}

export const formsRepository = {
  /**
   * The latest `limit` tracking steps recorded under any of these ids (the ticket's own and the form's),
   * oldest first: a public form adds steps without end, a view shows the newest.
   */
  async trackingSteps(db: Executor, ids: string[], limit: number) {
    const rows = await db
      .selectFrom('form_tracking as f')
      .innerJoin('form_tracking_steps as s', 's.tracking_id', 'f.id')
      .select(['f.form_type', 's.step', 's.at'])
      .where('f.ticket_id', 'in', ids)
      .orderBy('s.at', 'desc')
      .orderBy('s.id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse();
  },

  /** The same steps with the record they belong to. */
  async trackingStepsById(db: Executor, ids: string[], limit: number): Promise<TrackingStepRow[]> {
    if (!ids.length) return [];
    const rows = await db
      .selectFrom('form_tracking as f')
      .innerJoin('form_tracking_steps as s', 's.tracking_id', 'f.id')
      .select(['s.tracking_id', 'f.form_type', 's.step', 's.at'])
      .where('f.ticket_id', 'in', ids)
      .orderBy('s.at', 'desc')
      .orderBy('s.id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse();
  },

  /** The latest `limit` tracking records kept under any of these ids (one per form type), oldest first. */
  async trackingRecords(db: Executor, ids: string[], limit: number) {
    if (!ids.length) return [];
    const rows = await db
      .selectFrom('form_tracking')
      .select([
        'id',
        'ticket_id',
        'form_type',
        'current_step',
        'offered_psychologists',
        'created_at',
        'updated_at',
      ])
      .where('ticket_id', 'in', ids)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse();
  },

  /**
   * Starts a form's tracking record with its first step; an existing record of the same form id and
   * type is left as it is (a second init must not reset a later step). True when it was created.
   */
  async startTracking(
    db: Executor,
    record: { ticketId: string; formType: string; step: string },
    now: Date,
  ): Promise<boolean> {
    const created = await db
      .insertInto('form_tracking')
      .values({
        ticket_id: record.ticketId,
        form_type: record.formType,
        current_step: record.step,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['ticket_id', 'form_type']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) return false;
    await db
      .insertInto('form_tracking_steps')
      .values({ tracking_id: created.id, step: record.step, at: now })
      .execute();
    return true;
  },

  /** The latest tracking record of a form id, locked; a record of type "unknown" when it has none. */
  async latestTrackingForUpdate(db: Executor, ticketId: string, now: Date, firstStep: string) {
    const latest = await db
      .selectFrom('form_tracking')
      .select(['id'])
      .where('ticket_id', '=', ticketId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    if (latest) return latest;
    await db
      .insertInto('form_tracking')
      .values({
        ticket_id: ticketId,
        form_type: UNKNOWN_FORM_TYPE,
        current_step: firstStep,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['ticket_id', 'form_type']).doNothing())
      .execute();
    return db
      .selectFrom('form_tracking')
      .select(['id'])
      .where('ticket_id', '=', ticketId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirstOrThrow();
  },

  /**
   * Makes a step the record's current one and appends it to the history while that holds fewer than
   * `maxSteps` (the caller holds the record's row lock, so the count is exact).
   */
  async addStep(db: Executor, trackingId: string, step: string, now: Date, maxSteps: number): Promise<void> {
    await db
      .insertInto('form_tracking_steps')
      .columns(['tracking_id', 'step', 'at'])
      .expression(
        db
          .selectNoFrom((eb) => [
            eb.val(trackingId).as('tracking_id'),
            eb.val(step).as('step'),
            eb.val(now).as('at'),
          ])
          .where(
            (eb) =>
              eb
                .selectFrom('form_tracking_steps')
                .select((e) => e.fn.countAll<number>().as('n'))
                .where('tracking_id', '=', trackingId),
            '<',
            maxSteps,
          ),
      )
      .execute();
    await db
      .updateTable('form_tracking')
      .set({ current_step: step, updated_at: now })
      .where('id', '=', trackingId)
      .execute();
  },

  async setOffered(db: Executor, trackingId: string, names: string[], now: Date): Promise<void> {
    await db
      .updateTable('form_tracking')
      .set({ offered_psychologists: names, updated_at: now })
      .where('id', '=', trackingId)
      .execute();
  },

  /** Latest wins per form id. */
  async saveSnapshot(db: Executor, ticketId: string, payload: unknown, now: Date): Promise<void> {
    await db
      .insertInto('analytics_snapshots')
      .values({ ticket_id: ticketId, payload: JSON.stringify(payload), created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.column('ticket_id').doUpdateSet({ payload: JSON.stringify(payload), updated_at: now }),
      )
      .execute();
  },

  async snapshot(db: Executor, ticketId: string) {
    return db
      .selectFrom('analytics_snapshots')
      .select(['payload', 'updated_at'])
      .where('ticket_id', '=', ticketId)
      .executeTakeFirst();
  },

  /**
   * Latest value per form id and field. A field the form id does not have yet is stored only while it
   * has fewer than `maxFields` (two new fields at once may both pass at the edge); false when refused.
   */
  async saveStepAnswer(
    db: Executor,
    formId: string,
    field: string,
    value: unknown,
    now: Date,
    maxFields: number,
  ): Promise<boolean> {
    const json = JSON.stringify(value);
    const written = await db
      .insertInto('form_step_answers')
      .columns(['form_ticket_id', 'field', 'value', 'created_at', 'updated_at'])
      .expression(
        db
          .selectNoFrom((eb) => [
            eb.val(formId).as('form_ticket_id'),
            eb.val(field).as('field'),
            eb.val(json).as('value'),
            eb.val(now).as('created_at'),
            eb.val(now).as('updated_at'),
          ])
          .where((w) =>
            w.or([
              w.exists(
                w
                  .selectFrom('form_step_answers')
                  .select('field')
                  .where('form_ticket_id', '=', formId)
                  .where('field', '=', field),
              ),
              w(
                w
                  .selectFrom('form_step_answers')
                  .select((e) => e.fn.countAll<number>().as('n'))
                  .where('form_ticket_id', '=', formId),
                '<',
                maxFields,
              ),
            ]),
          ),
      )
      .onConflict((oc) =>
        oc.columns(['form_ticket_id', 'field']).doUpdateSet({ value: json, updated_at: now }),
      )
      .executeTakeFirst();
    return Number(written.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  /** The first `limit` step answers by field name (a public form may send any number of fields). */
  async stepAnswers(db: Executor, formIds: string[], limit: number) {
    if (!formIds.length) return [];
    return db
      .selectFrom('form_step_answers')
      .select(['form_ticket_id', 'field', 'value', 'updated_at'])
      .where('form_ticket_id', 'in', formIds)
      .orderBy('field')
      .orderBy('form_ticket_id')
      .limit(limit)
      .execute();
  },

  /** One step answer of a form. */
  async stepAnswer(db: Executor, formId: string, field: string) {
    return db
      .selectFrom('form_step_answers')
      .select(['value'])
      .where('form_ticket_id', '=', formId)
      .where('field', '=', field)
      .executeTakeFirst();
  },

  /**
   * The steps of the tracking records created in [from, to) (of one form type, when given): one row per
   * record and step with the first time that record reached it.
   */
  async funnelRows(db: Executor, filter: { formType?: string; from?: Date; to?: Date }) {
    let query = db
      .selectFrom('form_tracking as f')
      .innerJoin('form_tracking_steps as s', 's.tracking_id', 'f.id')
      .select((eb) => [
        'f.id as tracking_id',
        'f.form_type',
        's.step',
        eb.fn.min('s.at').as('first_at'),
        eb.fn.min('s.id').as('first_id'),
      ])
      .groupBy(['f.id', 'f.form_type', 's.step']);
    if (filter.formType !== undefined) query = query.where('f.form_type', '=', filter.formType);
    if (filter.from) query = query.where('f.created_at', '>=', filter.from);
    if (filter.to) query = query.where('f.created_at', '<', filter.to);
    return query.execute();
  },

  /** The tracked forms created in [from, to) (of one form type, when given), by type. */
  async trackedCounts(db: Executor, filter: { formType?: string; from?: Date; to?: Date }) {
    let query = db
      .selectFrom('form_tracking as f')
      .select((eb) => ['f.form_type', eb.fn.countAll<number>().as('n')])
      .groupBy('f.form_type');
    if (filter.formType !== undefined) query = query.where('f.form_type', '=', filter.formType);
    if (filter.from) query = query.where('f.created_at', '>=', filter.from);
    if (filter.to) query = query.where('f.created_at', '<', filter.to);
    return query.execute();
  },

  /**
   * Claims a form id for its submission; false when another submission holds it (a concurrent one waits
   * here until the holder commits).
   */
  async claimSubmission(db: Executor, formId: string, bodyHash: string, now: Date): Promise<boolean> {
    const row = await db
      .insertInto('web_form_submissions')
      .values({ form_ticket_id: formId, body_hash: bodyHash, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('form_ticket_id').doNothing())
      .returning('form_ticket_id')
      .executeTakeFirst();
    return row !== undefined;
  },

  async storeSubmission(db: Executor, formId: string, ticketId: string, answer: unknown, now: Date) {
    await db
      .updateTable('web_form_submissions')
      .set({ ticket_id: ticketId, answer: JSON.stringify(answer), updated_at: now })
      .where('form_ticket_id', '=', formId)
      .execute();
  },

  async submission(db: Executor, formId: string) {
    return db
      .selectFrom('web_form_submissions')
      .select(['ticket_id', 'body_hash', 'answer'])
      .where('form_ticket_id', '=', formId)
      .executeTakeFirst();
  },

  /** The newest `limit` questionnaires of a client. */
  async questionnairesOfClient(db: Executor, clientId: string, limit: number) {
    return db
      .selectFrom('client_questionnaires')
      .selectAll()
      .where('client_id', '=', clientId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  },
};
