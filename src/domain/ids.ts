// Identifiers people see: ticket ids, helping-hand ids and lead numbers (SPEC §3).
// All are random (not guessable from the previous one); uniqueness is the database's job and the
// callers retry on a collision.
import { createHash, randomBytes, randomInt } from 'node:crypto';

export const TICKET_ID_PATTERN = /^(\d{7}|hh_[a-z0-9]{7})$/;
export const LEAD_NUMBER_PATTERN = /^[a-z]{2}\d{4}$/;
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A 7-digit ticket id; never starts with 0 so that spreadsheets keep it intact. */
export function newTicketId(): string {
  return String(randomInt(1_000_000, 10_000_000));
}

export function newHelpHandTicketId(): string {
  return `hh_${pick(ALPHANUMERIC, 7)}`;
}

/**
 * The `ticket_id` of a /help_hand_confirm link: 144 random bits, URL-safe, `hh_` + 24 characters (a form
 * id's shape, as the page and the bot's deep link need, but longer than any form id or ticket id).
 */
export const HELP_HAND_LINK_PATTERN = /^hh_[A-Za-z0-9_-]{24}$/;

export function newHelpHandLink(): string {
  return `hh_${randomBytes(18).toString('base64url')}`;
}

/** What is stored of a confirm link: its SHA-256, so the database alone never opens a ticket. */
export function helpHandLinkHash(link: string): string {
  return createHash('sha256').update(link).digest('hex');
}

export function newLeadNumber(): string {
  return `${pick(LETTERS, 2)}${String(randomInt(0, 10_000)).padStart(4, '0')}`;
}

/** Runs `attempt` with fresh ids until it does not collide (the attempt returns null on a collision). */
export async function withFreshId<T>(
  make: () => string,
  attempt: (id: string) => Promise<T | null>,
): Promise<T> {
  for (let i = 0; i < 20; i++) {
    const result = await attempt(make());
    if (result !== null) return result;
  }
  throw new Error('could not find a free identifier after 20 attempts');
}

/** A research row's database id (`baserowId`): random, so a (row number, id) pair cannot be guessed. */
export function newResearchRowId(): number {
  return randomInt(1_000_000, 2 ** 47);
}
