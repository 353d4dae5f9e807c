// The psychologists' events calendar as /calendar?secret= uses it (spec/web-form.md A, C.6): the five
// calls a calendar token opens for its one psychologist — the events of the coming weeks, their own
// slots, their name, joining an event and leaving it. A registration is a booked slot of the
// psychologist at the event's time, so no client can book them then; the event row's lock serializes
// joins, so registrations never exceed max_participants.
import type { Deps } from '../deps.ts';
import type { CalendarEvent } from '../db/types.ts';
import {
  eventStart,
  eventsWindow,
  MAX_CALENDAR_DAYS,
  moscowYmd,
  sameHash,
  SECRET_PATTERN,
  secretHash,
} from '../domain/calendar.ts';
import { normalizeName } from '../domain/names.ts';
import { formatTime, parseYmd, partsAt } from '../domain/time.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.ts';
import { calendarRepository } from '../repositories/calendar.repository.ts';
import { MAX_PAGE, MAX_SLOTS } from '../domain/limits.ts';
import { inTransaction } from './transaction.ts';

/** The one answer to an empty, malformed, unknown or revoked token, whatever the reason. */
export const invalidSecret = () =>
  new AppError('invalid_secret', 'the calendar link is not valid: ask the operators for a new one', [
    { field: 'secret', message: 'is not a valid calendar token' },
  ]);

export interface CalendarPsychologist {
  id: string;
  name: string;
}

