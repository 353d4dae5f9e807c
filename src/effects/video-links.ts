// The after-commit video work: make a booked or moved session's link, delete a meeting nobody needs any
// more. The request that committed waits for it only briefly — a hanging provider never holds up a
// booking or a cancellation; what is not done by then finishes on its own (and the meeting-links sweep
// catches whatever never finishes).
import type { Deps } from '../deps.ts';
import { attachMeetingLink } from '../commands/attach-meeting-link.ts';
import type { DomainEvent } from './events.ts';

/** How long the committing request waits for its video work before it answers. */
export const VIDEO_EFFECT_WAIT_MS = 600;

type EventOf<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;

export function linkSessionAfterCommit(deps: Deps, event: EventOf<'session-needs-link'>): Promise<void> {
  return waitAtMost(deps, event.type, attachMeetingLink(deps, event));
}

export function deleteMeetingAfterCommit(deps: Deps, event: EventOf<'meeting-released'>): Promise<void> {
  return waitAtMost(deps, event.type, deps.video.remove(event.meeting));
}

async function waitAtMost(deps: Deps, effect: string, work: Promise<unknown>): Promise<void> {
  const guarded = work.then(
    () => {},
    (error: unknown) => deps.log.error({ effect, err: { name: (error as Error).name } }, 'effect failed'),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, VIDEO_EFFECT_WAIT_MS);
  });
  await Promise.race([guarded, timeout]).finally(() => clearTimeout(timer));
}
