// The booking process and the cancellation process (spec/bot-and-jobs.md). They run inside the
// transaction of whatever changed the slot — our endpoints or /notify-update — and are idempotent per
// session and state: outbox dedupe keys carry the session id and its start, so running one twice
// writes nothing twice, and a rescheduled session gets messages of its own. The video link is made
// after the commit (attach-meeting-link.ts); the client's and psychologist's booking messages carry it,
// so they are written with the link.
import type { Deps, Executor } from '../deps.ts';
import type { Client, Psychologist, Session, Ticket } from '../db/types.ts';
import { outboxRepository, type OutgoingMessage } from '../repositories/outbox.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { sessionButtons } from '../texts/callback-data.ts';
import { messages, type SessionFacts } from '../texts/messages.ts';
import { splitToFit } from '../texts/fit.ts';
import { feedbackDueAt, reminderDueAt } from '../domain/due-times.ts';
import { isActive, type CancelledBy } from '../domain/vocabulary.ts';
import type { EventLog } from '../effects/events.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { refreshClientsProvided } from './refresh-clients-provided.ts';

/** What the messages about a session need to know of its client, psychologist and ticket. */
export interface SessionParties {
  session: Session;
  client: Pick<
    Client,
    'id' | 'name' | 'age' | 'lead_number' | 'telegram_id' | 'telegram_username' | 'phone' | 'email'
  >;
  psychologist: Pick<Psychologist, 'name' | 'telegram_id'>;
  ticket: Pick<
    Ticket,
    'ticket_id' | 'status' | 'request_text' | 'preferences' | 'candidate_slot_ids' | 'matched_psychologists'
  >;
}

/** One query for the three parties of a session. */
export async function loadParties(trx: Executor, session: Session): Promise<SessionParties> {
  return partiesOf(session, await sessionsRepository.parties(trx, session));
}

/** One query for the parties of many sessions, in the order of `sessions`. */
export async function loadPartiesOfSessions(trx: Executor, sessions: Session[]): Promise<SessionParties[]> {
  const rows = await sessionsRepository.partiesOfSessions(
    trx,
    sessions.map((s) => s.id),
  );
  const bySession = new Map(rows.map((row) => [row.session_id, row]));
  return sessions.map((session) => {
    const row = bySession.get(session.id);
    if (!row) throw new Error('a session has no parties');
    return partiesOf(session, row);
  });
}

type PartiesRow = Awaited<ReturnType<typeof sessionsRepository.parties>>;

function partiesOf(session: Session, row: PartiesRow): SessionParties {
  return {
    session,
    client: {
      id: row.client_id,
      name: row.client_name,
      age: row.client_age,
      lead_number: row.lead_number,
      telegram_id: row.client_telegram_id,
      telegram_username: row.client_telegram_username,
      phone: row.client_phone,
      email: row.client_email,
    },
    psychologist: { name: row.psychologist_name, telegram_id: row.psychologist_telegram_id },
    ticket: {
      ticket_id: row.ticket_id,
      status: row.status,
      request_text: row.request_text,
      preferences: row.preferences,
      candidate_slot_ids: row.candidate_slot_ids,
      matched_psychologists: row.matched_psychologists,
    },
  };
}

function clientOffset(ticket: SessionParties['ticket']): number | null {
  const prefs = ticket.preferences as { userTimeOffsetMsk?: unknown } | null;
  const value = Number(prefs?.userTimeOffsetMsk);
  return Number.isFinite(value) ? value : null;
}

export function factsOf(p: SessionParties): SessionFacts {
  return {
    startAt: p.session.start_at,
    psychologistName: p.psychologist.name,
    meetingLink: p.session.meeting_link,
    clientOffsetHours: clientOffset(p.ticket),
  };
}

/**
 * Writes messages to the outbox in the caller's transaction. A text longer than Telegram takes becomes
 * numbered parts, one row each (dedupe key + "#1", "#2" …, buttons under the last), written in order so
 * its chat receives them in order; the ids of all rows are returned.
 */
export async function notify(deps: Deps, trx: Executor, outgoing: OutgoingMessage[]): Promise<number[]> {
  return outboxRepository.enqueue(
    trx,
    outgoing.flatMap(inParts),
    Boolean(deps.config.telegram.botToken),
    deps.clock.now(),
  );
}