/** The psychologist a token names; invalid_secret for any token that names none. */
export async function psychologistOfSecret(
  deps: Deps,
  secret: string | undefined,
): Promise<CalendarPsychologist> {
  if (!secret || !SECRET_PATTERN.test(secret)) throw invalidSecret();
  const hash = secretHash(secret);
  const found = await calendarRepository.psychologistBySecretHash(deps.db, hash);
  if (!found || !sameHash(found.secret_hash, hash)) throw invalidSecret();
  return { id: found.id, name: found.name };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "Фамилия Имя" in any order, case and spacing: the page's own comparison (C.6.2). */
const nameKey = (name: string) => normalizeName(name).split(' ').sort().join(' ');

/** True when the psychologist is among the event's comma-separated organizers. */
export function isOrganizer(event: Pick<CalendarEvent, 'organizator_name'>, name: string): boolean {
  const key = nameKey(name);
  return (event.organizator_name ?? '').split(',').some((n) => n.trim() !== '' && nameKey(n) === key);
}

/** An event as get-all-events lists it (and the admin routes show it, with `registered` false). */
export function presentEvent(
  event: CalendarEvent,
  view: { registered: boolean; organizer: boolean; titles?: Set<string> },
) {
  const insider = view.registered || view.organizer;
  return {
    id: event.id,
    title: event.title,
    event_type: event.event_type,
    event_modal_type: event.event_modal_type,
    description: event.description,
    organizator_type: event.organizator_type,
    organizator_name: event.organizator_name,
    organizator_link: event.organizator_link,
    max_participants: event.max_participants,
    current_participants: event.current_participants,
    date: moscowYmd(event.start_at),
    time: formatTime(event.start_at),
    duration_minutes: event.duration_minutes,
    next_event:
      event.next_event !== null && (view.titles === undefined || view.titles.has(event.next_event))
        ? event.next_event
        : null,
    is_canceled: event.is_canceled,
    is_published: event.is_published,
    event_link: insider ? event.event_link : null,
    event_folder: insider ? event.event_folder : null,
    repeat_period: event.repeat_period,
    last_planed_date: event.last_planed_date,
    root_event: event.root_event,
    allow_connect: event.allow_connect,
    is_registered: view.registered,
  };
}

/** GET /get-all-events: the published events of the page's four weeks, as a bare array. */
export async function calendarEvents(deps: Deps, secret: string | undefined) {
  const me = await psychologistOfSecret(deps, secret);
  const { from, to } = eventsWindow(deps.clock.now());
  const events = await calendarRepository.list(deps.db, { from, to }, MAX_PAGE, 'published');
  const registered = await calendarRepository.registeredEventIds(
    deps.db,
    me.id,
    events.map((e) => e.id),
  );
  const titles = new Set(events.map((e) => e.title));
  return events.map((event) =>
    presentEvent(event, {
      registered: registered.has(event.id),
      organizer: isOrganizer(event, me.name),
      titles,
    }),
  );
}

const DAY_MS = 86_400_000;

/** GET /get-slot: the psychologist's own slots between two dates, grouped by day and "HH:MM". */
export async function calendarSlots(
  deps: Deps,
  input: { secret?: string; startDate: string; endDate: string },
) {
  const me = await psychologistOfSecret(deps, input.secret);
  const from = parseYmd(input.startDate);
  if (!from) throw badRequest('startDate', 'must be a real date YYYY-MM-DD');
  const last = parseYmd(input.endDate);
  if (!last) throw badRequest('endDate', 'must be a real date YYYY-MM-DD');
  if (last < from) throw badRequest('endDate', 'must not be before startDate');
  if ((last.getTime() - from.getTime()) / DAY_MS >= MAX_CALENDAR_DAYS)
    throw badRequest('endDate', `must be within ${MAX_CALENDAR_DAYS} days of startDate`);
  const rows = await calendarRepository.slotsOf(
    deps.db,
    me.id,
    from,
    new Date(last.getTime() + DAY_MS),
    MAX_SLOTS,
  );
  const days = new Map<
    string,
    { date: string; pretty_date: string; day_name: string; slots: Record<string, CalendarSlotOut[]> }
  >();
  for (const row of rows) {
    const p = partsAt(row.start_at);
    const date = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
    let day = days.get(date);
    if (!day) {
      day = { date, pretty_date: `${pad(p.day)}.${pad(p.month)}`, day_name: p.weekday, slots: {} };
      days.set(date, day);
    }
    (day.slots[`${pad(p.hour)}:${pad(p.minute)}`] ??= []).push({
      id: row.id,
      status: row.state === 'free' ? 'Свободен' : 'Забронирован',
      event: row.event,
      event_modal_type: row.event_modal_type,
      slot_over_event: row.over_event,
    });
  }
  return [{ date: input.startDate, items: [...days.values()] }];
}

export interface CalendarSlotOut {
  id: string;
  status: 'Свободен' | 'Забронирован';
  event: string | null;
  event_modal_type: string | null;
  slot_over_event: boolean;
}

/** GET /get-psycho: the token's psychologist by name, as /cards names them. */
export async function calendarPsychologist(deps: Deps, secret: string | undefined) {
  const me = await psychologistOfSecret(deps, secret);
  return [{ psychologist: me.name }];
}

/** The moment of a page's date and time (Moscow). */
function eventMoment(date: string, time: string): Date {
  const start = eventStart(date, time);
  if (start === 'date') throw badRequest('date', 'must be a real date YYYY-MM-DD');
  if (start === 'time') throw badRequest('time', 'must be HH:MM');
  return start;
}

/**
 * POST /join-to-event: registers the psychologist to the event named by date, time and title. The event
 * row is locked first, so concurrent joins count one after another; then the psychologist's slot at that
 * time is taken (a free one) or made (none). Joining again answers the same slot.
 */
export async function joinEvent(
  deps: Deps,
  input: { secret?: string; date: string; time: string; title: string },
): Promise<{ success: true; id: string }> {
  const me = await psychologistOfSecret(deps, input.secret);
  const startAt = eventMoment(input.date, input.time);
  return inTransaction(deps, async (trx, events) => {
    const now = deps.clock.now();
    const event = await calendarRepository.lockEventAt(trx, startAt, input.title);
    if (!event || !event.is_published) throw notFound('event', 'мероприятие не найдено');
    const existing = await calendarRepository.registration(trx, event.id, me.id);
    if (existing) return { success: true as const, id: existing.slot_id };
    if (event.is_canceled) throw conflict('event_canceled', 'мероприятие отменено');
    if (event.start_at <= now) throw conflict('event_started', 'мероприятие уже началось');
    if (!event.allow_connect || event.current_participants >= event.max_participants)
      throw conflict('event_full', 'мест на мероприятии нет');
    const end = new Date(event.start_at.getTime() + event.duration_minutes * 60_000);
    if (await calendarRepository.hasSessionDuring(trx, me.id, event.start_at, end))
      throw conflict('slot_busy', 'в это время у вас сессия с клиентом');
    const slot = await calendarRepository.lockSlotAt(trx, me.id, event.start_at);
    let slotId: string;
    let slotCreated: boolean;
    if (slot) {
      if (slot.state !== 'free') throw conflict('slot_busy', 'это время у вас уже занято');
      await calendarRepository.setSlotState(trx, slot.id, 'booked', now);
      slotId = slot.id;
      slotCreated = false;
    } else {
      const made = await calendarRepository.insertBookedSlot(
        trx,
        me.id,
        event.start_at,
        event.duration_minutes,
        now,
      );
      if (!made) throw conflict('slot_busy', 'это время у вас уже занято');
      slotId = made;
      slotCreated = true;
    }
    await calendarRepository.insertRegistration(
      trx,
      { eventId: event.id, psychologistId: me.id, slotId, slotCreated },
      now,
    );
    await calendarRepository.addParticipants(trx, event.id, 1, now);
    events.record({ type: 'slots-changed' });
    return { success: true as const, id: slotId };
  });
}

/**
 * GET /cancel-slot: leaves the event the psychologist's slot holds. The slot is freed, or removed when it
 * was made for the registration. A slot already left (or removed) answers success again; another
 * psychologist's slot is refused, and so is a slot holding a client session.
 */
export async function leaveEvent(
  deps: Deps,
  input: { secret?: string; slotId: string },
): Promise<{ success: true }> {
  const me = await psychologistOfSecret(deps, input.secret);
  return inTransaction(deps, async (trx, events) => {
    const now = deps.clock.now();
    const seen = await calendarRepository.registrationOfSlot(trx, input.slotId);
    if (!seen) {
      const slot = await calendarRepository.slotOwner(trx, input.slotId);
      if (!slot) return { success: true as const };
      if (slot.psychologist_id !== me.id) throw forbidden('this slot belongs to another psychologist');
      if (await calendarRepository.slotHasSession(trx, slot.id))
        throw conflict('slot_busy', 'это сессия с клиентом: её отменяют не здесь');
      return { success: true as const };
    }
    if (seen.psychologist_id !== me.id) throw forbidden('this slot belongs to another psychologist');
    // The event first, then the registration: the same order as a join, so the two never deadlock.
    const event = await calendarRepository.findEvent(trx, seen.event_id, true);
    const registration = await calendarRepository.registrationOfSlot(trx, input.slotId, true);
    if (!event || !registration) return { success: true as const };
    if (event.start_at <= now) throw conflict('event_started', 'мероприятие уже началось');
    await calendarRepository.deleteRegistration(trx, event.id, me.id);
    if (registration.slot_created) await calendarRepository.deleteSlot(trx, registration.slot_id);
    else await calendarRepository.setSlotState(trx, registration.slot_id, 'free', now);
    await calendarRepository.addParticipants(trx, event.id, -1, now);
    events.record({ type: 'slots-changed' });
    return { success: true as const };
  });
}
