// The operators' view of the jobs: GET /admin/jobs (schedule, last run and result, next run) and
// POST /admin/jobs/:name/run (runs a job's sweep now and returns its summary).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CronExpressionParser } from 'cron-parser';
import { Type } from 'typebox';
import { jobRuns, runJob } from '../../../commands/run-job.ts';
import { isJobName, JOB_NAMES, JOB_SCHEDULES, JOB_TIME_ZONE, type JobName } from '../../../domain/jobs.ts';
import { AppError } from '../../../errors.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const When = Nullable(Type.String({ format: 'date-time' }));

const JobView = Type.Object({
  name: Type.String(),
  schedule: Type.String({ description: 'cron, Moscow time' }),
  time_zone: Type.String(),
  last_started_at: When,
  last_finished_at: When,
  last_status: Nullable(Type.String()),
  last_result: Type.Unknown(),
  last_error: Nullable(Type.String()),
  runs: Type.Integer(),
  failures: Type.Integer(),
  next_run_at: Type.String({ format: 'date-time' }),
});

function nextRun(name: JobName, now: Date): string {
  return CronExpressionParser.parse(JOB_SCHEDULES[name], { currentDate: now, tz: JOB_TIME_ZONE })
    .next()
    .toDate()
    .toISOString();
}

export async function jobRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.get(
    '/admin/jobs',
    {
      schema: {
        summary: 'Each job: schedule, last run and result, next run',
        response: { 200: Type.Object({ jobs: Type.Array(JobView, { maxItems: JOB_NAMES.length }) }) },
      },
    },
    async (request) => {
      const runs = new Map((await jobRuns(deps, request.actor)).map((r) => [r.name, r]));
      const now = deps.clock.now();
      return {
        jobs: JOB_NAMES.map((name) => {
          const run = runs.get(name);
          return {
            name,
            schedule: JOB_SCHEDULES[name],
            time_zone: JOB_TIME_ZONE,
            last_started_at: run?.last_started_at?.toISOString() ?? null,
            last_finished_at: run?.last_finished_at?.toISOString() ?? null,
            last_status: run?.last_status ?? null,
            last_result: run?.last_result ?? null,
            last_error: run?.last_error ?? null,
            runs: run?.runs ?? 0,
            failures: run?.failures ?? 0,
            next_run_at: nextRun(name, now),
          };
        }),
      };
    },
  );

  app.post(
    '/admin/jobs/:name/run',
    {
      schema: {
        summary: 'Runs a job now and returns its summary',
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            job: Type.String(),
            status: Type.Union([Type.Literal('ok'), Type.Literal('failed')]),
            result: Type.Unknown(),
          }),
        },
      },
    },
    async (request) => {
      const name = request.params.name;
      if (!isJobName(name)) {
        throw new AppError('route_not_found', `no job "${name}"; jobs: ${JOB_NAMES.join(', ')}`);
      }
      try {
        return {
          success: true as const,
          job: name,
          status: 'ok' as const,
          result: await runJob(deps, request.actor, name),
        };
      } catch (error) {
        if (error instanceof AppError) throw error;
        // The failure is recorded in job_runs (and shown by GET /admin/jobs); the run itself was asked for.
        return { success: true as const, job: name, status: 'failed' as const, result: null };
      }
    },
  );
}