function inParts(message: OutgoingMessage): OutgoingMessage[] {
  const parts = splitToFit(message.text);
  if (parts.length === 1) return [message];
  const { buttons, ...rest } = message;
  return parts.map((text, i) => ({
    ...rest,
    text,
    dedupeKey: `${message.dedupeKey}#${i + 1}`,
    ...(i === parts.length - 1 && buttons ? { buttons } : {}),
  }));
}

export function adminMessage(
  deps: Deps,
  dedupeKey: string,
  text: string,
  refs: Partial<OutgoingMessage> = {},
): OutgoingMessage {
  return { dedupeKey, recipient: 'admin', chatId: deps.config.telegram.adminChatId ?? null, text, ...refs };
}

/**
 * The operators' message about a new ticket. It waits in the digest lane: a minute with one new ticket
 * sends it as it is, a busier minute sends one digest (src/commands/new-ticket-digest.ts).
 */
export function newTicketMessage(
  deps: Deps,
  ticketId: string,
  text: string,
  refs: Partial<OutgoingMessage> = {},
): OutgoingMessage {
  return adminMessage(deps, `ticket-created:${ticketId}`, text, { ticketId, ...refs, lane: 'digest' });
}

/**
 * After a slot became booked for `session` (or the session moved to another slot): due times of its
 * reminder and feedback request, the operators' line, and — once the session has its video link — the
 * client's and psychologist's messages. `previousStart` marks a reschedule. A caller that has read the
 * session's parties already passes them instead of the session.
 */
export async function runBookingProcess(
  deps: Deps,
  trx: Executor,
  events: EventLog,
  booked: Session | SessionParties,
  previousStart?: Date,
): Promise<Session> {
  const session = 'session' in booked ? booked.session : booked;
  const remindAt = reminderDueAt(session);
  const feedbackAt = feedbackDueAt(session);
  if (
    session.remind_at?.getTime() !== remindAt.getTime() ||
    session.feedback_due_at?.getTime() !== feedbackAt.getTime()
  ) {
    await sessionsRepository.setDueTimes(trx, session.id, remindAt, feedbackAt);
  }
  const start = session.start_at.toISOString();
  events.record({
    type: 'job-due',
    job: 'session-reminders',
    at: remindAt,
    key: `remind:${session.id}:${start}`,
  });
  events.record({
    type: 'job-due',
    job: 'feedback-reminders',
    at: feedbackAt,
    key: `feedback:${session.id}:${start}`,
  });
  events.record({ type: 'slots-changed' });
  const parties = 'session' in booked ? booked : await loadParties(trx, session);
  const facts = factsOf(parties);
  const lead = parties.client.lead_number;
  const adminText = previousStart
    ? messages.sessionRescheduledAdmin(facts, lead, previousStart)
    : messages.sessionBookedAdmin(facts, lead, parties.ticket.ticket_id);
  const admin = adminMessage(deps, `${bookingKey(session)}:admin`, adminText, refsOf(parties));
  // A session that has its link already (made without a call out) tells everybody at once.
  if (session.meeting_link)
    await notify(deps, trx, [admin, ...bookingMessages(deps, parties, previousStart)]);
  else {
    await notify(deps, trx, [admin]);
    events.record({
      type: 'session-needs-link',
      sessionId: session.id,
      startAt: session.start_at,
      previousStart: previousStart ?? null,
    });
  }
  return session;
}

const bookingKey = (session: Session) => `booking:${session.id}:${session.start_at.toISOString()}`;

const refsOf = (parties: SessionParties) => ({
  clientId: parties.client.id,
  ticketId: parties.ticket.ticket_id,
  sessionId: parties.session.id,
});

/** Writes the client's and psychologist's messages about a booking or a move, with the video link. */
export async function writeBookingMessages(
  deps: Deps,
  trx: Executor,
  parties: SessionParties,
  previousStart?: Date,
): Promise<void> {
  await notify(deps, trx, bookingMessages(deps, parties, previousStart));
}

