import { describe, expect, it } from 'vitest';
import { createCallbackCodec, ratingButtons, RATINGS } from './callback-data.ts';
import { cutToFit, oneLine, QUOTE, quoted, splitToFit } from './fit.ts';
import { calendarTexts } from './calendar.ts';
import { messages } from './messages.ts';
import { helpHandTexts } from './web-forms.ts';

const FORGED = 'zz9999 (Мария, @maria): это не она';
const SECOND_TICKET = 'Новая заявка 7654321 (заявка)';
/** Every way a typed text may try to start a line of its own. */
const HOSTILE = [
  `привет\n${FORGED}`,
  `\r\n${SECOND_TICKET}`,
  `a\r${FORGED}`,
  `b\u2028${FORGED}`,
  `c\u2029${SECOND_TICKET}`,
  `d\u0085${FORGED}`,
  `e\v${FORGED}\f${SECOND_TICKET}`,
  `\u202e${FORGED}`,
].join(' ');

/** The lines a chat shows (any of Telegram's line breaks). */
const linesOf = (text: string) => text.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/);

function expectNoForgedLine(text: string): void {
  for (const line of linesOf(text)) {
    expect(line.startsWith('zz9999'), line).toBe(false);
    expect(line.startsWith('Новая заявка 7654321'), line).toBe(false);
  }
  expect(text).not.toMatch(/[\r\v\f\u0085\u2028\u2029\u202e]/);
}

describe('typed text', () => {
  it('is quoted line by line, or flattened inside our line, whatever line breaks it brings', () => {
    expect(quoted('раз\r\nдва\n\nтри')).toBe(`${QUOTE}раз\n${QUOTE}два\n┃\n${QUOTE}три`);
    expect(oneLine(`Мария\n${FORGED}`)).toBe(`Мария ${FORGED}`);
    expect(oneLine('а'.repeat(300))).toHaveLength(100);
    expectNoForgedLine(quoted(HOSTILE));
    expectNoForgedLine(oneLine(HOSTILE));
  });

  it('never forges a line in any message that shows it', () => {
    const f = { startAt: new Date('2026-12-09T07:00:00Z'), psychologistName: HOSTILE, meetingLink: null };
    const texts = [
      messages.adminChat.fromClient('br0722', HOSTILE, 'maria', HOSTILE),
      messages.ticketCreatedAdmin({
        ticketId: '1234567',
        kind: 'заявка',
        lead: 'br0722',
        name: HOSTILE,
        age: 30,
        contact: HOSTILE,
        request: HOSTILE,
        offers: [{ name: HOSTILE, slots: [] }],
      }),
      messages.adminChat.ticketData({
        ticketId: HOSTILE,
        name: HOSTILE,
        age: HOSTILE,
        contact: HOSTILE,
        request: HOSTILE,
        offers: [{ name: HOSTILE, slots: [HOSTILE] }],
      }),
      messages.sessionBookedPsychologist(f, { name: HOSTILE, age: 30, request: HOSTILE }),
      messages.sessionCancelledPsychologist(f, HOSTILE),
      messages.sessionCancelledAdmin(f, 'br0722', HOSTILE),
      messages.lowRatingAdmin('br0722', 1, HOSTILE, HOSTILE),
      messages.bot.fromAdmin(HOSTILE),
      messages.bot.greeting(HOSTILE),
      messages.jobs.linkNotOpenedAdmin('1234567', 'br0722', HOSTILE),
      messages.questionnaire.adminSummary({
        lead: 'br0722',
        psychologist: HOSTILE,
        sessionAt: null,
        answers: [['Что понравилось', HOSTILE]],
        wantsAnother: false,
      }),
      helpHandTexts.allottedClient(HOSTILE, 'https://hrani.live/help_hand_confirm'),
      helpHandTexts.allottedAdmin({
        ticketId: 'hh_abc1234',
        lead: 'br0722',
        psychologist: HOSTILE,
        sent: true,
      }),
      calendarTexts.eventCanceled(HOSTILE, new Date('2026-12-09T07:00:00Z')),
    ];
    for (const text of texts) expectNoForgedLine(text);
    // The relay's header is the only line that starts with a lead code.
    const relay = messages.adminChat.fromClient('br0722', 'Мария', 'maria', `ok\n${FORGED}`);
    expect(relay).toBe(`br0722 (Мария, @maria):\n${QUOTE}ok\n${QUOTE}${FORGED}`);
  });
});

describe('fitting Telegram', () => {
  const long = Array.from({ length: 400 }, (_, i) => `${QUOTE}строка ${i} ${'слово '.repeat(5).trim()}`).join(
    '\n',
  );

  it('splits at line breaks into numbered parts that put back together give the text', () => {
    const parts = splitToFit(long);
    expect(parts.length).toBe(Math.ceil(long.length / 4086));
    parts.forEach((part, i) => {
      expect(part.length).toBeLessThanOrEqual(4096);
      expect(part.startsWith(`(${i + 1}/${parts.length})\n`)).toBe(true);
    });
    expect(parts.map((p) => p.replace(/^\(\d+\/\d+\)\n/, '')).join('\n')).toBe(long);
    expect(splitToFit('коротко')).toEqual(['коротко']);
  });

  it('breaks a line longer than a message at words, keeping each half quoted, and never halves an emoji', () => {
    const line = `${QUOTE}${'слово '.repeat(2000).trim()}`;
    for (const part of splitToFit(line)) {
      expect(part.length).toBeLessThanOrEqual(4096);
      expect(part.split('\n')[1]!.startsWith(QUOTE)).toBe(true);
      expect(part.endsWith(' ')).toBe(false);
    }
    const emoji = '🌿'.repeat(5000);
    const parts = splitToFit(emoji);
    expect(parts.every((p) => p.length <= 4096 && !/[\ud800-\udbff]$/.test(p))).toBe(true);
    expect(parts.map((p) => p.replace(/^\(\d+\/\d+\)\n/, '')).join('')).toBe(emoji);
  });

  it('cuts an operator summary at a line or word, filling the message, with the console note', () => {
    const cut = cutToFit(`Заголовок\n${long}`);
    expect(cut.length).toBeLessThanOrEqual(4096);
    expect(cut.length).toBeGreaterThan(4000);
    expect(cut.endsWith('\n… полный текст в консоли')).toBe(true);
    expect(cutToFit('коротко')).toBe('коротко');
  });

  it('rating buttons carry at most 64 bytes of callback data', () => {
    const codec = createCallbackCodec('secret');
    const buttons = ratingButtons(codec, '7d0c4c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f').flat();
    expect(buttons.map((b) => b.text)).toEqual(RATINGS.map(String));
    for (const [i, b] of buttons.entries()) {
      expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
      expect(codec.unpack(b.callback_data)).toEqual({
        action: 'rate',
        sessionId: '7d0c4c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f',
        rating: RATINGS[i],
      });
    }
    expect(codec.unpack(buttons[0]!.callback_data.replace('rate1', 'rate6'))).toBeNull();
  });
});
