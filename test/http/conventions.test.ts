// The conventions every endpoint shares (SPEC §3): aliases, the error shape, access classes, limits,
// CORS, headers, response schemas. The generated walks of every route (API5 access, API9 inventory) are
// in owasp.security.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_API_KEY, type TestApp } from '../support/app.ts';
import { bearer, createPsychologist, submitApplication, postAs } from '../support/fixtures.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const expectErrorShape = (body: Record<string, unknown>, status: number, type?: string) => {
  expect(body.success).toBe(false);
  expect(typeof body.message).toBe('string');
  const error = body.error as { code: number; type: string; message: string; details: unknown[] };
  expect(error.code).toBe(status);
  expect(error.message).toBe(body.message);
  expect(Array.isArray(error.details)).toBe(true);
  if (type) expect(error.type).toBe(type);
};

describe('health and readiness', () => {
  it('answers /health and /ready without credentials', async () => {
    expect((await t.app.inject({ url: '/health' })).statusCode).toBe(200);
    const ready = await t.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ success: true, status: 'ready' });
  });
});

describe('path aliases', () => {
  it('answers the same endpoint under /webhook and with -test-contur', async () => {
    await createPsychologist(t, { name: 'Алиас Проверкин' });
    for (const url of [
      '/admin/psychologists',
      '/webhook/admin/psychologists',
      '/admin/psychologists-test-contur',
      '/webhook/admin/psychologists-test-contur',
    ]) {
      const res = await t.admin({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.json().psychologists.map((p: { name: string }) => p.name)).toContain('Алиас Проверкин');
    }
  });

  it('keeps the query string through the rewrite', async () => {
    const res = await t.app.inject({ url: '/webhook/get-available-slots-test-contur?from=2026-13-01' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('from');
  });
});

describe('error shape', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const res = await t.app.inject({ url: '/no-such-endpoint' });
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.json(), 404, 'route_not_found');
  });

  it('names every missing or wrong field in a 400 and stores nothing', async () => {
    const res = await t.admin({
      method: 'POST',
      url: '/admin/psychologists',
      payload: { name: 'Без Пола', sex: 'robot' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expectErrorShape(body, 400, 'validation_error');
    const fields = body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['sex', 'min_price', 'max_price']));
    expect(body.message).toContain('sex');
    const list = await t.admin({ url: '/admin/psychologists' });
    expect(list.json().psychologists.map((p: { name: string }) => p.name)).not.toContain('Без Пола');
  });

  it('answers malformed JSON with a 400, not a 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.json(), 400);
  });

  it('answers bodies over 1 MiB with 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(res.statusCode).toBe(413);
    expectErrorShape(res.json(), 413, 'payload_too_large');
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
    expectErrorShape(res.json(), 415, 'unsupported_media_type');
  });

  it('rejects over-long strings, also in unknown fields, naming the field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      payload: {
        name: 'Ок',
        age: 30,
        contact: { type: 'telegram', value: '@long_one' },
        extra: { note: 'x'.repeat(10_001) },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('extra.note');
  });
});

describe('access classes', () => {
  it('requires the service key on operator routes, compared exactly', async () => {
    expect((await t.app.inject({ url: '/admin/psychologists' })).statusCode).toBe(401);
    const wrong = await t.app.inject({
      url: '/admin/psychologists',
      headers: { 'x-api-key': `${TEST_API_KEY}x` },
    });
    expect(wrong.statusCode).toBe(401);
    expectErrorShape(wrong.json(), 401, 'unauthorized');
    const viaBearer = await t.app.inject({ url: '/admin/psychologists', headers: bearer(TEST_API_KEY) });
    expect(viaBearer.statusCode).toBe(200);
  });

  it('does not let a client token reach operator routes', async () => {
    const { client_token } = await submitApplication(t);
    const res = await t.app.inject({ url: '/admin/psychologists', headers: bearer(client_token) });
    expect(res.statusCode).toBe(401);
  });

  it('answers a forged or expired client token with 401', async () => {
    const { client_token, ticket_id } = await submitApplication(t);
    const forged = `${client_token.slice(0, -3)}abc`;
    const res = await postAs(t, forged, '/cancel-session', { ticket_id, cancellation_reason: 'нет' });
    expect(res.statusCode).toBe(401);
    t.clock.advance(31 * 24 * 60 * 60 * 1000);
    try {
      const expired = await postAs(t, client_token, '/cancel-session', {
        ticket_id,
        cancellation_reason: 'нет',
      });
      expect(expired.statusCode).toBe(401);
    } finally {
      t.clock.advance(-31 * 24 * 60 * 60 * 1000);
    }
  });
});

describe('response schemas and headers', () => {
  it('declares the answer of every route: a response schema for its success status', async () => {
    // Fastify's and its plugins' own routes: the docs UI, the document itself, the CORS preflight.
    const internal = (url: string) => url.startsWith('/docs') || url === '/openapi.json' || url === '*';
    const routes = t.app.registeredRoutes.filter((r) => !internal(r.url));
    const undeclared = routes
      .filter((r) => !Object.keys(r.schema?.response ?? {}).some((status) => status.startsWith('2')))
      .map((r) => `${[r.method].flat().join(',')} ${r.url}`);
    expect(undeclared).toEqual([]);
    expect(routes.length).toBeGreaterThan(25);
  });

  it('sends security headers and a request id', async () => {
    const res = await t.app.inject({ url: '/health' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps a caller's X-Request-Id only when it is a short token, else makes one", async () => {
    const idOf = async (given: string) => {
      const res = await t.app.inject({ url: '/health', headers: { 'x-request-id': given } });
      return String(res.headers['x-request-id']);
    };
    expect(await idOf('trace-01.AB_cd')).toBe('trace-01.AB_cd');
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(await idOf(uuid)).toBe(uuid);
    // A phone number, a name with spaces, an over-long value: none reaches the answer or a log line.
    for (const given of ['+79001234567', 'Maria Petrova', 'maria@example.com', 'x'.repeat(65), '']) {
      const id = await idOf(given);
      expect(id, given).toMatch(/^[0-9a-f-]{36}$/);
      if (given) expect(t.logs.text()).not.toContain(given);
    }
  });

  it('answers CORS preflights of public form endpoints', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/webhook/submit-application-test-contur',
      headers: {
        origin: 'https://forms.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('serves Prometheus metrics to the service key', async () => {
    const res = await t.admin({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('http_requests_total');
    expect(res.body).toContain('outbox_messages');
  });
});

describe('rate limits', () => {
  it('limits submissions per IP with 429 and Retry-After, but never the service key', async () => {
    const limited = await createTestApp({ RATE_LIMIT_SUBMIT: '3' });
    try {
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await limited.app.inject({
          method: 'POST',
          url: '/diagnostic-session-request',
          payload: { client_name: 'Лимит', client_email: `limit${i}@example.com`, request_text: 'тест' },
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          retryAfter = res.headers['retry-after'] as string;
          expectErrorShape(res.json(), 429, 'rate_limited');
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      const withKey = await limited.admin({
        method: 'POST',
        url: '/diagnostic-session-request',
        payload: { client_name: 'Лимит', client_email: 'limit-key@example.com', request_text: 'тест' },
      });
      expect(withKey.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
