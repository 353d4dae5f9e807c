// What a committed transaction leaves to be done outside it. A command records events while its
// transaction runs; they are handled only after the commit (never for a rolled-back attempt), so no
// external call — a video provider, a cache, later the job system's wake-ups — runs while rows are locked.
import type { Logger } from 'pino';
import type { JobName } from '../domain/jobs.ts';

export type DomainEvent =
  /** Free slots may look different: listings must be rebuilt. */
  | { type: 'slots-changed' }
  /** A session was booked or moved and has no video link yet: make one, then tell the client and psychologist. */
  | { type: 'session-needs-link'; sessionId: string; startAt: Date; previousStart: Date | null }
  /** A session's video meeting is no longer needed (cancelled, or moved and to be made anew): delete it. */
  | { type: 'meeting-released'; meeting: { platform: string; meetingId: string; host: string | null } }
  /** A business row fell due at `at` for this job: wake the job then (the cron sweep is the backstop). */
  | { type: 'job-due'; job: JobName; at: Date; key: string };

export type EventType = DomainEvent['type'];
type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** The events one transaction recorded. */
export class EventLog {
  private readonly recorded: DomainEvent[] = [];

  record(event: DomainEvent): void {
    // A listing rebuild needed twice is needed once.
    if (event.type === 'slots-changed' && this.recorded.some((e) => e.type === 'slots-changed')) return;
    this.recorded.push(event);
  }

  get events(): readonly DomainEvent[] {
    return this.recorded;
  }
}

export type EffectHandlers = { [T in EventType]?: (event: EventOf<T>) => Promise<void> | void };

export interface Effects {
  /** Runs the handlers of committed events in order. A failing effect is logged, never thrown: the
   * change is committed, and each effect has a sweep that finds what was left undone. */
  run(events: readonly DomainEvent[]): Promise<void>;
}

export function createEffects(handlers: EffectHandlers, log: Logger): Effects {
  return {
    async run(events) {
      for (const event of events) {
        const handle = handlers[event.type] as ((e: DomainEvent) => Promise<void> | void) | undefined;
        if (!handle) continue;
        try {
          await handle(event);
        } catch (error) {
          log.error(
            { effect: event.type, err: { code: (error as { code?: string }).code } },
            'effect failed',
          );
        }
      }
    },
  };
}
