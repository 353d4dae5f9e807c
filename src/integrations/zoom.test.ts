// The Zoom provider against a fake Zoom API: the token exchange and its reuse, meetings on the first
// free host, busy hosts (ours and Zoom's), error answers, garbage, a hanging server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeZoom, ZOOM_ACCOUNT, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET } from '../../test/support/fake-zoom.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { MeetingNotNeeded, VideoProviderError, type MeetingRequest } from './video.ts';
import { createZoomProvider, zoomSettings, type ZoomHostCalendar, type ZoomSettings } from './zoom.ts';

const zoom = new FakeZoom();
const HOST_A = 'host-a@example.org';
const HOST_B = 'host-b@example.org';
let settings: ZoomSettings;
let start = Date.parse('2027-01-11T10:00:00Z');

/** A request at a time no other test uses. */
function nextRequest(durationMinutes = 50): MeetingRequest {
  start += 24 * 3600_000;
  return { sessionId: 'session-1', startAt: new Date(start), durationMinutes };
}

const free: ZoomHostCalendar = { reserve: async () => 'reserved' };
const signal = () => AbortSignal.timeout(5_000);

beforeAll(async () => {
  await zoom.start();
  settings = zoomSettings(loadConfig(zoom.env(`${HOST_A},${HOST_B}`)).zoom)!;
});
afterEach(() => zoom.clearFaults());
afterAll(() => zoom.stop());

describe('zoom settings', () => {
  it('are off without credentials, and refuse to start with only some of them', () => {
    expect(zoomSettings(loadConfig({}).zoom)).toBeUndefined();
    expect(() => zoomSettings(loadConfig({ ZOOM_ACCOUNT_ID: ZOOM_ACCOUNT }).zoom)).toThrow(ConfigError);
    expect(zoomSettings(loadConfig(zoom.env()).zoom)).toMatchObject({ clientId: ZOOM_CLIENT_ID });
  });
});

