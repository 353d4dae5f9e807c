// Our side of "is this Zoom host free then": the sessions table. A host is taken for a session in a
// short transaction that locks the host's name, so two sessions at overlapping times being linked at once
// cannot both pick it; the Zoom provider asks this before it asks Zoom (src/integrations/zoom.ts).
import type { Deps } from '../deps.ts';
import type { ZoomHostCalendar } from '../integrations/zoom.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { inTransaction } from './transaction.ts';

export function sessionHostCalendar(deps: Deps): ZoomHostCalendar {
  return {
    async reserve(host, request) {
      const start = request.startAt;
      const end = new Date(start.getTime() + request.durationMinutes * 60_000);
      const now = deps.clock.now();
      const sessionId = request.sessionId;
      // A link not for a session (POST /generate-conference-link with a bare time) reserves nothing.
      if (!sessionId) {
        return (await sessionsRepository.meetingHostBusy(deps.db, host, start, end, now))
          ? 'busy'
          : 'reserved';
      }
      return inTransaction(deps, async (trx) => {
        await sessionsRepository.lockMeetingHost(trx, host);
        if (await sessionsRepository.meetingHostBusy(trx, host, start, end, now, sessionId)) return 'busy';
        return (await sessionsRepository.reserveMeetingHost(trx, sessionId, start, host))
          ? 'reserved'
          : 'gone';
      });
    },
  };
}
