// POST /generate-conference-link: the video link of a session (made now if it has none, and stored with
// the messages that carry it), or a free-standing link for a time. A session keeps one meeting per start:
// asking again returns the same link.
import type { Deps } from '../deps.ts';
import type { Session } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { isActive } from '../domain/vocabulary.ts';
import { AppError, badRequest, conflict, notFound } from '../errors.ts';
import { isPlatform, type Platform } from '../integrations/video.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { attachMeetingLink } from './attach-meeting-link.ts';

export interface ConferenceLinkInput {
  sessionId?: string;
  /** The ticket's active session. */
  ticketId?: string;
  /** A time: with `psychologist`, that psychologist's session then (if any), else a free-standing link. */
  start?: Date;
  durationMinutes?: number;
  /** A psychologist's id or name. */
  psychologist?: string;
}

export interface ConferenceLink {
  link: string;
  platform: Platform;
  meetingId: string;
  /** The session the link is stored on (none for a free-standing link). */
  sessionId: string | null;
}

/** How often a session whose link someone else is making is looked at again. */
const POLL_MS = 100;

const unavailable = () =>
  new AppError('video_unavailable', 'no video link could be made just now, try again shortly');

export async function generateConferenceLink(
  deps: Deps,
  actor: Actor,
  input: ConferenceLinkInput,
): Promise<ConferenceLink> {
  requireService(actor);
  const session = await sessionOf(deps, input);
  if (!session) {
    if (!input.start) throw badRequest('session_id', 'give session_id, ticket_id or start');
    const request = { startAt: input.start, durationMinutes: input.durationMinutes ?? 60 };
    const meeting = await deps.video.create(request).catch(() => {
      throw unavailable();
    });
    return { link: meeting.link, platform: meeting.platform, meetingId: meeting.meetingId, sessionId: null };
  }
  // Make the link unless the session has one; when another runner is making it right now (it holds
  // the claim), wait for it — within the time the whole provider chain may take.
  const deadline = Date.now() + 3 * deps.config.videoTimeoutMs + 1_000;
  for (;;) {
    const current = await sessionsRepository.findById(deps.db, session.id);
    if (!current || !isActive(current.status))
      throw conflict('session_not_active', 'the session is not active');
    if (current.meeting_link && current.meeting_id && isPlatform(current.meeting_platform)) {
      return {
        link: current.meeting_link,
        platform: current.meeting_platform,
        meetingId: current.meeting_id,
        sessionId: current.id,
      };
    }
    if (Date.now() >= deadline) throw unavailable();
    const input = { sessionId: current.id, startAt: current.start_at, previousStart: null };
    const made = await attachMeetingLink(deps, input).catch(() => {
      throw unavailable();
    });
    if (!made) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function sessionOf(deps: Deps, input: ConferenceLinkInput): Promise<Session | undefined> {
  if (input.sessionId) {
    const session = await sessionsRepository.findById(deps.db, input.sessionId);
    if (!session) throw notFound('session');
    return session;
  }
  if (input.ticketId) {
    if (!(await ticketsRepository.find(deps.db, input.ticketId))) throw notFound('ticket');
    const session = await sessionsRepository.activeOfTicket(deps.db, input.ticketId);
    if (!session) throw conflict('no_active_session', `у заявки ${input.ticketId} нет активной сессии`);
    return session;
  }
  if (input.start && input.psychologist) {
    const psychologist = await psychologistsRepository.findByIdOrName(deps.db, input.psychologist);
    if (!psychologist) throw notFound('psychologist', 'психолог не найден');
    return sessionsRepository.activeOfPsychologistAt(deps.db, psychologist.id, input.start);
  }
  return undefined;
}
