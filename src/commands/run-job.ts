// Runs one job's sweep now — for pg-boss's workers (cron and wake-ups) and the operators'
// POST /admin/jobs/:name/run — and records what it did in job_runs.
import type { Deps } from '../deps.ts';
import { requireService, SERVICE, type Actor } from '../domain/access.ts';
import type { JobName } from '../domain/jobs.ts';
import { jobRunsRepository } from '../repositories/job-runs.repository.ts';
import { attachMissingMeetingLinks } from './attach-meeting-link.ts';
import { checkHelpHand } from './help-hand-checks.ts';
import { askDueFeedback } from './feedback-requests.ts';
import { checkDueLinks } from './link-checks.ts';
import { refreshAllClientsProvided } from './refresh-clients-provided.ts';
import { applyRetention } from './retention.ts';
import { sendDueReminders } from './session-reminders.ts';
import { sendDueFollowups } from './client-followups.ts';
import { SweepFailed } from './sweep.ts';

type Sweep = (deps: Deps, actor: Actor) => Promise<object>;

const SWEEPS: Record<JobName, Sweep> = {
  'check-link-transition': checkDueLinks,
  'confirm-help-hand': checkHelpHand,
  'update-sessions-count': refreshAllClientsProvided,
  'session-reminders': sendDueReminders,
  'feedback-reminders': askDueFeedback,
  'client-followups': sendDueFollowups,
  'meeting-links': async (deps) => ({ attached: await attachMissingMeetingLinks(deps) }),
  retention: applyRetention,
};

export interface JobRunListener {
  (name: JobName, outcome: 'ok' | 'failed'): void;
}

/** Runs the sweep; a failure is recorded and thrown again (pg-boss retries it with backoff). */
export async function runJob(
  deps: Deps,
  actor: Actor,
  name: JobName,
  onFinished?: JobRunListener,
): Promise<object> {
  requireService(actor);
  await jobRunsRepository.started(deps.db, name, deps.clock.now());
  try {
    const result = await SWEEPS[name](deps, SERVICE);
    await jobRunsRepository.finished(deps.db, name, deps.clock.now(), { result });
    onFinished?.(name, 'ok');
    return result;
  } catch (error) {
    // Database messages can quote values (personal data); only what kind of failure it was is kept.
    const code = (error as { code?: unknown }).code;
    const message =
      error instanceof SweepFailed
        ? error.message
        : `${error instanceof Error ? error.name : 'Error'}${typeof code === 'string' ? ` ${code}` : ''}`;
    await jobRunsRepository.finished(deps.db, name, deps.clock.now(), { error: message });
    onFinished?.(name, 'failed');
    throw error;
  }
}

/** What each job did last. */
export async function jobRuns(deps: Deps, actor: Actor) {
  requireService(actor);
  return jobRunsRepository.all(deps.db);
}
