// Schema pieces shared by the route plugins, and the per-route rate-limit settings.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';

export const MAX_TEXT = 10_000;

export const Text = (max = MAX_TEXT, min = 1) => Type.String({ minLength: min, maxLength: max });
export const TicketId = Type.String({
  pattern: '^(\\d{7}|hh_[a-z0-9]{7})$',
  description: '7 digits or hh_ + 7 characters',
});
export const Uuid = Type.String({ format: 'uuid' });
export const SlotTime = Type.String({
  minLength: 4,
  maxLength: 40,
  description: '"DD.MM HH:mm" or "YYYY-MM-DD HH:mm" (Moscow), or ISO-8601 with an offset',
});
export const Ymd = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (Moscow)' });
export const Offset = Type.Number({ minimum: -15, maximum: 15, description: 'hours from Moscow' });
export const Loose = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { additionalProperties: true });

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

/** Rate-limit settings of a public route; the service key is never limited, 0 turns limiting off. */
export function rateLimited(app: FastifyInstance, kind: 'public' | 'submit') {
  const max = kind === 'public' ? app.deps.config.rateLimitPublic : app.deps.config.rateLimitSubmit;
  if (max <= 0) return {};
  return {
    rateLimit: {
      max,
      timeWindow: 60_000,
      groupId: kind,
      allowList: (request: FastifyRequest) => request.actor?.kind === 'service',
    },
  };
}

/** A string from a fixed list; a wrong value is reported as "must be one of: …". */
export const Enum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
