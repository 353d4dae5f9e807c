// The provider chain: Zoom → Google Meet → Jitsi with fake Zoom and Google servers up, busy, failing or
// hanging; each provider within its time; what an operator sees of the last failure.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeGoogle } from '../../test/support/fake-google.ts';
import { FakeZoom } from '../../test/support/fake-zoom.ts';
import { captureLogs } from '../../test/support/logs.ts';
import { loadConfig } from '../config.ts';
import { ManualClock } from '../domain/clock.ts';
import { createGoogleMeetProvider, googleSettings } from './google-meet.ts';
import {
  createJitsiProvider,
  firstAvailable,
  MeetingNotNeeded,
  type MeetingRequest,
  type VideoProvider,
} from './video.ts';
import { createZoomProvider, zoomSettings } from './zoom.ts';

const zoom = new FakeZoom();
const google = new FakeGoogle();
const HOSTS = 'host-a@example.org,host-b@example.org';
let start = Date.parse('2027-03-01T10:00:00Z');
const clock = new ManualClock('2027-01-01T00:00:00Z');

function nextRequest(): MeetingRequest {
  start += 24 * 3600_000;
  return { sessionId: 's', startAt: new Date(start), durationMinutes: 60 };
}

function chain(timeoutMs = 400, only: ('zoom' | 'meet')[] = ['zoom', 'meet']) {
  const config = loadConfig({ ...zoom.env(HOSTS), ...google.env() });
  const providers: VideoProvider[] = [];
  if (only.includes('zoom'))
    providers.push(createZoomProvider(zoomSettings(config.zoom)!, { reserve: async () => 'reserved' }));
  if (only.includes('meet')) providers.push(createGoogleMeetProvider(googleSettings(config.google)!));
  providers.push(createJitsiProvider(config.jitsi));
  const logs = captureLogs();
  return { video: firstAvailable(providers, { timeoutMs, log: logs.logger, clock }), logs };
}

beforeAll(async () => {
  await zoom.start();
  await google.start();
});
afterEach(() => {
  zoom.clearFaults();
  google.clearFaults();
});
afterAll(async () => {
  await zoom.stop();
  await google.stop();
});

describe('the provider chain', () => {
  it('uses Zoom when it is up', async () => {
    const { video } = chain();
    const meeting = await video.create(nextRequest());
    expect(meeting.platform).toBe('zoom');
    expect(video.status().map((s) => [s.platform, s.lastSuccessAt !== null, s.lastError])).toEqual([
      ['zoom', true, null],
      ['meet', false, null],
      ['jitsi', false, null],
    ]);
  });

  it('falls to Google Meet when every Zoom host is busy', async () => {
    const { video } = chain();
    const request = nextRequest();
    zoom.addMeeting('host-a@example.org', request.startAt.toISOString(), 60);
    zoom.addMeeting('host-b@example.org', request.startAt.toISOString(), 60);
    const meeting = await video.create(request);
    expect(meeting.platform).toBe('meet');
    expect(video.status()[0]!.lastError).toMatchObject({ code: 'hosts_busy' });
  });

  it.each([
    ['a 500', { status: 500 }, 'server_error'],
    ['a 429', { status: 429 }, 'rate_limited'],
    ['garbage', { garbage: '}{' }, 'bad_answer'],
  ] as const)('falls to Google Meet when Zoom answers %s', async (_label, fault, code) => {
    const { video } = chain();
    zoom.failAlways('create', fault);
    const meeting = await video.create(nextRequest());
    expect(meeting.platform).toBe('meet');
    expect(video.status()[0]!.lastError).toMatchObject({ code });
  });

  it('falls to Jitsi when Zoom and Google both fail', async () => {
    const { video, logs } = chain();
    zoom.failAlways('token', { status: 401 });
    google.failAlways('insert', { status: 500 });
    const meeting = await video.create(nextRequest());
    expect(meeting.platform).toBe('jitsi');
    expect(meeting.link).toMatch(/^https:\/\/meet\.jit\.si\/hrani-[A-Za-z0-9]{20}$/);
    const [z, g, j] = video.status();
    expect(z!.lastError).toMatchObject({ code: 'unauthorized', message: 'zoom token: HTTP 401' });
    expect(g!.lastError).toMatchObject({ code: 'server_error' });
    expect(j!.lastSuccessAt).not.toBeNull();
    expect(logs.text()).toContain('"provider":"zoom"');
  });

  it('falls through hanging servers within each provider’s time', async () => {
    const { video } = chain(300);
    zoom.failAlways('*', { hang: true });
    google.failAlways('*', { hang: true });
    const began = Date.now();
    const meeting = await video.create(nextRequest());
    const took = Date.now() - began;
    expect(meeting.platform).toBe('jitsi');
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(1_500);
    expect(video.status()[0]!.lastError).toMatchObject({ code: 'timeout' });
  });

  it('falls to Jitsi with Zoom alone configured and failing', async () => {
    const { video } = chain(400, ['zoom']);
    zoom.failAlways('list', { status: 502 });
    expect((await video.create(nextRequest())).platform).toBe('jitsi');
  });

  it('deletes a meeting made after its provider’s time was up', async () => {
    const late: VideoProvider = {
      platform: 'zoom',
      create: () =>
        new Promise((resolve) =>
          setTimeout(
            () => resolve({ link: 'https://zoom.example/j/1', platform: 'zoom', meetingId: '1' }),
            150,
          ),
        ),
      remove: async (meeting) => {
        removed.push(meeting.meetingId);
      },
    };
    const removed: string[] = [];
    const video = firstAvailable([late, createJitsiProvider(loadConfig({}).jitsi)], {
      timeoutMs: 50,
      log: captureLogs().logger,
      clock,
    });
    expect((await video.create(nextRequest())).platform).toBe('jitsi');
    await expect.poll(() => removed).toEqual(['1']);
  });

  it('stops the chain when the session no longer needs a meeting', async () => {
    const asked: string[] = [];
    const gone: VideoProvider = {
      platform: 'zoom',
      create: async () => Promise.reject(new MeetingNotNeeded()),
      remove: async () => {},
    };
    const jitsi = createJitsiProvider(loadConfig({}).jitsi);
    const spy: VideoProvider = { ...jitsi, create: (r, s) => (asked.push('jitsi'), jitsi.create(r, s)) };
    const video = firstAvailable([gone, spy], { timeoutMs: 50, log: captureLogs().logger, clock });
    await expect(video.create(nextRequest())).rejects.toBeInstanceOf(MeetingNotNeeded);
    expect(asked).toEqual([]);
  });

  it('deletes a meeting at its provider, and reports (never throws) when it cannot', async () => {
    const { video } = chain();
    const meeting = await video.create(nextRequest());
    expect(await video.remove(meeting)).toBe(true);
    expect(zoom.meetings.find((m) => String(m.id) === meeting.meetingId)!.deleted).toBe(true);
    zoom.failAlways('delete', { hang: true });
    expect(await video.remove({ ...meeting, meetingId: '123' })).toBe(false);
    expect(await video.remove({ platform: 'whereby', meetingId: 'x' })).toBe(false);
  });

  it('logs no credential, token or link secret', async () => {
    const { video, logs } = chain();
    zoom.failNext('create', { status: 500 });
    await video.create(nextRequest());
    await video.create(nextRequest());
    const text = logs.text();
    for (const secret of ['zoom-client-secret', 'zoom-token-', 'ya29', 'secretpwd', 'PRIVATE KEY', 'host-a@'])
      expect(text).not.toContain(secret);
  });
});
