// One error shape for every failure (SPEC §3): existing clients read `message`, new ones `error`.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorDetail, type ErrorKind } from '../errors.ts';
import { DECIMAL_DIGITS, NOT_BLANK } from './schemas.ts';

/** The HTTP status of each kind of action error. */
const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  timeout: 408,
  conflict: 409,
  too_large: 413,
  too_long_url: 414,
  unsupported_media: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

export const statusOf = (error: AppError): number => STATUS[error.kind];

export function errorBody(statusCode: number, type: string, message: string, details: unknown[] = []) {
  return { success: false as const, message, error: { code: statusCode, type, message, details } };
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldOf(issue: AjvIssue): string {
  const path = issue.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
    path.push(issue.params.missingProperty);
  }
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string') {
    path.push(issue.params.additionalProperty);
  }
  return path.join('.') || '(body)';
}

function describe(issue: AjvIssue): string {
  if (issue.keyword === 'required') return 'is required';
  if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues)) {
    return `must be one of: ${issue.params.allowedValues.join(', ')}`;
  }
  if (issue.keyword === 'additionalProperties') return 'is not a known field';
  if (issue.keyword === 'pattern' && issue.params.pattern === NOT_BLANK) return 'must not be blank';
  if (issue.keyword === DECIMAL_DIGITS) return 'must be a whole number in decimal digits';
  return issue.message ?? 'is invalid';
}

/** Turns Fastify/Ajv validation output into our 400 with every offending field named. */
export function validationError(issues: AjvIssue[]): AppError {
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    // anyOf/oneOf wrappers repeat what their branches said; the branch messages are the useful ones.
    if (issue.keyword === 'anyOf' || issue.keyword === 'oneOf' || issue.keyword === 'if') continue;
    const detail = { field: fieldOf(issue), message: describe(issue) };
    const key = `${detail.field}|${detail.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      details.push(detail);
    }
  }
  if (details.length === 0) details.push({ field: '(body)', message: 'is invalid' });
  const message = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return new AppError('validation_error', message, details);
}

const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
]);

function isDatabaseDown(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code && (DATABASE_DOWN_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection.*(closed|ended)|PGlite is closed|pool after calling end/i.test(
    e.message ?? '',
  );
}

/**
 * The request stream ended before the whole request arrived: the client hung up, or the server cut a
 * request that took too long (see clientErrorHandler). Its error carries ECONNRESET, the same code as a
 * dropped database connection, so this is told apart first, by the request rather than the code.
 */
function requestCutShort(request: FastifyRequest): boolean {
  const raw = request.raw;
  return !raw.complete && (raw.destroyed || raw.socket?.destroyed === true);
}

/**
 * Answers what Node rejects before a route runs — a request that outlived REQUEST_TIMEOUT_MS, malformed
 * HTTP — in the service's error shape (Fastify's default writes a shape of its own).
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, type, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'request_timeout', 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'bad_request', 'the request headers are too large']
        : [400, 'Bad Request', 'bad_request', 'the request is not valid HTTP'];
  this.log.debug({ err: { code: error.code } }, 'client error');
  // An answer already under way cannot be replaced by a second one on the same connection.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify(errorBody(status, type, message));
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    let failure: AppError;
    if (requestCutShort(request)) {
      // Nobody is left to read an answer; not a failure of the service either.
      request.log.info({ path: request.url.split('?')[0] }, 'the client closed the connection mid-request');
      failure = new AppError('bad_request', 'the request ended before its body arrived');
    } else if (error instanceof AppError) {
      failure = error;
    } else if ((error as FastifyError).validation) {
      failure = validationError((error as FastifyError).validation as unknown as AjvIssue[]);
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      failure = new AppError('payload_too_large', 'the request body is larger than 1 MiB');
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
      failure = new AppError(
        'unsupported_media_type',
        'send application/json (forms may send x-www-form-urlencoded)',
      );
    } else if (error.statusCode === 429) {
      failure = new AppError('rate_limited', 'too many requests, try again later');
    } else if (isDatabaseDown(error)) {
      request.log.error({ err: { code: (error as { code?: string }).code } }, 'database unavailable');
      failure = new AppError(
        'database_unavailable',
        'the service is temporarily unavailable, try again shortly',
        [],
        {
          'retry-after': '5',
        },
      );
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own client errors: malformed JSON, an empty JSON body, a bad content length …
      const message = error.message.replace(/^Body /, 'body ');
      failure = new AppError(error.statusCode === 408 ? 'request_timeout' : 'bad_request', message, [
        { field: '(body)', message },
      ]);
    } else {
      // Database errors quote the offending input ("invalid input syntax for type uuid: \"…\""), which may be
      // personal: quoted values are cut from what is logged.
      const redact = (text: string | undefined) => text?.replace(/"[^"]*"/g, '"…"');
      request.log.error(
        { err: { message: redact(error.message), stack: redact(error.stack), code: error.code } },
        'unhandled error',
      );
      failure = new AppError(
        'internal_error',
        'something went wrong on our side; the request was not completed',
      );
    }
    for (const [name, value] of Object.entries(failure.headers)) reply.header(name, value);
    const status = statusOf(failure);
    reply
      .status(status)
      .send({ ...failure.fields, ...errorBody(status, failure.code, failure.message, failure.details) });
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(errorBody(404, 'route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
