// The seam between booking and the job system. Business rows carry their own due times (SPEC §5a):
// planning a session's jobs stores when its reminder and feedback request are due; the sweeps of the
// jobs issue find due rows whatever woke them. A wake-up hook lets the job system add prompt pg-boss
// triggers without the booking code knowing about pg-boss.
import type { Executor } from '../deps.ts';

const HOUR_MS = 60 * 60 * 1000;

export interface PlannedSession {
  id: string;
  start_at: Date;
  duration_minutes: number;
  remind_at?: Date | null;
  feedback_due_at?: Date | null;
}

export interface SessionJobPlanner {
  /** Stores the due times of a booked (or rescheduled) session's reminder and feedback request. */
  plan(trx: Executor, session: PlannedSession): Promise<void>;
  /** Drops whatever is still planned for a cancelled session. */
  drop(trx: Executor, sessionId: string): Promise<void>;
}

export function reminderDueAt(session: Pick<PlannedSession, 'start_at'>): Date {
  return new Date(session.start_at.getTime() - 2 * HOUR_MS);
}

export function feedbackDueAt(session: Pick<PlannedSession, 'start_at' | 'duration_minutes'>): Date {
  return new Date(session.start_at.getTime() + session.duration_minutes * 60_000 + HOUR_MS);
}

export function createSessionJobPlanner(onPlanned: (at: Date[]) => void = () => {}): SessionJobPlanner {
  return {
    async plan(trx, session) {
      const remindAt = reminderDueAt(session);
      const feedbackAt = feedbackDueAt(session);
      const alreadyStored =
        session.remind_at?.getTime() === remindAt.getTime() &&
        session.feedback_due_at?.getTime() === feedbackAt.getTime();
      if (alreadyStored) {
        onPlanned([remindAt, feedbackAt]);
        return;
      }
      await trx
        .updateTable('hraniteli_sessions')
        .set({ remind_at: remindAt, reminded_at: null, feedback_due_at: feedbackAt, feedback_asked_at: null })
        .where('id', '=', session.id)
        .execute();
      onPlanned([remindAt, feedbackAt]);
    },
    async drop(trx, sessionId) {
      await trx
        .updateTable('hraniteli_sessions')
        .set({ remind_at: null, feedback_due_at: null })
        .where('id', '=', sessionId)
        .execute();
    },
  };
}
