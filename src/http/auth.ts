// The three access classes of SPEC §3 and the one ownership check every client endpoint uses.
// Credentials are read once per request; routes declare their class in `config.access`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import { forbidden, unauthorized } from './errors.ts';

export type Access = 'public' | 'client' | 'service';

/**
 * A client token either covers the whole client (verify-code, a brand-new person's submission) or only
 * one ticket: a form submitted with the contact of someone already known gets a token for the ticket it
 * just created, never for that person's earlier tickets and history — anyone can type a contact.
 */
export type ClientGrant = { clientId: string; ticketId?: string };

export type Caller = { kind: 'anonymous' } | { kind: 'service' } | ({ kind: 'client' } & ClientGrant);

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

const TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface TokenService {
  issue(grant: ClientGrant, now: Date): Promise<string>;
  verify(token: string, now: Date): Promise<ClientGrant | null>;
}

export function createTokenService(secret: string): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    async issue(grant, now) {
      const iat = Math.floor(now.getTime() / 1000);
      return new SignJWT({ typ: 'client', ...(grant.ticketId ? { tkt: grant.ticketId } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(grant.clientId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + TOKEN_TTL_SECONDS)
        .sign(key);
    },
    async verify(token, now) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate: now });
        if (payload.typ !== 'client' || typeof payload.sub !== 'string') return null;
        return typeof payload.tkt === 'string'
          ? { clientId: payload.sub, ticketId: payload.tkt }
          : { clientId: payload.sub };
      } catch {
        return null;
      }
    },
  };
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
  app.decorateRequest('caller', null as never);
  app.addHook('onRequest', async (request) => {
    request.caller = { kind: 'anonymous' };
    const access = request.routeOptions.config?.access;
    if (access === undefined) return;
    if (presentsServiceKey(request, options.apiKey)) {
      request.caller = { kind: 'service' };
      return;
    }
    const token = bearer(request) ?? (request.headers['x-api-key'] as string | undefined);
    if (token && access !== 'service') {
      const grant = await options.tokens.verify(token, options.now());
      if (!grant) throw unauthorized('the token is invalid or expired');
      request.caller = { kind: 'client', ...grant };
      return;
    }
    if (token) throw unauthorized('this endpoint needs the service key');
    if (access === 'service') throw unauthorized('this endpoint needs the service key');
    if (access === 'client') throw unauthorized();
  });
}

/**
 * True when the caller may see personal data of the given client — of one ticket of theirs when
 * `ticketId` is given, of the client as a whole (history, every ticket) when it is not.
 */
export function mayAccessClient(caller: Caller, clientId: string, ticketId?: string): boolean {
  if (caller.kind === 'service') return true;
  if (caller.kind !== 'client' || caller.clientId !== clientId) return false;
  return caller.ticketId === undefined || caller.ticketId === ticketId;
}

/** The ownership rule of every client endpoint: the service, or a token of the record's own client. */
export function assertClientAccess(caller: Caller, clientId: string, ticketId?: string): void {
  if (caller.kind === 'anonymous') throw unauthorized();
  if (!mayAccessClient(caller, clientId, ticketId)) throw forbidden();
}
