// The JSON logger. Personal data never goes here: request lines carry the path without its query,
// and the error handler logs codes and messages of our own, not payloads.
import pino, { type DestinationStream, type Logger } from 'pino';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hraniteli' },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]'], remove: true },
    },
    destination,
  );
}
