// Abuse an outside review found (issue 6 §1, Medium and Low): deep nesting, rate limits shared by a
// route group and per client token, slow and abandoned bodies, CORS on service routes, caching of
// personal answers, blank names, non-decimal ages and tokens without an expiry.
import { connect, type AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, withTestApp, TEST_JWT_SECRET, TEST_NOW, type TestApp } from '../support/app.ts';
import { bearer, postAs, submitApplication } from '../support/fixtures.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

let counter = 0;
/** A valid submit-application body with a contact of its own. */
function application(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    name: 'Мария',
    age: 30,
    contact: { type: 'telegram', value: `@hardening_user${counter}` },
    ...overrides,
  };
}
const diagnostic = (overrides: Record<string, unknown> = {}) => {
  counter++;
  return {
    client_name: 'Пётр',
    client_email: `hardening${counter}@example.com`,
    request_text: 'тревога',
    ...overrides,
  };
};

const nestedObject = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
const nestedArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** submit-application's body with `extra` (an unknown field, kept in the raw payload) set to raw JSON. */
const withExtra = (rawJson: string) => {
  const body = JSON.stringify(application({ extra: 0 }));
  return body.replace('"extra":0', `"extra":${rawJson}`);
};

const firstDetail = (res: { json(): unknown }) =>
  (res.json() as { error: { details: { field: string; message: string }[] } }).error.details[0];

describe('deeply nested input', () => {
  it.each([
    ['objects', nestedObject],
    ['arrays', nestedArray],
  ])('10 000 levels of %s in a field → 400 naming the field, not a 500', async (_kind, nested) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/json' },
      payload: withExtra(nested(10_000)),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(firstDetail(res)?.field).toBe('extra');
  });

  it('10 000 levels as the whole body → 400 naming the body', async () => {
    for (const payload of [nestedArray(10_000), nestedObject(10_000)]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/diagnostic-session-request',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(firstDetail(res)?.field).toMatch(/^(\(body\)|a)$/);
    }
  });

  it('refuses 64 levels and keeps 63', async () => {
    const deep = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/json' },
      payload: withExtra(nestedObject(63)),
    });
    expect(deep.statusCode, deep.body).toBe(400);
    expect(firstDetail(deep)).toMatchObject({ field: 'extra', message: expect.stringContaining('64') });
    const fits = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/json' },
      payload: withExtra(nestedObject(62)),
    });
    expect(fits.statusCode, fits.body).toBe(200);
  });

  it('a form body with a 10 000-level key → 400, not a 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=Форма&age=30&contact[type]=telegram&contact[value]=@form_deep&extra${'[a]'.repeat(10_000)}=1`,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(firstDetail(res)?.field).toMatch(/^extra/);
  });

  it('a JSON body on GET /get-ticket-info nested 10 000 levels → 400 naming the field', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/get-ticket-info',
      headers: { 'content-type': 'application/json' },
      payload: `{"ticket_id":"1234567","x":${nestedObject(10_000)}}`,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(firstDetail(res)?.field).toBe('x');
  });
});

