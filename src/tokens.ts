// Client tokens: HS256 JWTs carrying a ClientGrant, 30 days. The key is imported once, not per call.
// Login codes are kept as keyed digests made here too: a leaked table does not give the codes away.
// A token is signed here with node:crypto (jose signs through WebCrypto, an asynchronous job that cost
// ~170 µs of a submission's ~1.5 ms); it is verified by jose.
import { createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { ClientGrant } from './domain/access.ts';

const TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = base64url({ alg: 'HS256' });

export interface TokenService {
  issue(grant: ClientGrant, now: Date): Promise<string>;
  verify(token: string, now: Date): Promise<ClientGrant | null>;
  /** The stored form of a login code for one Telegram id (HMAC-SHA256 under the service secret). */
  codeDigest(telegramId: string, code: string): string;
}

export function createTokenService(secret: string): TokenService {
  // A CryptoKey made once: given raw bytes, jose would import the key again on every call.
  const keyPromise = crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  const codeKey = `login-code:${secret}`;
  return {
    codeDigest: (telegramId, code) =>
      createHmac('sha256', codeKey).update(`${telegramId}:${code}`).digest('base64url'),
    async issue(grant, now) {
      const iat = Math.floor(now.getTime() / 1000);
      const claims = {
        typ: 'client',
        ...(grant.ticketId ? { tkt: grant.ticketId } : {}),
        sub: grant.clientId,
        iat,
        exp: iat + TOKEN_TTL_SECONDS,
      };
      const signed = `${HEADER}.${base64url(claims)}`;
      return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
    },
    async verify(token, now) {
      try {
        // A token without an expiry would open a person's data forever: it is refused.
        const { payload } = await jwtVerify(token, await keyPromise, {
          algorithms: ['HS256'],
          currentDate: now,
          requiredClaims: ['exp', 'sub'],
        });
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
