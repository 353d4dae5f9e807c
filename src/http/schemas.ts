// Schema pieces shared by the route plugins, and the per-route rate-limit settings.
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import { Type, type TSchema } from 'typebox';
import { parseSlotTime } from '../domain/time.ts';
import { FORM_ID_PATTERN } from '../domain/web-form.ts';
import { badRequest } from '../errors.ts';

export const MAX_TEXT = 10_000;

export const NOT_BLANK = '\\S';
/** A text field; a required one must hold more than spaces (a name of "   " is no name). */
export const Text = (max = MAX_TEXT, min = 1) =>
  Type.String({ minLength: min, maxLength: max, ...(min > 0 ? { pattern: NOT_BLANK } : {}) });

/**
 * Ajv keyword for Age: a string must be decimal digits. It sits in its own allOf member, before the
 * `type`, because Ajv's coercion would otherwise turn "1e1", "0x1A" and " 27" into numbers first.
 */
export const DECIMAL_DIGITS = 'x-decimal-digits';
type AjvPlugin = Exclude<NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number], unknown[]>;
export const decimalDigitsKeyword: AjvPlugin = (ajv) =>
  ajv.addKeyword({
    keyword: DECIMAL_DIGITS,
    schemaType: 'boolean',
    validate: (required: boolean, data: unknown) =>
      !required || typeof data !== 'string' || /^\d+$/.test(data),
  });

/** An age in whole years: a JSON integer or a string of decimal digits (forms send strings). */
export const Age = Type.Unsafe<number>({
  allOf: [{ [DECIMAL_DIGITS]: true }, { type: 'integer', minimum: 14, maximum: 120 }],
  description: 'whole years, 14–120, as a number or decimal digits',
});
export const TicketId = Type.String({
  pattern: '^(\\d{7}|hh_[a-z0-9]{7})$',
  description: '7 digits or hh_ + 7 characters',
});
/** Our ticket id, or the id a web form generated for it (its form_ticket_id): either finds the ticket. */
export const TicketOrFormId = Type.String({
  pattern: FORM_ID_PATTERN,
  description: 'a ticket id or a form’s own id',
});
export const Uuid = Type.String({ format: 'uuid' });
export const SlotTime = Type.String({
  minLength: 4,
  maxLength: 40,
  description: '"DD.MM HH:mm" or "YYYY-MM-DD HH:mm" (Moscow), or ISO-8601 with an offset',
});
/** A SlotTime field read (SPEC §3 Time): Moscow, the year rule for "DD.MM", else a 400 naming the field. */
export function parseTimeField(value: string, field: string, now: Date): Date {
  const at = parseSlotTime(value, now);
  if (!at) throw badRequest(field, 'must be a time like "05.12 14:00", "2026-12-05 14:00" or ISO-8601');
  return at;
}
export const Ymd = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (Moscow)' });
export const Offset = Type.Number({ minimum: -15, maximum: 15, description: 'hours from Moscow' });
export const Loose = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { additionalProperties: true });

/** A part of a request that was accepted but not recorded: the answer says so instead of dropping it silently. */
export const Warning = Type.Object({
  field: Type.String(),
  code: Type.String(),
  message: Type.String(),
});

/** A value or null (a nullable column): fast-json-stringify would print a bare null as "" or 0. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A moment in an answer: ISO-8601 UTC, turned into a string by the presenter. */
export const Iso = Type.String({ format: 'date-time' });

export const Ok = Type.Object({ success: Type.Literal(true), message: Type.String() });

export const ErrorResponse = Type.Object({
  success: Type.Literal(false),
  message: Type.String(),
  error: Type.Object({
    code: Type.Integer(),
    type: Type.String(),
    message: Type.String(),
    details: Type.Array(Type.Unknown()),
  }),
});

export type RateLimitGroup = 'public' | 'submit' | 'client';

/** Who a group counts: public routes per address, client routes per token (its client and ticket). */
function rateLimitKey(group: RateLimitGroup) {
  return (request: FastifyRequest) => {
    const actor = request.actor;
    if (group === 'client' && actor?.kind === 'client')
      return `client:${actor.clientId}/${actor.ticketId ?? '*'}`;
    return `ip:${request.ip}`;
  };
}

/**
 * Rate-limit settings of a route in a group; the service key is never limited, 0 turns limiting off. One
 * counter per group and key (see RateLimitStore): 20 submissions spread over three forms are 20, not 3 × 20.
 */
export function rateLimited(app: FastifyInstance, group: RateLimitGroup) {
  const config = app.deps.config;
  const max =
    group === 'public'
      ? config.rateLimitPublic
      : group === 'submit'
        ? config.rateLimitSubmit
        : config.rateLimitClient;
  if (max <= 0) return {};
  return {
    rateLimit: {
      max,
      timeWindow: 60_000,
      groupId: group,
      keyGenerator: rateLimitKey(group),
      allowList: (request: FastifyRequest) => request.actor?.kind === 'service',
    },
  };
}

/**
 * The counters of @fastify/rate-limit, shared by every route. The plugin's store gives each route a child
 * store of its own, so a group's routes would each count separately; here `child` hands back the same
 * store, and the plugin's key (the key generator's value plus the group id) keeps the groups apart.
 * Per process: several instances each count on their own.
 */
export class RateLimitStore extends LocalStore {
  constructor() {
    super(false, false, 50_000);
  }

  override child(): RateLimitStore {
    return this;
  }
}

/** A string from a fixed list; a wrong value is reported as "must be one of: …". */
export const Enum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
