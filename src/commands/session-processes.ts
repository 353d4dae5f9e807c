// The booking process and the cancellation process (spec/bot-and-jobs.md). They run inside the
// transaction of whatever changed the slot — our endpoints or /notify-update — and are idempotent per
// session and state: outbox dedupe keys carry the session id and its start, so running one twice
// writes nothing twice, and a rescheduled session gets messages of its own.
import type { Deps, Executor } from '../deps.ts';
import type { Client, Psychologist, Session, Ticket } from '../db/types.ts';
import { outboxRepository, type OutgoingMessage } from '../repositories/outbox.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { messages, sessionButtons, type SessionFacts } from '../texts/messages.ts';
import { isActive } from '../domain/session-state.ts';

/** What the messages about a session need to know of its client, psychologist and ticket. */
export interface SessionParties {
  session: Session;
  client: Pick<Client, 'id' | 'name' | 'age' | 'lead_number' | 'telegram_id'>;
  psychologist: Pick<Psychologist, 'name' | 'telegram_id'>;
  ticket: Pick<
    Ticket,
    'ticket_id' | 'status' | 'request_text' | 'preferences' | 'candidate_slot_ids' | 'matched_psychologists'
  >;
}

/** One query for the three parties of a session. */
export async function loadParties(trx: Executor, session: Session): Promise<SessionParties> {
  const row = await trx
    .selectFrom('hraniteli_tickets as t')
    .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
    .innerJoin('hraniteli_psychologists as p', (join) => join.on('p.id', '=', session.psychologist_id))
    .select([
      'c.id as client_id',
      'c.name as client_name',
      'c.age as client_age',
      'c.lead_number',
      'c.telegram_id as client_telegram_id',
      'p.name as psychologist_name',
      'p.telegram_id as psychologist_telegram_id',
      't.ticket_id',
      't.status',
      't.request_text',
      't.preferences',
      't.candidate_slot_ids',
      't.matched_psychologists',
    ])
    .where('t.ticket_id', '=', session.ticket_id)
    .executeTakeFirstOrThrow();
  return {
    session,
    client: {
      id: row.client_id,
      name: row.client_name,
      age: row.client_age,
      lead_number: row.lead_number,
      telegram_id: row.client_telegram_id,
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

/** Writes messages to the outbox in the caller's transaction. */
export async function notify(deps: Deps, trx: Executor, outgoing: OutgoingMessage[]): Promise<number[]> {
  return outboxRepository.enqueue(trx, outgoing, Boolean(deps.config.telegram.botToken), deps.clock.now());
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
 * After a slot became booked for `session` (or the session moved to another slot): video link,
 * notifications, planned reminders. `previousStart` marks a reschedule.
 */
export async function runBookingProcess(
  deps: Deps,
  trx: Executor,
  session: Session,
  previousStart?: Date,
): Promise<Session> {
  const now = deps.clock.now();
  let current = session;
  if (!current.meeting_link) {
    const meeting = await deps.video.create({
      sessionId: current.id,
      startAt: current.start_at,
      durationMinutes: current.duration_minutes,
    });
    current = await sessionsRepository.update(
      trx,
      current.id,
      { meeting_link: meeting.link, meeting_platform: meeting.platform, meeting_id: meeting.meetingId },
      now,
    );
  }
  await deps.sessionJobs.plan(trx, current);
  const parties = await loadParties(trx, current);
  const facts = factsOf(parties);
  const key = `booking:${current.id}:${current.start_at.toISOString()}`;
  const refs = { clientId: parties.client.id, ticketId: parties.ticket.ticket_id, sessionId: current.id };
  const lead = parties.client.lead_number;
  const clientText = previousStart
    ? messages.sessionRescheduledClient(facts)
    : current.status === 'confirmed'
      ? messages.sessionConfirmedClient(facts)
      : messages.sessionBookedClient(facts);
  const psychologistText = previousStart
    ? messages.sessionRescheduledPsychologist(facts, previousStart)
    : messages.sessionBookedPsychologist(facts, {
        name: parties.client.name,
        age: parties.client.age,
        request: parties.ticket.request_text,
      });
  const adminText = previousStart
    ? messages.sessionRescheduledAdmin(facts, lead, previousStart)
    : messages.sessionBookedAdmin(facts, lead, parties.ticket.ticket_id);
  await notify(deps, trx, [
    {
      dedupeKey: `${key}:client`,
      recipient: 'client',
      chatId: parties.client.telegram_id,
      text: clientText,
      ...(current.status === 'pending' ? { buttons: sessionButtons(current.id) } : {}),
      ...refs,
    },
    {
      dedupeKey: `${key}:psychologist`,
      recipient: 'psychologist',
      chatId: parties.psychologist.telegram_id,
      text: psychologistText,
      ...refs,
    },
    adminMessage(deps, `${key}:admin`, adminText, refs),
  ]);
  return current;
}

/**
 * Cancels an active session: status, slot back to free, ticket back to the queue, planned jobs
 * dropped, everyone told. A session that is no longer active is left alone (idempotent).
 */
export async function cancelActiveSession(
  deps: Deps,
  trx: Executor,
  session: Session,
  reason: string | null,
  cancelledBy: 'client' | 'psychologist' | 'operator' | 'slot_freed',
): Promise<Session> {
  if (!isActive(session.status)) return session;
  const now = deps.clock.now();
  const cancelled = await sessionsRepository.update(
    trx,
    session.id,
    { status: 'cancelled', cancellation_reason: reason, cancelled_by: cancelledBy, cancelled_at: now },
    now,
  );
  await trx
    .updateTable('hraniteli_slots')
    .set({ state: 'free', updated_at: now })
    .where('id', '=', session.slot_id)
    .where('state', '=', 'booked')
    .execute();
  await deps.sessionJobs.drop(trx, session.id);
  const parties = await loadParties(trx, cancelled);
  if (parties.ticket.status === 'booked') {
    await trx
      .updateTable('hraniteli_tickets')
      .set({
        status:
          parties.ticket.candidate_slot_ids.length || parties.ticket.matched_psychologists.length
            ? 'matched'
            : 'new',
        updated_at: now,
      })
      .where('ticket_id', '=', parties.ticket.ticket_id)
      .execute();
  }
  const facts = factsOf(parties);
  const key = `cancellation:${session.id}:${session.start_at.toISOString()}`;
  const refs = { clientId: parties.client.id, ticketId: parties.ticket.ticket_id, sessionId: session.id };
  await notify(deps, trx, [
    {
      dedupeKey: `${key}:client`,
      recipient: 'client',
      chatId: parties.client.telegram_id,
      text: messages.sessionCancelledClient(facts),
      ...refs,
    },
    {
      dedupeKey: `${key}:psychologist`,
      recipient: 'psychologist',
      chatId: parties.psychologist.telegram_id,
      text: messages.sessionCancelledPsychologist(facts, reason),
      ...refs,
    },
    adminMessage(
      deps,
      `${key}:admin`,
      messages.sessionCancelledAdmin(facts, parties.client.lead_number, reason),
      refs,
    ),
  ]);
  return cancelled;
}
