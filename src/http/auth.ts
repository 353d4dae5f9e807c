// The three access classes of SPEC §3 and the one ownership check every client endpoint uses.
// Credentials are read once per request; routes declare their class in `config.access`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/access.ts';
import { unauthorized } from '../errors.ts';
import type { TokenService } from '../tokens.ts';

export type Access = 'public' | 'client' | 'service';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is acting: read from the credentials once per request. */
    actor: Actor;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of a presented secret with the expected one. */
export function secretMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim();
}

export function presentsServiceKey(request: FastifyRequest, apiKey: string): boolean {
  const headerKey = request.headers['x-api-key'];
  const key = typeof headerKey === 'string' ? headerKey : bearer(request);
  return secretMatches(key, apiKey);
}

/**
 * Reads credentials on every request. A wrong key or a forged/expired token is a 401 even on public
 * routes: a caller who sends credentials wants them honoured, not silently ignored.
 */
export function registerAuth(
  app: FastifyInstance,
  options: { apiKey: string; tokens: TokenService; now: () => Date },
): void {
  app.decorateRequest('actor', null as never);
  app.addHook('onRequest', async (request) => {
    request.actor = { kind: 'anonymous' };
    const access = request.routeOptions.config?.access;
    if (access === undefined) return;
    if (presentsServiceKey(request, options.apiKey)) {
      request.actor = { kind: 'service' };
      return;
    }
    const token = bearer(request) ?? (request.headers['x-api-key'] as string | undefined);
    if (token && access !== 'service') {
      const grant = await options.tokens.verify(token, options.now());
      if (!grant) throw unauthorized('the token is invalid or expired');
      request.actor = { kind: 'client', ...grant };
      return;
    }
    if (token) throw unauthorized('this endpoint needs the service key');
    if (access === 'service') throw unauthorized('this endpoint needs the service key');
    if (access === 'client') throw unauthorized();
  });
}
