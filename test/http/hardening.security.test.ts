// Abuse an outside review found (issue 6 §1, Medium and Low): deep nesting, rate limits shared by a
// route group and per client token, slow and abandoned bodies, CORS on service routes, caching of
// personal answers, blank names, non-decimal ages and tokens without an expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';

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
