// The one codec for inline-button data: the keyboard packs it, the bot's handler unpacks and verifies
// it. Telegram hands callback data back as the client sent it, so it is signed: a forged or altered
// button does nothing. Data stays within Telegram's 64 bytes: "<action>:<uuid>:<16-char tag>".
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a session's buttons do. Short names: Telegram's 64 bytes hold the action, a UUID and the tag.
 * `cx*` cancel with a reason (time does not suit / changed my mind / other), `keep` backs out of
 * cancelling; `held` and `noshow` are the psychologist's after the session.
 */
export const SESSION_ACTIONS = [
  'confirm',
  'reschedule',
  'cancel',
  'cxt',
  'cxm',
  'cxo',
  'keep',
  'held',
  'noshow',
] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

export interface SessionCallback {
  action: SessionAction;
  sessionId: string;
}

/** The helping-hand question «заявка ещё актуальна?»: yes or no, about one ticket. */
export const TICKET_ACTIONS = ['hhyes', 'hhno'] as const;
export type TicketAction = (typeof TICKET_ACTIONS)[number];
export interface TicketCallback {
  action: TicketAction;
  ticketId: string;
}

/** A free time offered as a button: book it (a new session), or move the active session there. */
export interface SlotCallback {
  action: 'book' | 'move';
  slotId: string;
}

/** The client's mark for a session that took place, 1 (did not help) to 5 (helped a lot). */
export const RATINGS = [1, 2, 3, 4, 5] as const;
export type Rating = (typeof RATINGS)[number];
export interface RatingCallback {
  action: 'rate';
  sessionId: string;
  rating: Rating;
}

export type Callback = SessionCallback | TicketCallback | SlotCallback | RatingCallback;

export interface CallbackCodec {
  pack(data: Callback): string;
  /** The button's meaning, or null for data that was not packed by us (forged, altered, unknown). */
  unpack(data: string): Callback | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TICKET = /^(\d{7}|hh_[a-z0-9]{7})$/;

const subjectOf = (data: Callback): string =>
  'sessionId' in data ? data.sessionId : 'ticketId' in data ? data.ticketId : data.slotId;
/** The action as packed: a rating carries its mark in it ("rate4"), keeping the data within 64 bytes. */
const actionOf = (data: Callback): string => (data.action === 'rate' ? `rate${data.rating}` : data.action);
const RATE = /^rate([1-5])$/;

function callbackOf(action: string, subject: string): Callback | null {
  const rate = RATE.exec(action);
  if (rate && UUID.test(subject))
    return { action: 'rate', sessionId: subject, rating: Number(rate[1]) as Rating };
  if ((SESSION_ACTIONS as readonly string[]).includes(action) && UUID.test(subject))
    return { action: action as SessionAction, sessionId: subject };
  if ((TICKET_ACTIONS as readonly string[]).includes(action) && TICKET.test(subject))
    return { action: action as TicketAction, ticketId: subject };
  if ((action === 'book' || action === 'move') && UUID.test(subject)) return { action, slotId: subject };
  return null;
}

export function createCallbackCodec(secret: string): CallbackCodec {
  const tag = (payload: string) =>
    createHmac('sha256', `callback-data:${secret}`).update(payload).digest('base64url').slice(0, 16);
  return {
    pack(data) {
      const payload = `${actionOf(data)}:${subjectOf(data)}`;
      return `${payload}:${tag(payload)}`;
    },
    unpack(data) {
      const [action, subject, given, ...rest] = data.split(':');
      if (rest.length || !action || !subject || !given) return null;
      const callback = callbackOf(action, subject);
      if (!callback) return null;
      const expected = Buffer.from(tag(`${action}:${subject}`));
      const presented = Buffer.from(given);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
      return callback;
    },
  };
}

/** The buttons under a booked session's message. */
export const sessionButtons = (codec: CallbackCodec, sessionId: string) => [
  [
    { text: 'Подтвердить', callback_data: codec.pack({ action: 'confirm', sessionId }) },
    { text: 'Перенести', callback_data: codec.pack({ action: 'reschedule', sessionId }) },
    { text: 'Отменить', callback_data: codec.pack({ action: 'cancel', sessionId }) },
  ],
];

/** The reasons offered after "Отменить", and the text each puts on the cancelled session. */
export const CANCEL_REASONS = {
  cxt: { button: 'Не подходит время', reason: 'не подходит время' },
  cxm: { button: 'Передумал(а)', reason: 'передумал(а)' },
  cxo: { button: 'Другая причина', reason: 'другая причина' },
} as const;
export type CancelReasonAction = keyof typeof CANCEL_REASONS;

/** The reason step of cancelling: one button per reason, and one to keep the session. */
export const cancelReasonButtons = (codec: CallbackCodec, sessionId: string) => [
  ...(Object.keys(CANCEL_REASONS) as CancelReasonAction[]).map((action) => [
    { text: CANCEL_REASONS[action].button, callback_data: codec.pack({ action, sessionId }) },
  ]),
  [{ text: 'Не отменять', callback_data: codec.pack({ action: 'keep', sessionId }) }],
];

/** The psychologist's buttons under a feedback request: the session took place, or the client did not come. */
export const attendanceButtons = (codec: CallbackCodec, sessionId: string) => [
  [
    { text: 'Состоялась', callback_data: codec.pack({ action: 'held', sessionId }) },
    { text: 'Не пришёл', callback_data: codec.pack({ action: 'noshow', sessionId }) },
  ],
];

/** 1–5 under the client's feedback request, in one row. */
export const ratingButtons = (codec: CallbackCodec, sessionId: string) => [
  RATINGS.map((rating) => ({
    text: String(rating),
    callback_data: codec.pack({ action: 'rate', sessionId, rating }),
  })),
];

/** «Да» / «Нет» under the helping-hand question. */
export const helpHandButtons = (codec: CallbackCodec, ticketId: string) => [
  [
    { text: 'Да, актуальна', callback_data: codec.pack({ action: 'hhyes', ticketId }) },
    { text: 'Нет', callback_data: codec.pack({ action: 'hhno', ticketId }) },
  ],
];

/** One button per offered free time (label: "DD.MM HH:mm"): a press books it, or with `move` moves the session there. */
export const slotButtons = (
  codec: CallbackCodec,
  slots: { id: string; label: string }[],
  action: SlotCallback['action'] = 'book',
) => slots.map((slot) => [{ text: slot.label, callback_data: codec.pack({ action, slotId: slot.id }) }]);