describe('rate limits', () => {
  const submissions = [
    { url: '/submit-application', body: () => application() },
    { url: '/register-ticket-for-help-hand', body: () => application({ price_session: 'free' }) },
    { url: '/diagnostic-session-request', body: () => diagnostic() },
  ];

  it('the submission routes share one counter per IP: 20 spread over three routes, then 429 on each', async () => {
    await withTestApp({ RATE_LIMIT_SUBMIT: '20' }, async (limited) => {
      for (let i = 0; i < 20; i++) {
        const route = submissions[i % submissions.length]!;
        const res = await limited.app.inject({ method: 'POST', url: route.url, payload: route.body() });
        expect(res.statusCode, `${i + 1}: ${route.url} ${res.body}`).toBe(200);
      }
      for (const route of submissions) {
        const res = await limited.app.inject({ method: 'POST', url: route.url, payload: route.body() });
        expect(res.statusCode, route.url).toBe(429);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(res.json().error.type).toBe('rate_limited');
      }
      // Another address has its own counter.
      const other = await limited.app.inject({
        method: 'POST',
        url: '/diagnostic-session-request',
        remoteAddress: '10.0.0.2',
        payload: diagnostic(),
      });
      expect(other.statusCode, other.body).toBe(200);
    });
  });

  it('the public reads share one counter per IP, apart from the submissions', async () => {
    await withTestApp({ RATE_LIMIT_PUBLIC: '4', RATE_LIMIT_SUBMIT: '4' }, async (limited) => {
      const reads = ['/get-available-slots', '/get-ticket-info?ticket_id=0000000'];
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await limited.app.inject({ url: reads[i % 2]! })).statusCode);
      expect(statuses).toEqual([200, 404, 200, 404, 429, 429]);
      const submitted = await limited.app.inject({
        method: 'POST',
        url: '/diagnostic-session-request',
        payload: diagnostic(),
      });
      expect(submitted.statusCode, submitted.body).toBe(200);
    });
  });

  it('behind a proxy (TRUST_PROXY as a hop count) a forged X-Forwarded-For does not escape the limit', async () => {
    // The client writes the left part of X-Forwarded-For; the proxy appends the address it saw.
    const read = (app: TestApp, i: number) =>
      app.app.inject({
        url: '/get-available-slots',
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.50` },
      });
    await withTestApp({ RATE_LIMIT_PUBLIC: '3', TRUST_PROXY: '1' }, async (limited) => {
      const statuses: number[] = [];
      for (let i = 1; i <= 5; i++) statuses.push((await read(limited, i)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    });
    // `true` believes the forged part, so every request counts as a new address: what production refuses.
    await withTestApp({ RATE_LIMIT_PUBLIC: '3', TRUST_PROXY: 'true' }, async (fooled) => {
      const statuses: number[] = [];
      for (let i = 1; i <= 5; i++) statuses.push((await read(fooled, i)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
    });
  });

  it('client routes are limited per token (client + ticket), across routes, never the service key', async () => {
    await withTestApp({ RATE_LIMIT_CLIENT: '3' }, async (limited) => {
      const mine = await submitApplication(limited);
      const theirs = await submitApplication(limited);
      const calls = [
        () => postAs(limited, mine.client_token, '/rate-session', { ticket_id: mine.ticket_id, rating: 5 }),
        () => postAs(limited, mine.client_token, '/cancel-session', { ticket_id: mine.ticket_id }),
        () =>
          postAs(limited, mine.client_token, '/reschedule-session', {
            ticket_id: mine.ticket_id,
            new_slot_time: '10.12 10:00',
          }),
      ];
      for (const call of calls) expect((await call()).statusCode).not.toBe(429);
      const fourth = await calls[0]!();
      expect(fourth.statusCode, fourth.body).toBe(429);
      expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(0);
      // Same address, another ticket's token: its own counter.
      const other = await postAs(limited, theirs.client_token, '/rate-session', {
        ticket_id: theirs.ticket_id,
        rating: 5,
      });
      expect(other.statusCode, other.body).not.toBe(429);
      for (let i = 0; i < 5; i++) {
        const service = await limited.admin({
          method: 'POST',
          url: '/rate-session',
          payload: { ticket_id: mine.ticket_id, rating: 5 },
        });
        expect(service.statusCode, service.body).not.toBe(429);
      }
    });
  });
});

/** A raw connection to a listening app: what it sends is written as given, what comes back is collected. */
async function rawConnection(app: TestApp['app']) {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  // Writes after the server hung up fail with EPIPE; that is the point of these tests, not an error.
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed };
}

const postHead = (path: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('slow and abandoned requests', () => {
  it('a body trickled a byte at a time is cut with a 408 in the error shape', async () => {
    const slow = await createTestApp({ REQUEST_TIMEOUT_MS: '2000' });
    let trickle: NodeJS.Timeout | undefined;
    const { socket, closed } = await rawConnection(slow.app);
    try {
      socket.write(`${postHead('/submit-application', 500)}{`);
      // Each byte arrives well within any idle timeout; only the whole request's deadline can stop it.
      trickle = setInterval(() => socket.write(' '), 300);
      const answer = await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      expect(body).toMatchObject({ success: false, error: { code: 408, type: 'request_timeout' } });
    } finally {
      clearInterval(trickle);
      socket.destroy();
      await slow.close();
    }
  });

  it('a client that hangs up mid-body is logged as such, not as "database unavailable"', async () => {
    const from = t.logs.lines.length;
    const { socket, closed } = await rawConnection(t.app);
    const arrived = new Promise((resolve) => t.app.server.once('request', resolve));
    socket.write(`${postHead('/submit-application', 1000)}{"name":"Мария","age":30,`);
    // The hang-up must come after the server started on the request, mid-body.
    await arrived;
    socket.destroy();
    await closed;
    const logged = () => t.logs.lines.slice(from).join('');
    await vi.waitFor(() => expect(logged()).toMatch(/closed the connection|database unavailable/), {
      timeout: 10_000,
    });
    expect(logged()).not.toContain('database unavailable');
    expect(logged()).not.toMatch(/"level":50/);
  });
});

describe('CORS without CORS_ORIGINS', () => {
  const preflight = (app: TestApp['app'], url: string, method: string, origin = 'https://forms.example') =>
    app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'content-type, x-api-key',
      },
    });

  it('answers preflights of public routes for any origin', async () => {
    for (const [url, method] of [
      ['/submit-application', 'POST'],
      ['/webhook/diagnostic-session-request-test-contur', 'POST'],
      ['/get-available-slots', 'GET'],
      ['/get-ticket-info/', 'GET'],
    ] as const) {
      const res = await preflight(t.app, url, method);
      expect(res.statusCode, url).toBe(204);
      expect(res.headers['access-control-allow-origin'], url).toBe('*');
    }
  });

  it('does not answer preflights of service routes, nor of a method a public path lacks', async () => {
    for (const [url, method] of [
      ['/admin/psychologists', 'GET'],
      ['/admin/psychologists', 'POST'],
      ['/webhook/admin/tickets/1234567-test-contur', 'PATCH'],
      ['/admin/sessions', 'POST'],
      ['/notify-update', 'POST'],
      ['/metrics', 'GET'],
      ['/submit-application', 'DELETE'],
    ] as const) {
      const res = await preflight(t.app, url, method);
      expect(res.headers['access-control-allow-origin'], `${method} ${url}`).toBeUndefined();
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  it('sends no CORS headers on the answers of service routes', async () => {
    const admin = await t.admin({ url: '/admin/psychologists', headers: { origin: 'https://evil.example' } });
    expect(admin.statusCode).toBe(200);
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    const open = await t.app.inject({
      url: '/get-available-slots',
      headers: { origin: 'https://a.example' },
    });
    expect(open.headers['access-control-allow-origin']).toBe('*');
  });

  it('with CORS_ORIGINS, the listed origins reach every route and others none', async () => {
    await withTestApp({ CORS_ORIGINS: 'https://ops.example' }, async (listed) => {
      const ops = await preflight(listed.app, '/admin/psychologists', 'GET', 'https://ops.example');
      expect(ops.headers['access-control-allow-origin']).toBe('https://ops.example');
      const other = await preflight(listed.app, '/submit-application', 'POST', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('Cache-Control', () => {
  it('is no-store on answers that can carry personal data, errors included', async () => {
    const submitted = await submitApplication(t);
    const answers = [
      await t.app.inject({ method: 'POST', url: '/submit-application', payload: application() }),
      await t.app.inject({
        url: `/get-ticket-info?ticket_id=${submitted.ticket_id}`,
        headers: bearer(submitted.client_token),
      }),
      await t.admin({ url: '/admin/psychologists' }),
      await t.admin({ url: `/admin/tickets/${submitted.ticket_id}` }),
      await t.app.inject({ method: 'POST', url: '/submit-application', payload: { name: 'x' } }),
      await t.app.inject({ url: '/admin/psychologists' }),
      await t.app.inject({ url: '/no-such-route' }),
      await t.app.inject({ url: '/get-available-slots' }),
    ];
    for (const res of answers) expect(res.headers['cache-control'], res.body.slice(0, 200)).toBe('no-store');
  });
});

describe('names and ages', () => {
  it.each([' ', '   ', '\t\n', '\u00a0\u3000'])(
    'a name of only spaces (%j) → 400 naming the field',
    async (blank) => {
      const submitted = await t.app.inject({
        method: 'POST',
        url: '/submit-application',
        payload: application({ name: blank }),
      });
      expect(submitted.statusCode, submitted.body).toBe(400);
      expect(firstDetail(submitted)?.field).toBe('name');
      const diag = await t.app.inject({
        method: 'POST',
        url: '/diagnostic-session-request',
        payload: diagnostic({ client_name: blank }),
      });
      expect(diag.statusCode, diag.body).toBe(400);
      expect(firstDetail(diag)?.field).toBe('client_name');
    },
  );

  it('keeps a name with spaces around it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      payload: application({ name: '  Мария  ' }),
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it.each(['2e1', '0x1A', ' 27', '27 ', '27.0', '+27', '0b10100', '0o33', '2_7', '٢٧', 27.5])(
    'age %j is not a decimal whole number → 400 naming age',
    async (age) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/submit-application',
        payload: application({ age }),
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(firstDetail(res)?.field).toBe('age');
    },
  );

  it('age as a number, as a digit string and from a form', async () => {
    for (const age of [27, '27', '014']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/submit-application',
        payload: application({ age }),
      });
      expect(res.statusCode, `${age}: ${res.body}`).toBe(200);
    }
    const form = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=Форма&age=27&contact[type]=telegram&contact[value]=@form_age_user',
    });
    expect(form.statusCode, form.body).toBe(200);
    const badForm = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=Форма&age=1e1&contact[type]=telegram&contact[value]=@form_age_user2',
    });
    expect(badForm.statusCode, badForm.body).toBe(400);
    expect(firstDetail(badForm)?.field).toBe('age');
    for (const age of [13, '121', 121]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/submit-application',
        payload: application({ age }),
      });
      expect(res.statusCode, `${age}`).toBe(400);
      expect(firstDetail(res)?.field).toBe('age');
    }
  });
});

describe('client tokens', () => {
  const sign = (claims: { sub: string; tkt: string }, exp: number | undefined) => {
    const iat = Math.floor(new Date(TEST_NOW).getTime() / 1000);
    const jwt = new SignJWT({ typ: 'client', tkt: claims.tkt })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuedAt(iat);
    if (exp !== undefined) jwt.setExpirationTime(iat + exp);
    return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
  };

  it('a token without exp is refused with 401; the same token with exp is accepted', async () => {
    const submitted = await submitApplication(t);
    const ticket = await t.admin({ url: `/admin/tickets/${submitted.ticket_id}` });
    const clientId = ticket.json().ticket.client_id as string;
    const claims = { sub: clientId, tkt: submitted.ticket_id };
    const rate = (token: string) =>
      postAs(t, token, '/rate-session', { ticket_id: submitted.ticket_id, rating: 5 });

    const withExp = await rate(await sign(claims, 3600));
    expect(withExp.statusCode, withExp.body).toBe(409);
    expect(withExp.json().error.type).toBe('no_session_to_rate');

    const forever = await rate(await sign(claims, undefined));
    expect(forever.statusCode, forever.body).toBe(401);
    expect(forever.json().error.type).toBe('unauthorized');
  });
});
