// The errors an action can end in: a closed set of codes, each of one kind. Actions know no transport;
// the HTTP layer maps a kind to a status (src/http/errors.ts) and the bot to a kind reply.

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'too_large'
  | 'too_long_url'
  | 'unsupported_media'
  | 'timeout'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** Every error code a caller can see, with its kind. */
const CODES = {
  validation_error: 'invalid',
  bad_request: 'invalid',
  bad_url: 'invalid',
  unauthorized: 'unauthenticated',
  forbidden: 'forbidden',
  help_hand_not_allowed: 'forbidden',
  invalid_secret: 'forbidden',
  route_not_found: 'not_found',
  client_not_found: 'not_found',
  psychologist_not_found: 'not_found',
  session_not_found: 'not_found',
  slot_not_found: 'not_found',
  ticket_not_found: 'not_found',
  research_row_not_found: 'not_found',
  already_booked: 'conflict',
  survey_not_found: 'not_found',
  event_not_found: 'not_found',
  duplicate_name: 'conflict',
  duplicate_event: 'conflict',
  event_full: 'conflict',
  event_canceled: 'conflict',
  event_started: 'conflict',
  slot_busy: 'conflict',
  no_active_session: 'conflict',
  no_session_to_rate: 'conflict',
  session_not_active: 'conflict',
  session_not_started: 'conflict',
  session_at_other_time: 'conflict',
  session_changed: 'conflict',
  slot_booked: 'conflict',
  slot_has_history: 'conflict',
  slot_taken: 'conflict',
  slot_unavailable: 'conflict',
  ticket_closed: 'conflict',
  ticket_has_active_session: 'conflict',
  ticket_linked_elsewhere: 'conflict',
  client_has_no_chat: 'conflict',
  transition_not_allowed: 'conflict',
  idempotency_key_reused: 'unprocessable',
  payload_too_large: 'too_large',
  uri_too_long: 'too_long_url',
  unsupported_media_type: 'unsupported_media',
  request_timeout: 'timeout',
  rate_limited: 'rate_limited',
  database_unavailable: 'unavailable',
  video_unavailable: 'unavailable',
  internal_error: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof CODES;

export interface ErrorDetail {
  field: string;
  message: string;
}

/** A failure the caller should see: a machine-readable code (of a fixed kind) and a human message. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;
  /** Fields a page reads beside the error (the confirm page's `is_allowed`, `reason`). */
  readonly fields: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetail[] = [],
    headers: Record<string, string> = {},
    fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.code = code;
    this.kind = CODES[code];
    this.details = details;
    this.headers = headers;
    this.fields = fields;
  }
}

type NotFoundSubject =
  'client' | 'psychologist' | 'session' | 'slot' | 'ticket' | 'research_row' | 'survey' | 'event';
type ConflictCode = { [C in ErrorCode]: (typeof CODES)[C] extends 'conflict' ? C : never }[ErrorCode];

export const badRequest = (field: string, message: string) =>
  new AppError('validation_error', `${field}: ${message}`, [{ field, message }]);
export const notFound = (what: NotFoundSubject, message = `${what} not found`) =>
  new AppError(`${what}_not_found`, message);
export const conflict = (code: ConflictCode, message: string) => new AppError(code, message);
export const forbidden = (message = 'this token does not give access to that client’s data') =>
  new AppError('forbidden', message);
export const unauthorized = (message = 'credentials required: a service key or a client token') =>
  new AppError('unauthorized', message);
export const tooLarge = () => new AppError('payload_too_large', 'the request body is larger than 1 MiB');
