// Query-string helpers of the operator lists: day bounds and the lists' cursors.
import { badRequest } from '../../../errors.ts';
import { DAY_MS, parseYmd } from '../../../domain/time.ts';

/** The start of a YYYY-MM-DD day (Moscow), or of the day after it for an inclusive upper bound. */
export function dayBound(value: string | undefined, field: string, endOfDay = false): Date | undefined {
  if (!value) return undefined;
  const day = parseYmd(value);
  if (!day) throw badRequest(field, 'must be a real date YYYY-MM-DD');
  return endOfDay ? new Date(day.getTime() + DAY_MS) : day;
}

/** The position after a listed ticket: opaque to callers, who only hand it back. */
export function encodeCursor(createdAt: Date, ticketId: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${ticketId}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; ticketId: string } {
  const [iso, ticketId] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!ticketId || Number.isNaN(createdAt.getTime()))
    throw badRequest('cursor', 'is not a cursor this API returned');
  return { createdAt, ticketId };
}

/** The position after a listed psychologist (names are unique): opaque to callers. */
export function encodeNameCursor(name: string): string {
  return Buffer.from(`n|${name}`).toString('base64url');
}

export function decodeNameCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('n|') || text.length < 3)
    throw badRequest('cursor', 'is not a cursor this API returned');
  return text.slice(2);
}
