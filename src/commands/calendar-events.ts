// Operators manage the community's events (POST/PATCH/DELETE /admin/events, GET …/registrations). A
// description is stored only as sanitized HTML; an event is cancelled, never deleted, and cancelling
// frees every registered psychologist's slot and tells them through the bot.
import type { Deps } from '../deps.ts';
import type { CalendarEvent, CalendarEventsTable } from '../db/types.ts';
import type { Updateable } from 'kysely';
import { requireService, type Actor } from '../domain/access.ts';
import { eventStart, moscowYmd, type EventModalType } from '../domain/calendar.ts';
import { sanitizeHtml } from '../domain/html.ts';
import { MAX_PAGE } from '../domain/limits.ts';
import { formatTime, parseYmd } from '../domain/time.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { calendarRepository } from '../repositories/calendar.repository.ts';
import { calendarTexts } from '../texts/calendar.ts';
import { isUniqueViolation, inTransaction } from './transaction.ts';
import { notify } from './session-processes.ts';

/** What an operator may set on an event, named as get-all-events names the fields. */
export interface EventFields {
  title: string;
  event_type: string;
  event_modal_type: EventModalType;
  description?: string;
  organizator_type?: string | null;
  organizator_name?: string | null;
  organizator_link?: string | null;
  max_participants: number;
  date: string;
  time: string;
  duration_minutes?: number;
  next_event?: string | null;
  is_published?: boolean;
  event_link?: string | null;
  event_folder?: string | null;
  repeat_period?: string | null;
  last_planed_date?: string | null;
  root_event?: string | null;
  allow_connect?: boolean;
}

/** The moment of an operator's date and time (Moscow). */
function startOf(date: string, time: string): Date {
  const start = eventStart(date, time);
  if (start === 'date') throw badRequest('date', 'must be a real date YYYY-MM-DD');
  if (start === 'time') throw badRequest('time', 'must be HH:MM');
  return start;
}

function columnsOf(fields: Partial<EventFields>): Updateable<CalendarEventsTable> {
  const { date: _date, time: _time, description, last_planed_date, title, ...rest } = fields;
  const values: Updateable<CalendarEventsTable> = { ...rest };
  if (title !== undefined) values.title = title.trim();
  if (description !== undefined) values.description = sanitizeHtml(description);
  if (last_planed_date !== undefined) {
    if (last_planed_date !== null && !parseYmd(last_planed_date))
      throw badRequest('last_planed_date', 'must be a real date YYYY-MM-DD');
    values.last_planed_date = last_planed_date;
  }
  return values;
}

const duplicate = () =>
  conflict(
    'duplicate_event',
    'an event with this title at this date and time exists: the page tells them apart by title',
  );

async function checkRoot(deps: Deps, rootEvent: string | null | undefined): Promise<void> {
  if (rootEvent && !(await calendarRepository.findEvent(deps.db, rootEvent)))
    throw badRequest('root_event', 'names no event');
}

export async function createEvent(deps: Deps, actor: Actor, fields: EventFields): Promise<CalendarEvent> {
  requireService(actor);
  const startAt = startOf(fields.date, fields.time);
  await checkRoot(deps, fields.root_event);
  const now = deps.clock.now();
  try {
    return await calendarRepository.insertEvent(deps.db, {
      ...columnsOf(fields),
      title: fields.title.trim(),
      event_type: fields.event_type,
      event_modal_type: fields.event_modal_type,
      max_participants: fields.max_participants,
      start_at: startAt,
      created_at: now,
      updated_at: now,
    });
  } catch (error) {
    if (isUniqueViolation(error, 'calendar_events_title_at')) throw duplicate();
    throw error;
  }
}

