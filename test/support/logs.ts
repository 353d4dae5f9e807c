// Captures everything the service logs, so tests can prove no personal value reaches the logs.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.ts';

/**
 * What personal data looks like in a log line (spec/quality.md: never in logs). Checked on every line
 * of every test app when it closes, so the whole suite is the test data.
 */
export const PERSONAL_DATA: { name: string; pattern: RegExp }[] = [
  { name: 'a phone number (+7 and 10 digits)', pattern: /\+7[\s-]?\d{3}[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2}/ },
  { name: 'a phone number (an 11-digit run)', pattern: /(?<![\w.-])\d{11}(?![\w-])/ },
  { name: 'an e-mail address', pattern: /[\w.%+-]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}/i },
  { name: 'a Telegram handle', pattern: /(?<![\w.@/])@[a-z][a-z0-9_]{3,31}\b/i },
  { name: 'Cyrillic text', pattern: /[А-Яа-яЁё]/ },
];

/** The message of a log line (never its content) and the kinds of personal data it holds. */
export function personalDataIn(lines: string[]): string[] {
  const found: string[] = [];
  for (const line of lines) {
    const kinds = PERSONAL_DATA.filter((p) => p.pattern.test(line)).map((p) => p.name);
    if (kinds.length === 0) continue;
    let message = '(not JSON)';
    try {
      message = String((JSON.parse(line) as { msg?: unknown }).msg);
    } catch {
      // the line is reported by its kinds only
    }
    found.push(`log line "${message}" holds ${kinds.join(', ')}`);
  }
  return found;
}

export function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: createLogger('debug', stream),
    lines,
    text: () => lines.join(''),
    personalData: () => personalDataIn(lines),
  };
}
