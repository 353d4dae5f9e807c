// Client tokens are signed with node:crypto and verified by jose: they must be the very JWTs jose signs.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenService } from './tokens.ts';

const SECRET = 'token-test-secret-ключ';
const NOW = new Date('2026-12-07T09:00:00.000Z');
const tokens = createTokenService(SECRET);

/** The token jose makes for the same claims. */
async function signedByJose(claims: Record<string, unknown>, sub: string) {
  const iat = Math.floor(NOW.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 30 * 24 * 60 * 60)
    .sign(new TextEncoder().encode(SECRET));
}

describe('client tokens', () => {
  const clientId = '6f1c2a4e-8d0b-4c55-9a9e-3b7f1d2c0e11';

  it('are byte for byte the HS256 JWTs jose signs, for a whole client and for one ticket', async () => {
    expect(await tokens.issue({ clientId }, NOW)).toBe(await signedByJose({ typ: 'client' }, clientId));
    expect(await tokens.issue({ clientId, ticketId: '1234567' }, NOW)).toBe(
      await signedByJose({ typ: 'client', tkt: '1234567' }, clientId),
    );
  });

  it('verify back to their grant for 30 days, and not with another secret or a changed payload', async () => {
    const token = await tokens.issue({ clientId, ticketId: '1234567' }, NOW);
    expect(await tokens.verify(token, NOW)).toEqual({ clientId, ticketId: '1234567' });
    expect(await tokens.verify(token, new Date(NOW.getTime() + 29 * 86_400_000))).not.toBeNull();
    expect(await tokens.verify(token, new Date(NOW.getTime() + 31 * 86_400_000))).toBeNull();
    expect(await createTokenService('another secret').verify(token, NOW)).toBeNull();
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ typ: 'client', sub: 'someone-else' })).toString('base64url');
    expect(await tokens.verify(`${header}.${forged}.${signature}`, NOW)).toBeNull();
  });
});