export async function updateEvent(
  deps: Deps,
  actor: Actor,
  input: { id: string; changes: Partial<EventFields> },
): Promise<CalendarEvent> {
  requireService(actor);
  const { changes } = input;
  await checkRoot(deps, changes.root_event);
  if (changes.root_event === input.id) throw badRequest('root_event', 'must name another event');
  try {
    return await inTransaction(deps, async (trx) => {
      const event = await calendarRepository.findEvent(trx, input.id, true);
      if (!event) throw notFound('event', 'event not found');
      const values = columnsOf(changes);
      if (changes.date !== undefined || changes.time !== undefined) {
        const startAt = startOf(
          changes.date ?? moscowYmd(event.start_at),
          changes.time ?? formatTime(event.start_at),
        );
        if (startAt.getTime() !== event.start_at.getTime()) {
          // Registrations hold the psychologists' slots at the old time.
          if (event.current_participants > 0)
            throw conflict(
              'transition_not_allowed',
              'psychologists are registered: cancel this event and create a new one',
            );
          values.start_at = startAt;
        }
      }
      if (
        changes.duration_minutes !== undefined &&
        event.current_participants > 0 &&
        changes.duration_minutes !== event.duration_minutes
      )
        throw conflict(
          'transition_not_allowed',
          'psychologists are registered: the duration of their slots is fixed',
        );
      if (changes.max_participants !== undefined && changes.max_participants < event.current_participants)
        throw conflict(
          'transition_not_allowed',
          `${event.current_participants} psychologists are registered: max_participants cannot be lower`,
        );
      values.updated_at = deps.clock.now();
      return calendarRepository.updateEvent(trx, event.id, values);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'calendar_events_title_at')) throw duplicate();
    throw error;
  }
}

/**
 * DELETE /admin/events/:id: the event is cancelled (kept, shown as cancelled); every registration ends,
 * its slot freed (or removed when made for it), and each registered psychologist is told by the bot.
 */
export async function cancelEvent(
  deps: Deps,
  actor: Actor,
  id: string,
): Promise<{ event: CalendarEvent; released: number }> {
  requireService(actor);
  const result = await inTransaction(deps, async (trx, events) => {
    const now = deps.clock.now();
    const event = await calendarRepository.findEvent(trx, id, true);
    if (!event) throw notFound('event', 'event not found');
    const registrations = await calendarRepository.registrationsOf(trx, event.id, 100_000);
    for (const r of registrations) {
      await calendarRepository.deleteRegistration(trx, event.id, r.psychologist_id);
      if (r.slot_created) await calendarRepository.deleteSlot(trx, r.slot_id);
      else await calendarRepository.setSlotState(trx, r.slot_id, 'free', now);
    }
    if (registrations.length) events.record({ type: 'slots-changed' });
    await notify(
      deps,
      trx,
      registrations
        .filter((r) => r.telegram_id)
        .map((r) => ({
          dedupeKey: `event-canceled:${event.id}:${r.psychologist_id}`,
          recipient: 'psychologist' as const,
          chatId: r.telegram_id,
          text: calendarTexts.eventCanceled(event.title, event.start_at),
        })),
    );
    const canceled = await calendarRepository.updateEvent(trx, event.id, {
      is_canceled: true,
      current_participants: 0,
      updated_at: now,
    });
    return { event: canceled, released: registrations.length };
  });
  if (result.released) deps.outbox.wake();
  return result;
}

/** GET /admin/events/:id/registrations: who registered, earliest first. */
export async function eventRegistrations(deps: Deps, actor: Actor, id: string) {
  requireService(actor);
  const event = await calendarRepository.findEvent(deps.db, id);
  if (!event) throw notFound('event', 'event not found');
  const rows = await calendarRepository.registrationsOf(deps.db, id, MAX_PAGE);
  return {
    event,
    registrations: rows.map((r) => ({
      psychologist_id: r.psychologist_id,
      psychologist: r.psychologist,
      slot_id: r.slot_id,
      registered_at: r.created_at.toISOString(),
    })),
  };
}

/** GET /admin/events: every event in a range of days, cancelled and unpublished ones too. */
export async function listEvents(deps: Deps, actor: Actor, range: { from: Date; to: Date }) {
  requireService(actor);
  return calendarRepository.list(deps.db, range, MAX_PAGE, 'all');
}
