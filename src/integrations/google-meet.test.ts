// The Google Meet provider against a fake Google: the signed JWT traded for a token (and kept), a
// Calendar event with a Meet conference, a conference still pending, error answers, garbage, a hang.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeGoogle, GOOGLE_CALENDAR, GOOGLE_CLIENT_EMAIL } from '../../test/support/fake-google.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createGoogleMeetProvider, googleSettings, type GoogleSettings } from './google-meet.ts';
import type { MeetingRequest } from './video.ts';

const google = new FakeGoogle();
let settings: GoogleSettings;
let start = Date.parse('2027-02-01T10:00:00Z');
const signal = () => AbortSignal.timeout(5_000);

function nextRequest(durationMinutes = 60): MeetingRequest {
  start += 24 * 3600_000;
  return { sessionId: 'session-1', startAt: new Date(start), durationMinutes };
}

beforeAll(async () => {
  await google.start();
  settings = googleSettings(loadConfig(google.env()).google)!;
});
afterEach(() => {
  google.clearFaults();
  google.pendingReads = 0;
});
afterAll(() => google.stop());

describe('google settings', () => {
  it('are off without both values, refuse half a configuration or an unreadable key', () => {
    expect(googleSettings(loadConfig({}).google)).toBeUndefined();
    expect(() => googleSettings(loadConfig({ GOOGLE_CALENDAR_ID: GOOGLE_CALENDAR }).google)).toThrow(
      ConfigError,
    );
    const bad = (json: string) =>
      googleSettings(loadConfig({ GOOGLE_CALENDAR_ID: 'c', GOOGLE_SERVICE_ACCOUNT_JSON: json }).google);
    expect(() => bad('{not json')).toThrow(ConfigError);
    expect(() => bad('{"client_email":"a@b.c"}')).toThrow(/client_email or private_key/);
    expect(() => bad('{"client_email":"a@b.c","private_key":"-----BEGIN nothing"}')).toThrow(
      /not a readable private key/,
    );
    expect(() => bad('/no/such/key/file.json')).toThrow(ConfigError);
  });
});

describe('google meet provider', () => {
  it('signs a JWT for the token, creates an event with a Meet conference and returns its link', async () => {
    const provider = createGoogleMeetProvider(settings);
    const request = nextRequest(50);
    const meeting = await provider.create(request, signal());

    // The fake checks the assertion's signature against the key pair, its issuer, audience and scope.
    expect(google.to('token')).toHaveLength(1);
    const insert = google.to('insert').at(-1)!;
    expect(insert.path).toBe(`/calendar/v3/calendars/${encodeURIComponent(GOOGLE_CALENDAR)}/events`);
    expect(insert.query.get('conferenceDataVersion')).toBe('1');
    expect(insert.body).toMatchObject({
      start: { dateTime: request.startAt.toISOString() },
      end: { dateTime: new Date(start + 50 * 60_000).toISOString() },
      conferenceData: { createRequest: { conferenceSolutionKey: { type: 'hangoutsMeet' } } },
    });
    const event = google.live().at(-1)!;
    expect(meeting).toEqual({ link: event.link, platform: 'meet', meetingId: event.id });
    expect(JSON.stringify(insert.body)).not.toContain(GOOGLE_CLIENT_EMAIL);
  });

  it('keeps the token until shortly before it expires', async () => {
    let now = Date.now();
    const provider = createGoogleMeetProvider(settings, () => now);
    const before = google.to('token').length;
    await provider.create(nextRequest(), signal());
    await provider.create(nextRequest(), signal());
    expect(google.to('token').length - before).toBe(1);
    now += 3600_000;
    await provider.create(nextRequest(), signal());
    expect(google.to('token').length - before).toBe(2);
  });

  it('a token signed with another key is refused (rejected), and nothing is created', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const provider = createGoogleMeetProvider({ ...settings, privateKey: other });
    const inserts = google.to('insert').length;
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({
      code: 'rejected',
      status: 400,
    });
    expect(google.to('insert').length).toBe(inserts);
  });

  it('waits for a conference that is still pending', async () => {
    google.pendingReads = 2;
    const provider = createGoogleMeetProvider(settings);
    const meeting = await provider.create(nextRequest(), signal());
    expect(meeting.link).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(google.to('get').length).toBeGreaterThanOrEqual(2);
  });

  it('deletes an event whose conference never comes within its time', async () => {
    google.pendingReads = 1_000;
    const provider = createGoogleMeetProvider(settings);
    await expect(provider.create(nextRequest(), AbortSignal.timeout(700))).rejects.toMatchObject({
      code: 'timeout',
    });
    await expect.poll(() => google.events.at(-1)!.deleted).toBe(true);
  });

  it('refuses an event without a Meet link as bad_answer and deletes it', async () => {
    google.failNext('insert', { status: 200, body: { id: 'evnolink', status: 'confirmed' } });
    const provider = createGoogleMeetProvider(settings);
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({ code: 'bad_answer' });
    expect(google.to('delete').at(-1)!.path).toMatch(/\/events\/evnolink$/);
  });

  it.each([
    ['token', 500, 'server_error'],
    ['insert', 401, 'unauthorized'],
    ['insert', 403, 'unauthorized'],
    ['insert', 429, 'rate_limited'],
    ['insert', 503, 'server_error'],
  ])('turns a %s answer %i into %s', async (route, status, code) => {
    const provider = createGoogleMeetProvider(settings);
    google.failAlways(route, { status });
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({ code, status });
  });

  it.each([
    ['not JSON', 'insert', { garbage: 'Service Unavailable' }],
    ['an event without an id', 'insert', { status: 200, body: { hangoutLink: 'https://meet.google.com/x' } }],
    ['a link that is not https', 'insert', { status: 200, body: { id: 'evbad', hangoutLink: 'http://x' } }],
    ['a token of another shape', 'token', { status: 200, body: { access_token: 42 } }],
  ] as const)('refuses %s as bad_answer', async (_label, route, fault) => {
    google.failNext(route, fault);
    const provider = createGoogleMeetProvider(settings);
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({ code: 'bad_answer' });
  });

  it('stops waiting for a server that does not answer when its signal aborts', async () => {
    google.failNext('*', { hang: true });
    const provider = createGoogleMeetProvider(settings);
    const began = Date.now();
    await expect(provider.create(nextRequest(), AbortSignal.timeout(200))).rejects.toMatchObject({
      code: 'timeout',
    });
    expect(Date.now() - began).toBeLessThan(1_000);
  });

  it('deletes an event, and counts one that is gone already as deleted', async () => {
    const provider = createGoogleMeetProvider(settings);
    const meeting = await provider.create(nextRequest(), signal());
    await provider.remove(meeting, signal());
    expect(google.events.find((e) => e.id === meeting.meetingId)!.deleted).toBe(true);
    await expect(provider.remove(meeting, signal())).resolves.toBeUndefined();
  });
});
