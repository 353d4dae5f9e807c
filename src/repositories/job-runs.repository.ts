// SQL for what each job did last: /admin/jobs shows it, /metrics counts it.
import type { Executor } from '../deps.ts';

export const jobRunsRepository = {
  async started(db: Executor, name: string, now: Date): Promise<void> {
    await db
      .insertInto('job_runs')
      .values({ name, last_started_at: now, last_status: 'running', created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ last_started_at: now, last_status: 'running', updated_at: now }),
      )
      .execute();
  },

  async finished(
    db: Executor,
    name: string,
    now: Date,
    outcome: { result: unknown } | { error: string },
  ): Promise<void> {
    const failed = 'error' in outcome;
    await db
      .updateTable('job_runs')
      .set((eb) => ({
        last_finished_at: now,
        last_status: failed ? 'failed' : 'ok',
        last_result: failed ? null : JSON.stringify(outcome.result),
        last_error: failed ? outcome.error : null,
        runs: eb('runs', '+', 1),
        failures: failed ? eb('failures', '+', 1) : eb.ref('failures'),
        updated_at: now,
      }))
      .where('name', '=', name)
      .execute();
  },

  async all(db: Executor) {
    return db.selectFrom('job_runs').selectAll().execute();
  },
};
