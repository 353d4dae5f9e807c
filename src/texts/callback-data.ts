// The one codec for inline-button data: the keyboard packs it, the bot's handler unpacks and verifies
// it. Telegram hands callback data back as the client sent it, so it is signed: a forged or altered
// button does nothing. Data stays within Telegram's 64 bytes: "<action>:<uuid>:<16-char tag>".
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_ACTIONS = ['confirm', 'reschedule', 'cancel'] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

export interface SessionCallback {
  action: SessionAction;
  sessionId: string;
}

export interface CallbackCodec {
  pack(data: SessionCallback): string;
  /** The button's meaning, or null for data that was not packed by us (forged, altered, unknown). */
  unpack(data: string): SessionCallback | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createCallbackCodec(secret: string): CallbackCodec {
  const tag = (payload: string) =>
    createHmac('sha256', `callback-data:${secret}`).update(payload).digest('base64url').slice(0, 16);
  return {
    pack({ action, sessionId }) {
      const payload = `${action}:${sessionId}`;
      return `${payload}:${tag(payload)}`;
    },
    unpack(data) {
      const [action, sessionId, given, ...rest] = data.split(':');
      if (rest.length || !action || !sessionId || !given) return null;
      if (!(SESSION_ACTIONS as readonly string[]).includes(action) || !UUID.test(sessionId)) return null;
      const expected = Buffer.from(tag(`${action}:${sessionId}`));
      const presented = Buffer.from(given);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
      return { action: action as SessionAction, sessionId };
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
