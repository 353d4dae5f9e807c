// Captures everything the service logs, so tests can prove no personal value reaches the logs.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.ts';

export function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('debug', stream), lines, text: () => lines.join('') };
}
