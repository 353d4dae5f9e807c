// The scheduled and delayed jobs (spec/bot-and-jobs.md). Each is a sweep over business rows that are
// due at the injected `now`; the cron (Moscow time) and the wake-ups at due times only decide when a
// sweep runs, never what it does.

export const JOB_SCHEDULES = {
  /** Admin alert when a ticket's bot link was not opened within 2 minutes. */
  'check-link-transition': '* * * * *',
  /** Helping-hand tickets: ask the client at 7 and 14 days, alert the operators at 21. */
  'confirm-help-hand': '0 * * * *',
  /** number_of_clients_provided of every psychologist. */
  'update-sessions-count': '0 21 * * *',
  /** Reminders 2 hours before a session. */
  'session-reminders': '0 * * * *',
  /** Feedback requests an hour after a session; sessions whose end passed are completed or missed. */
  'feedback-reminders': '0 * * * *',
  /** The 5-day and 3-week follow-ups: the psychologist's free times, with buttons. */
  'client-followups': '0 * * * *',
  /** Sessions left without a video link get one. */
  'meeting-links': '*/10 * * * *',
  /** Old outbox texts redacted, spent codes and old dedupe rows deleted. */
  retention: '30 3 * * *',
} as const;

export type JobName = keyof typeof JOB_SCHEDULES;
export const JOB_NAMES = Object.keys(JOB_SCHEDULES) as JobName[];
export const JOB_TIME_ZONE = 'Europe/Moscow';

export const isJobName = (name: string): name is JobName => Object.hasOwn(JOB_SCHEDULES, name);
