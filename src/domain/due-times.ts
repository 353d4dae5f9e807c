// When a session's jobs fall due (SPEC §5a): the reminder two hours before the start, the feedback
// request an hour after the end. Stored on the session row; the sweeps find what is due.

const HOUR_MS = 60 * 60 * 1000;

export function reminderDueAt(session: { start_at: Date }): Date {
  return new Date(session.start_at.getTime() - 2 * HOUR_MS);
}

export function feedbackDueAt(session: { start_at: Date; duration_minutes: number }): Date {
  return new Date(session.start_at.getTime() + session.duration_minutes * 60_000 + HOUR_MS);
}
