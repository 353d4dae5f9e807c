// The helping hand after its form (spec/web-form.md A): an operator allots a helping-hand psychologist and
// the client gets a personal link to /help_hand_confirm through the bot; that page asks whether it may offer
// times, shows the allotted psychologist's free ones and books the chosen one through the one booking command.
// The link's `ticket_id` is a capability made at the allotment (144 random bits, stored as a hash, replaced
// by the next allotment): the form's own id is made by the browser from a few random characters and
// travels in the bot's deep link and in analytics, so anonymous callers of these pages are answered only by
// the link. The service key may name the ticket by any of its ids.
import type { Deps, Executor } from '../deps.ts';
import type { Psychologist, Ticket } from '../db/types.ts';
import type { Actor } from '../domain/access.ts';
import { helpHandLinkHash, newHelpHandLink } from '../domain/ids.ts';
import { normalizeName } from '../domain/names.ts';
import { formatDate, formatTime, parseSlotTime, parseYmd } from '../domain/time.ts';
import { AppError, badRequest, conflict, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { isUuid, psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { helpHandTexts, webFormTexts } from '../texts/web-forms.ts';
import { bookSlot } from './book-slot.ts';
import { adminMessage, notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';
import { webSchedule, type ScheduleAnswer } from './web-schedule.ts';

/** Why the confirm page may not offer times (check-allotment's `reason`). */
export type AllotmentRefusal = 'not_help_hand' | 'closed' | 'no_psychologist' | 'already_booked';

/** The prices a helping-hand client may name (web-form.md A, register-ticket-for-help-hand). */
export const HELP_HAND_PRICES = ['free', '300', '500', '1000', '1500', '2000', '3000'] as const;

/** The confirm page offers only times at least this far ahead (it hides nearer ones itself). */
const CONFIRM_LEAD_MINUTES = 24 * 60;

interface Allotment {
  ticket: Ticket;
  psychologist: Psychologist | undefined;
  reason: AllotmentRefusal | null;
}

export interface AllotmentAnswer {
  success: true;
  is_allowed: boolean;
  reason: AllotmentRefusal | null;
  psychologist: string | null;
}

export interface HelpHandBooking {
  success: true;
  ticket_id: string;
  form_ticket_id: string | null;
  booked: true;
  session: { date: string; time: string; psychologist: string; slot_id: string };
  bot_link: string | null;
}

/** The answer to a link that names nothing: the page reads `is_allowed` whatever the status. */
const unknownTicket = () =>
  new AppError(
    'ticket_not_found',
    'заявка не найдена',
    [],
    {},
    {
      is_allowed: false,
      reason: 'unknown_ticket',
      psychologist: null,
    },
  );

const notAllowed = (reason: AllotmentRefusal | 'other_psychologist') =>
  new AppError(
    'help_hand_not_allowed',
    `выбор времени по этой ссылке недоступен: ${reason}`,
    [],
    {},
    {
      is_allowed: false,
      reason,
    },
  );

/** The ticket a confirm-page request names: anonymous callers only by its current link. */
async function namedTicket(deps: Deps, actor: Actor, ref: string): Promise<Ticket> {
  const ticket =
    actor.kind === 'service'
      ? await ticketsRepository.findByRef(deps.db, ref)
      : await ticketsRepository.findByHelpHandLink(deps.db, ref);
  if (!ticket) throw unknownTicket();
  return ticket;
}

/** Whether the page may offer times, and why not. */
async function allotmentOf(db: Executor, ticket: Ticket): Promise<Allotment> {
  const psychologist = ticket.psychologist_id
    ? await psychologistsRepository.findById(db, ticket.psychologist_id)
    : undefined;
  const refuse = (reason: AllotmentRefusal): Allotment => ({ ticket, psychologist, reason });
  if (ticket.type !== 'help_hand') return refuse('not_help_hand');
  if (ticket.status === 'closed' || ticket.status === 'cancelled') return refuse('closed');
  if (await sessionsRepository.activeOfTicket(db, ticket.ticket_id)) return refuse('already_booked');
  if (!psychologist || !psychologist.is_active || !psychologist.help_hand) return refuse('no_psychologist');
  return { ticket, psychologist, reason: null };
}

/** An allotment the page may use, for `utmPsy` (the page's psychologist) — else the refusal. */
function usable(allotment: Allotment, utmPsy: string | undefined): Psychologist {
  if (allotment.reason) throw notAllowed(allotment.reason);
  const psychologist = allotment.psychologist!;
  if (!utmPsy || normalizeName(utmPsy) !== normalizeName(psychologist.name))
    throw notAllowed('other_psychologist');
  return psychologist;
}

/** GET /check-allotment-for-slot-confirmation. Nothing personal: the psychologist's name only. */
export async function checkAllotment(
  deps: Deps,
  actor: Actor,
  input: { ticketId: string | undefined },
): Promise<AllotmentAnswer> {
  if (!input.ticketId) throw unknownTicket();
  const { psychologist, reason } = await allotmentOf(deps.db, await namedTicket(deps, actor, input.ticketId));
  return { success: true, is_allowed: reason === null, reason, psychologist: psychologist?.name ?? null };
}

/** POST /get-agregated-schedule-helpful-hand: only the allotted psychologist's free times, a day ahead. */
export async function helpHandSchedule(
  deps: Deps,
  actor: Actor,
  input: { ticketId: string; utmPsy?: string; startDate?: string; endDate?: string; offsetHours: number },
): Promise<ScheduleAnswer> {
  for (const [field, value] of [
    ['startDate', input.startDate],
    ['endDate', input.endDate],
  ] as const)
    if (value && !parseYmd(value)) throw badRequest(field, 'must be a real date YYYY-MM-DD');
  const allotment = await allotmentOf(deps.db, await namedTicket(deps, actor, input.ticketId));
  const psychologist = usable(allotment, input.utmPsy);
  return webSchedule(deps, actor, {
    mode: 'matching',
    onlyName: psychologist.name,
    ...(input.startDate ? { startDate: input.startDate } : {}),
    ...(input.endDate ? { endDate: input.endDate } : {}),
    offsetHours: input.offsetHours,
    diagnoses: [],
    leadMinutes: Math.max(CONFIRM_LEAD_MINUTES, deps.config.minLeadMinutes),
  });
}

/**
 * POST /helpful-hand-zayavka-new: books the chosen slot of the allotted psychologist for the ticket's client
 * at the ticket's price. The same slot again answers the first booking; the slot taken meanwhile is a 409
 * that the operators' chat hears about (the page shows the person nothing).
 */
export async function bookHelpHandSlot(
  deps: Deps,
  actor: Actor,
  input: { ticketId: string; utmPsy?: string; slotId?: string; slotText?: string },
): Promise<HelpHandBooking> {
  const choice = chosenTime(deps, input);
  const ticket = await namedTicket(deps, actor, input.ticketId);
  const allotment = await allotmentOf(deps.db, ticket);
  const slot = await chosenSlot(deps, ticket, allotment.psychologist, choice);
  if (allotment.reason === 'already_booked') {
    const active = await sessionsRepository.activeOfTicket(deps.db, ticket.ticket_id);
    if (active && slot && active.slot_id === slot.id && allotment.psychologist)
      return bookingAnswer(ticket, allotment.psychologist, active);
    throw conflict('already_booked', 'по этой заявке время уже выбрано');
  }
  const psychologist = usable(allotment, input.utmPsy);
  if (!slot) throw notFound('slot', 'такого времени в расписании психолога нет');
  if (slot.psychologist_id !== psychologist.id)
    throw badRequest('slots_objects', 'the slot belongs to another psychologist');
  const price = ticket.price_session;
  try {
    const booked = await inTransaction(deps, async (trx, events) => {
      const booking = await bookSlot(deps, trx, events, {
        slotId: slot.id,
        clientId: ticket.client_id,
        psychologistId: psychologist.id,
        ticketId: ticket.ticket_id,
        kind: 'regular',
        ...(price
          ? {
              payment:
                price === 'free'
                  ? { amount: 0, status: 'completed' }
                  : { amount: Number(price), status: 'pending' },
            }
          : {}),
      });
      // The ticket as locked by the booking: an allotment made meanwhile replaced the link this came by.
      if (booking.ticket.help_hand_link_hash !== ticket.help_hand_link_hash) throw unknownTicket();
      return booking;
    });
    return bookingAnswer(ticket, psychologist, booked.session);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.code === 'ticket_has_active_session')
      throw conflict('already_booked', 'по этой заявке время уже выбрано');
    if (error.code === 'slot_taken') await tellOperatorsSlotTaken(deps, ticket, psychologist, slot.start_at);
    throw error;
  }
}

/** The time the page chose, checked before anything is looked up: a slot id, or a Moscow time. */
function chosenTime(
  deps: Deps,
  input: { slotId?: string; slotText?: string },
): { slotId: string } | { startAt: Date } {
  if (input.slotId) {
    if (!isUuid(input.slotId)) throw badRequest('slots_objects', 'must hold a slot id');
    return { slotId: input.slotId };
  }
  if (!input.slotText)
    throw badRequest('slots_objects', 'choose a time: a slot id, or slots[0] as "d.M HH:mm"');
  const startAt = parseSlotTime(input.slotText, deps.clock.now());
  if (!startAt) throw badRequest('slots', 'must be a time as "d.M HH:mm" (Moscow)');
  return { startAt };
}

/** The slot the page chose: `slots_objects[0]` (an id), else `utm_psy` + `slots[0]` ("d.M HH:mm", Moscow). */
async function chosenSlot(
  deps: Deps,
  ticket: Ticket,
  psychologist: Psychologist | undefined,
  choice: { slotId: string } | { startAt: Date },
) {
  if ('slotId' in choice) return slotsRepository.findById(deps.db, choice.slotId);
  const owner = psychologist?.id ?? ticket.psychologist_id;
  return owner ? slotsRepository.findByPsychologistAndStart(deps.db, owner, choice.startAt) : undefined;
}

function bookingAnswer(
  ticket: Ticket,
  psychologist: Psychologist,
  session: { start_at: Date; slot_id: string },
): HelpHandBooking {
  return {
    success: true,
    ticket_id: ticket.ticket_id,
    form_ticket_id: ticket.form_ticket_id,
    booked: true,
    session: {
      date: formatDate(session.start_at),
      time: formatTime(session.start_at),
      psychologist: psychologist.name,
      slot_id: session.slot_id,
    },
    bot_link: ticket.bot_link,
  };
}

async function tellOperatorsSlotTaken(deps: Deps, ticket: Ticket, psychologist: Psychologist, startAt: Date) {
  const client = await clientsRepository.findById(deps.db, ticket.client_id);
  await inTransaction(deps, (trx) =>
    notify(deps, trx, [
      adminMessage(
        deps,
        `help-hand-slot-taken:${ticket.ticket_id}:${startAt.toISOString()}`,
        webFormTexts.slotNotBookedAdmin({
          ticketId: ticket.ticket_id,
          lead: client?.lead_number ?? '—',
          psychologist: psychologist.name,
          startAt,
          slotText: null,
          reason: 'slot_taken',
        }),
        { clientId: ticket.client_id, ticketId: ticket.ticket_id },
      ),
    ]),
  );
}

/**
 * An operator allots `psychologist` to a helping-hand ticket (inside moveTicket's transaction, the ticket
 * locked): a fresh confirm link replaces the previous one, the client gets it through the bot (when their
 * chat is proven), the operators' chat is told. Returns the ticket's new columns and the link.
 */
export async function allotHelpHand(
  deps: Deps,
  trx: Executor,
  ticket: Ticket,
  psychologist: Psychologist,
): Promise<{ values: { help_hand_link_hash: string; help_hand_allotted_at: Date }; url: string }> {
  if (!psychologist.help_hand || !psychologist.is_active)
    throw badRequest('psychologist', 'must be an active helping-hand psychologist (help_hand: true)');
  if (ticket.status === 'closed' || ticket.status === 'cancelled')
    throw conflict('ticket_closed', `заявка ${ticket.ticket_id} уже в статусе ${ticket.status}`);
  if (await sessionsRepository.activeOfTicket(trx, ticket.ticket_id))
    throw conflict('ticket_has_active_session', 'у заявки уже есть активная сессия: сначала отмените её');
  const link = newHelpHandLink();
  const hash = helpHandLinkHash(link);
  const query = new URLSearchParams({ ticket_id: link, utm_psy: psychologist.name });
  if (ticket.price_session) query.set('price_session', ticket.price_session);
  const url = `${deps.config.webBaseUrl}/help_hand_confirm?${query.toString()}`;
  const client = await clientsRepository.findById(trx, ticket.client_id);
  const chatId = client?.telegram_id ?? null;
  const refs = { clientId: ticket.client_id, ticketId: ticket.ticket_id };
  await notify(deps, trx, [
    {
      dedupeKey: `help-hand-link:${ticket.ticket_id}:${hash.slice(0, 16)}`,
      recipient: 'client',
      chatId,
      text: helpHandTexts.allottedClient(psychologist.name, url),
      ...refs,
    },
    adminMessage(
      deps,
      `help-hand-allotted:${ticket.ticket_id}:${hash.slice(0, 16)}`,
      helpHandTexts.allottedAdmin({
        ticketId: ticket.ticket_id,
        lead: client?.lead_number ?? '—',
        psychologist: psychologist.name,
        sent: chatId !== null,
      }),
      refs,
    ),
  ]);
  return { values: { help_hand_link_hash: hash, help_hand_allotted_at: deps.clock.now() }, url };
}

/** A helping-hand price as the form names it: `categoryType` ("Бесплатно", "1000 руб"), or a bare value. */
export function helpHandPrice(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const text = String(value).trim().toLowerCase();
    if (text === 'free' || text === 'бесплатно') return 'free';
    const digits = /^(\d{3,4})(\s*(руб\.?|₽))?$/.exec(text)?.[1];
    if (digits && (HELP_HAND_PRICES as readonly string[]).includes(digits)) return digits;
  }
  return undefined;
}