/** The client's and psychologist's messages about a booking or a move, with the video link. */
function bookingMessages(deps: Deps, parties: SessionParties, previousStart?: Date): OutgoingMessage[] {
  const session = parties.session;
  const facts = factsOf(parties);
  const key = bookingKey(session);
  const clientText = previousStart
    ? messages.sessionRescheduledClient(facts)
    : session.status === 'confirmed'
      ? messages.sessionConfirmedClient(facts)
      : messages.sessionBookedClient(facts);
  const psychologistText = previousStart
    ? messages.sessionRescheduledPsychologist(facts, previousStart)
    : messages.sessionBookedPsychologist(facts, {
        name: parties.client.name,
        age: parties.client.age,
        request: parties.ticket.request_text,
      });
  return [
    {
      dedupeKey: `${key}:client`,
      recipient: 'client',
      chatId: parties.client.telegram_id,
      text: clientText,
      ...(session.status === 'pending' ? { buttons: sessionButtons(deps.callbacks, session.id) } : {}),
      ...refsOf(parties),
    },
    {
      dedupeKey: `${key}:psychologist`,
      recipient: 'psychologist',
      chatId: parties.psychologist.telegram_id,
      text: psychologistText,
      ...refsOf(parties),
    },
  ];
}

/**
 * Cancels an active session: status, slot back to free, ticket back to the queue, planned jobs
 * dropped, everyone told. A session that is no longer active is left alone (idempotent).
 */
export async function cancelActiveSession(
  deps: Deps,
  trx: Executor,
  events: EventLog,
  session: Session,
  reason: string | null,
  cancelledBy: CancelledBy,
): Promise<Session> {
  if (!isActive(session.status)) return session;
  const now = deps.clock.now();
  const cancelled = await sessionsRepository.update(
    trx,
    session.id,
    { status: 'cancelled', cancellation_reason: reason, cancelled_by: cancelledBy, cancelled_at: now },
    now,
  );
  await slotsRepository.release(trx, session.slot_id, now);
  await sessionsRepository.clearDueTimes(trx, session.id);
  events.record({ type: 'slots-changed' });
  releaseMeeting(events, session);
  const parties = await loadParties(trx, cancelled);
  if (parties.ticket.status === 'booked') {
    const hasCandidates =
      parties.ticket.candidate_slot_ids.length > 0 || parties.ticket.matched_psychologists.length > 0;
    await ticketsRepository.update(
      trx,
      parties.ticket.ticket_id,
      { status: hasCandidates ? 'matched' : 'new' },
      now,
    );
  }
  const facts = factsOf(parties);
  const key = `cancellation:${session.id}:${session.start_at.toISOString()}`;
  await notify(deps, trx, [
    {
      dedupeKey: `${key}:client`,
      recipient: 'client',
      chatId: parties.client.telegram_id,
      text: messages.sessionCancelledClient(facts),
      ...refsOf(parties),
    },
    {
      dedupeKey: `${key}:psychologist`,
      recipient: 'psychologist',
      chatId: parties.psychologist.telegram_id,
      text: messages.sessionCancelledPsychologist(facts, reason),
      ...refsOf(parties),
    },
    adminMessage(
      deps,
      `${key}:admin`,
      messages.sessionCancelledAdmin(facts, parties.client.lead_number, reason),
      refsOf(parties),
    ),
  ]);
  return cancelled;
}

/** After the commit, the session's video meeting (if it has one) is deleted at its provider. */
export function releaseMeeting(events: EventLog, session: Session): void {
  if (!session.meeting_id || !session.meeting_platform) return;
  events.record({
    type: 'meeting-released',
    meeting: {
      platform: session.meeting_platform,
      meetingId: session.meeting_id,
      host: session.meeting_host,
    },
  });
}

/**
 * A session that took place (`completed`) or not (`missed`): the ticket of a booked session is closed
 * and the psychologist's count of clients this month refreshed. The slot stays booked (the time was used).
 */
export async function recordOutcome(
  trx: Executor,
  session: Session,
  status: 'completed' | 'missed',
  now: Date,
): Promise<Session> {
  const updated = await sessionsRepository.update(
    trx,
    session.id,
    status === 'completed'
      ? { status, completed_at: now, missed_at: null }
      : { status, missed_at: now, completed_at: null },
    now,
  );
  await ticketsRepository.closeIfBooked(trx, session.ticket_id, now);
  await refreshClientsProvided(trx, session.psychologist_id, now);
  return updated;
}