describe('zoom provider', () => {
  it('trades the client credentials for a token and creates a meeting for the time on the first host', async () => {
    const provider = createZoomProvider(settings, free);
    const before = zoom.requests.length;
    const request = nextRequest(50);
    const meeting = await provider.create(request, signal());

    const token = zoom.requests[before]!;
    expect(token.path).toBe('/oauth/token');
    expect(token.query.get('grant_type')).toBe('account_credentials');
    expect(token.query.get('account_id')).toBe(ZOOM_ACCOUNT);
    expect(token.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ZOOM_CLIENT_ID}:${ZOOM_CLIENT_SECRET}`).toString('base64')}`,
    );
    const created = zoom.to('create').at(-1)!;
    expect(created.path).toBe(`/v2/users/${encodeURIComponent(HOST_A)}/meetings`);
    expect(created.body).toMatchObject({
      type: 2,
      start_time: request.startAt.toISOString().replace('.000Z', 'Z'),
      duration: 50,
      settings: { join_before_host: true },
    });
    const made = zoom.live().at(-1)!;
    expect(meeting).toEqual({
      link: made.join_url,
      platform: 'zoom',
      meetingId: String(made.id),
      host: HOST_A,
    });
  });

  it('keeps the token until shortly before it expires, then fetches a new one', async () => {
    let now = Date.parse('2027-01-01T00:00:00Z');
    const provider = createZoomProvider(settings, free, () => now);
    const tokensBefore = zoom.to('token').length;
    await provider.create(nextRequest(), signal());
    await provider.create(nextRequest(), signal());
    expect(zoom.to('token').length - tokensBefore).toBe(1);
    now += 3599_000 - 59_000; // less than a minute before expiry: no longer used
    await provider.create(nextRequest(), signal());
    expect(zoom.to('token').length - tokensBefore).toBe(2);
  });

  it('gets a fresh token once when Zoom stops accepting the cached one', async () => {
    const provider = createZoomProvider(settings, free);
    await provider.create(nextRequest(), signal());
    zoom.revokeTokens();
    const tokensBefore = zoom.to('token').length;
    const meeting = await provider.create(nextRequest(), signal());
    expect(meeting.platform).toBe('zoom');
    expect(zoom.to('token').length - tokensBefore).toBe(1);
  });

  it('takes the next host when Zoom lists an overlapping meeting on the first', async () => {
    const provider = createZoomProvider(settings, free);
    const request = nextRequest(60);
    zoom.addMeeting(HOST_A, new Date(start + 30 * 60_000).toISOString(), 60);
    const meeting = await provider.create(request, signal());
    expect(meeting.host).toBe(HOST_B);
    // A meeting ending exactly at the start does not overlap.
    const next = nextRequest(60);
    zoom.addMeeting(HOST_A, new Date(start - 60 * 60_000).toISOString(), 60);
    expect((await provider.create(next, signal())).host).toBe(HOST_A);
  });

  it('takes the next host when our sessions hold the first, without asking Zoom about it', async () => {
    const calendar: ZoomHostCalendar = { reserve: async (host) => (host === HOST_A ? 'busy' : 'reserved') };
    const provider = createZoomProvider(settings, calendar);
    const lists = zoom.to('list').length;
    const meeting = await provider.create(nextRequest(), signal());
    expect(meeting.host).toBe(HOST_B);
    expect(
      zoom
        .to('list')
        .slice(lists)
        .map((r) => r.path),
    ).toEqual([`/v2/users/${encodeURIComponent(HOST_B)}/meetings`]);
  });

  it('gives up with hosts_busy when every host has a meeting then', async () => {
    const provider = createZoomProvider(settings, free);
    const request = nextRequest(60);
    zoom.addMeeting(HOST_A, request.startAt.toISOString(), 60);
    zoom.addMeeting(HOST_B, new Date(start + 59 * 60_000).toISOString(), 30);
    const creates = zoom.to('create').length;
    await expect(provider.create(request, signal())).rejects.toMatchObject({ code: 'hosts_busy' });
    expect(zoom.to('create').length).toBe(creates);
  });

  it('stops when the session no longer needs a meeting', async () => {
    const provider = createZoomProvider(settings, { reserve: async () => 'gone' });
    await expect(provider.create(nextRequest(), signal())).rejects.toBeInstanceOf(MeetingNotNeeded);
  });

  it.each([
    ['token', 401, 'unauthorized'],
    ['token', 500, 'server_error'],
    ['create', 429, 'rate_limited'],
    ['create', 500, 'server_error'],
    ['list', 503, 'server_error'],
    ['create', 400, 'rejected'],
  ])('turns a %s answer %i into %s', async (route, status, code) => {
    const provider = createZoomProvider(settings, free);
    zoom.failNext(route, { status, body: { message: 'nope' } });
    const error = await provider.create(nextRequest(), signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoProviderError);
    expect(error).toMatchObject({ code, status });
  });

  it('a token refused with 401 every time is not asked for in a loop', async () => {
    const provider = createZoomProvider(settings, free);
    zoom.revokeTokens();
    zoom.failAlways('create', { status: 401, body: { code: 124 } });
    const tokens = zoom.to('token').length;
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({ code: 'unauthorized' });
    expect(zoom.to('token').length - tokens).toBeLessThanOrEqual(2);
  });

  it.each([
    ['not JSON', 'create', { garbage: '<html>oops</html>' }],
    ['JSON of another shape', 'create', { status: 201, body: { id: 'abc', url: 'x' } }],
    ['a token of another shape', 'token', { status: 200, body: { token: 'x' } }],
    ['a list of another shape', 'list', { status: 200, body: { meetings: 'none' } }],
    ['an empty answer', 'create', { garbage: '' }],
  ] as const)('refuses %s as bad_answer', async (_label, route, fault) => {
    const provider = createZoomProvider(settings, free);
    zoom.failNext(route, fault);
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({ code: 'bad_answer' });
  });

  it('refuses a join link that is not https, and deletes the meeting it got', async () => {
    const provider = createZoomProvider(settings, free);
    zoom.failNext('create', { status: 201, body: { id: 81_999_999_999, join_url: 'javascript:alert(1)' } });
    const deletes = zoom.to('delete').length;
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({ code: 'bad_answer' });
    expect(
      zoom
        .to('delete')
        .slice(deletes)
        .map((r) => r.path),
    ).toEqual(['/v2/meetings/81999999999']);
  });

  it('stops waiting for a server that does not answer when its signal aborts', async () => {
    const provider = createZoomProvider(settings, free);
    zoom.failNext('*', { hang: true });
    const began = Date.now();
    await expect(provider.create(nextRequest(), AbortSignal.timeout(200))).rejects.toMatchObject({
      code: 'timeout',
    });
    expect(Date.now() - began).toBeLessThan(1_000);
  });

  it('fails with network when nothing listens', async () => {
    const provider = createZoomProvider(
      { ...settings, oauthBase: 'http://127.0.0.1:9', apiBase: 'http://127.0.0.1:9' },
      free,
    );
    await expect(provider.create(nextRequest(), signal())).rejects.toMatchObject({ code: 'network' });
  });

  it('deletes a meeting, and counts one that is gone already as deleted', async () => {
    const provider = createZoomProvider(settings, free);
    const meeting = await provider.create(nextRequest(), signal());
    await provider.remove(meeting, signal());
    expect(zoom.meetings.find((m) => String(m.id) === meeting.meetingId)!.deleted).toBe(true);
    await expect(provider.remove(meeting, signal())).resolves.toBeUndefined();
    zoom.failNext('delete', { status: 500 });
    await expect(provider.remove(meeting, signal())).rejects.toMatchObject({ code: 'server_error' });
  });
});
