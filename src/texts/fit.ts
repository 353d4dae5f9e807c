// How a text fits Telegram, and how text a person typed is shown so it cannot pass for ours. Every
// message is plain text (no parse_mode): nothing typed can break markup, and the length Telegram
// counts is the length written here.
//
// Typed text that may span lines (requests, relayed messages, feedback, reasons) is quoted: each of
// its lines starts with QUOTE, a prefix no line of ours starts with. Typed text shown inside one of
// our lines (names, contacts) is flattened to one short line. Either way a typed
// "zz9999 (Мария, @maria): …" or "Новая заявка …" can never begin a line of its own.

/** Telegram refuses a longer message (counted in UTF-16 units, as JavaScript counts). */
export const MAX_MESSAGE_LENGTH = 4096;
/** Telegram refuses longer callback data under a button. */
export const MAX_CALLBACK_BYTES = 64;
/** Starts every line of quoted typed text; none of our own lines starts with it. */
export const QUOTE = '┃ ';
/** Ends an operator summary that was cut to fit: the whole text is in the console. */
export const CUT_NOTE = '\n… полный текст в консоли';

/** Everything a client may render as a line break. */
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;
/**
 * Control characters and the invisible marks that reorder or hide text (bidi overrides and isolates,
 * zero-width space, BOM): typed, they could make a quoted line look like it starts elsewhere. The
 * joiners (U+200C/U+200D) stay: emoji and some scripts need them.
 */
const HIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed here
  /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

function clean(typed: string): string {
  return typed.replace(HIDDEN, '').replace(/\t/g, ' ');
}

/** Typed text as quoted lines (see QUOTE); empty lines inside stay, as a bare quote mark. */
export function quoted(typed: string): string {
  const lines = clean(typed)
    .split(LINE_BREAK)
    .map((line) => line.trimEnd());
  while (lines.length && !lines[0]!.trim()) lines.shift();
  while (lines.length && !lines.at(-1)!.trim()) lines.pop();
  if (!lines.length) return `${QUOTE}—`;
  return lines.map((line) => (line ? QUOTE + line : QUOTE.trimEnd())).join('\n');
}

/** Typed text shown inside a line of ours: one line, spaces collapsed, at most `max` characters. */
export function oneLine(typed: string, max = 100): string {
  const flat = clean(typed).split(LINE_BREAK).join(' ').replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${safeSlice(flat, max - 1).trimEnd()}…`;
}

/** `oneLine` for a value that may be missing. */
export const oneLineOr = (typed: string | null | undefined, missing: string, max?: number): string => {
  const flat = typed ? oneLine(typed, max) : '';
  return flat || missing;
};

/** The first `length` UTF-16 units, one fewer when that would cut an emoji (a surrogate pair) in half. */
function safeSlice(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

/**
 * Pieces of at most `max` units: at line breaks where possible, else at the last space, else anywhere
 * (never inside a surrogate pair). A quoted line broken in two stays quoted in both halves, so a break
 * never lets typed text start a line unquoted.
 */
function pieces(text: string, max: number): string[] {
  const out: string[] = [];
  let current = '';
  const flush = () => {
    if (current) out.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    const prefix = line.startsWith(QUOTE) ? QUOTE : '';
    let rest = line;
    for (;;) {
      const room = current ? max - current.length - 1 : max;
      if (rest.length <= room) {
        current = current ? `${current}\n${rest}` : rest;
        break;
      }
      // A line that fits a piece of its own starts one rather than being broken.
      if (current && rest.length <= max) {
        flush();
        continue;
      }
      // Longer than any piece: broken at the last space within the room left, so the piece fills up.
      const space = room > prefix.length ? rest.lastIndexOf(' ', room) : -1;
      if (space <= prefix.length && current) {
        flush();
        continue;
      }
      const at = space > prefix.length ? space : safeSlice(rest, max).length;
      const piece = rest.slice(0, at).trimEnd();
      if (piece.length > prefix.length) current = current ? `${current}\n${piece}` : piece;
      flush();
      rest = prefix + rest.slice(at).trimStart();
    }
  }
  flush();
  return out;
}

/**
 * A text as Telegram messages: itself when it fits, else numbered parts "(1/3)" … in reading order,
 * each within the limit.
 */
export function splitToFit(text: string, max = MAX_MESSAGE_LENGTH): string[] {
  if (text.length <= max) return [text];
  // "(999/999)\n" is the longest number line.
  const parts = pieces(text, max - 10);
  return parts.map((part, i) => `(${i + 1}/${parts.length})\n${part}`);
}

/** An operator summary within one message: cut at a line or word, ending with CUT_NOTE when cut. */
export function cutToFit(text: string, max = MAX_MESSAGE_LENGTH): string {
  if (text.length <= max) return text;
  return pieces(text, max - CUT_NOTE.length)[0]! + CUT_NOTE;
}

/** Throws when a message would be refused by Telegram: a programming error, caught before the outbox. */
export function assertFitsTelegram(text: string, buttons: unknown): void {
  if (text.length > MAX_MESSAGE_LENGTH) throw new Error(`a message of ${text.length} characters`);
  // A reply keyboard (the "share my number" button, or removing it) carries no callback data.
  const rows = Array.isArray(buttons) ? (buttons as { callback_data?: string }[][]) : [];
  for (const row of rows) {
    for (const button of row) {
      if (button.callback_data !== undefined && Buffer.byteLength(button.callback_data) > MAX_CALLBACK_BYTES)
        throw new Error(`callback data of ${Buffer.byteLength(button.callback_data)} bytes`);
    }
  }
}
