// The job system: pg-boss on the service's own database (PostgreSQL, or PGlite through the same
// single-session gateway as every other query). pg-boss gives the cron triggers (Moscow time) and
// the wake-ups at due times; what a job does is always a sweep over due rows (src/commands/run-job.ts),
// so a missed or doubled trigger changes nothing. With several instances each cron tick and each
// wake-up is taken by one of them; the sweeps' claims make the effects happen once anyway.
import { PgBoss } from 'pg-boss';
import type { Deps, JobWakeups } from '../deps.ts';
import { SERVICE } from '../domain/access.ts';
import { JOB_NAMES, JOB_SCHEDULES, JOB_TIME_ZONE, type JobName } from '../domain/jobs.ts';
import { runJob } from '../commands/run-job.ts';
import { outsideTransaction } from '../db/transaction-guard.ts';

export interface JobSystem extends JobWakeups {
  /** The cron schedules pg-boss keeps (one per job). */
  schedules(): Promise<{ name: string; cron: string; timezone: string }[]>;
  stop(): Promise<void>;
}

export interface JobSystemOptions {
  /** Run workers and cron (JOBS=on); off: this instance only plans wake-ups for the others. */
  work: boolean;
  /** How often an idle worker looks for due jobs (seconds). */
  pollingSeconds?: number;
}

/** Due wake-ups and cron ticks of one job worked by one sweep. */
const TRIGGERS_PER_SWEEP = 100;

const errorFields = (error: unknown) => ({
  name: (error as Error)?.name,
  code: (error as { code?: unknown })?.code,
});

export async function startJobs(deps: Deps, options: JobSystemOptions): Promise<JobSystem> {
  const boss = new PgBoss({
    db: { executeSql: (text, values) => deps.database.executeSql(text, values) },
    backend: deps.database.kind === 'pglite' ? 'pglite' : 'postgres',
    schema: 'pgboss',
    // An instance that does not work neither supervises nor runs the cron.
    supervise: options.work,
    schedule: options.work,
  });
  boss.on('error', (error) => deps.log.error({ err: errorFields(error) }, 'job system error'));
  await boss.start();
  for (const name of JOB_NAMES) {
    // Each failed run is retried with backoff (30 s, 1 min, 2 min … up to 15 min), five times.
    await boss.createQueue(name, { retryLimit: 5, retryDelay: 30, retryBackoff: true, retryDelayMax: 900 });
  }
  if (options.work) {
    for (const name of JOB_NAMES) {
      await boss.schedule(name, JOB_SCHEDULES[name], null, { tz: JOB_TIME_ZONE });
      // Every job is only a trigger for one sweep over everything due, so a fetch takes a batch of them and
      // runs the sweep once; while batches come back full it fetches again at once. One trigger per
      // poll would leave a backlog (1 000 sessions due at one moment, the wake-ups of a downtime) taking
      // a poll interval each, with later wake-ups queued behind them.
      await boss.work(
        name,
        {
          pollingIntervalSeconds: options.pollingSeconds ?? 2,
          batchSize: TRIGGERS_PER_SWEEP,
          burstWhenBatchFull: true,
        },
        async () => {
          await runJob(deps, SERVICE, name);
        },
      );
    }
  }
  return {
    wake(job: JobName, at: Date, key: string) {
      // Not awaited by whoever asks: planned on pg-boss's own statements, never as part of a transaction
      // that may be open where it was asked for (it waits for that commit on PGlite, which is fine).
      outsideTransaction(() =>
        boss
          .send(job, { key }, { startAfter: at, singletonKey: key })
          .catch((error: unknown) => deps.log.error({ err: errorFields(error), job }, 'wake-up not planned')),
      );
    },
    async schedules() {
      return (await boss.getSchedules()).map((s) => ({ name: s.name, cron: s.cron, timezone: s.timezone }));
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 5_000 });
    },
  };
}
