// Video links end to end, against fake Zoom and Google servers: a booking gets its meeting after the
// commit (one Zoom host per time, busy hosts skipped, then Google Meet, then Jitsi), one meeting per
// session and start whatever races, a hanging provider never holds up a booking or a cancellation, the
// sweep links what was left, rescheduling makes a new meeting and deletes the old, cancelling deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachMeetingLink } from '../../src/commands/attach-meeting-link.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { FakeGoogle } from '../support/fake-google.ts';
import { FakeZoom, ZOOM_CLIENT_SECRET } from '../support/fake-zoom.ts';
import { addSlots, createPsychologist, postAs, submitApplication } from '../support/fixtures.ts';

const HOST_A = 'host-a@example.org';
const HOST_B = 'host-b@example.org';

async function session(t: TestApp, id: string) {
  return t.deps.db
    .selectFrom('hraniteli_sessions')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

/** Waits until the session has a link (the effect runs after the answer) and returns the row. */
async function linked(t: TestApp, id: string) {
  await expect.poll(async () => (await session(t, id)).meeting_link, { timeout: 8_000 }).not.toBeNull();
  return session(t, id);
}

async function clientMessages(t: TestApp, sessionId: string) {
  return t.deps.db
    .selectFrom('outbox')
    .select(['text', 'dedupe_key'])
    .where('session_id', '=', sessionId)
    .where('recipient', 'in', ['client', 'psychologist'])
    .orderBy('id')
    .execute();
}

/** Books a new slot of the psychologist at `time` for a new client; returns the answer and its time. */
async function book(t: TestApp, psychologistId: string, time: string) {
  const [slot] = await addSlots(t, psychologistId, [time]);
  const app = await submitApplication(t);
  const began = Date.now();
  const res = await t.admin({
    method: 'POST',
    url: '/process-diagnostic-session-request',
    payload: {
      client_id: app.lead_number,
      psychologist_id: psychologistId,
      slot_id: slot!.id,
      payment_info: { amount: 2500, status: 'pending' },
    },
  });
  const ms = Date.now() - began;
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json();
  return { id: body.session.id as string, body, ms, app, startIso: body.session.start_iso as string };
}

/** The fake's meetings (live or not) at a start. */
const zoomAt = (zoom: FakeZoom, iso: string) =>
  zoom.meetings.filter((m) => m.start_time === iso.replace('.000Z', 'Z'));

describe('with Zoom and Google Meet configured', () => {
  const zoom = new FakeZoom();
  const google = new FakeGoogle();
  let t: TestApp;
  let psychologists: string[];

  beforeAll(async () => {
    await zoom.start();
    await google.start();
    t = await createTestApp({
      ...zoom.env(`${HOST_A},${HOST_B}`),
      ...google.env(),
      VIDEO_TIMEOUT_MS: '1500',
    });
    psychologists = [];
    for (const name of ['Вера Видео', 'Глеб Гугл', 'Дина Джитси'])
      psychologists.push(
        (await createPsychologist(t, { name, telegram_id: `70${psychologists.length}` })).id,
      );
  });
  afterAll(async () => {
    expect(await invariantViolations(t.deps.db)).toEqual([]);
    await t.close();
    await zoom.stop();
    await google.stop();
  });

  it('gives a booked session a Zoom meeting for its time after the commit; the messages carry the link', async () => {
    const booked = await book(t, psychologists[0]!, '08.12 14:00');
    const row = await linked(t, booked.id);
    const [meeting] = zoomAt(zoom, booked.startIso);
    expect(meeting).toMatchObject({ host: HOST_A, duration: row.duration_minutes, deleted: false });
    expect(row).toMatchObject({
      meeting_platform: 'zoom',
      meeting_id: String(meeting!.id),
      meeting_link: meeting!.join_url,
      meeting_host: HOST_A,
      link_claimed_until: null,
    });
    const messages = await clientMessages(t, booked.id);
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(m.text).toContain(meeting!.join_url);
  });

  it('gives sessions booked at one time different hosts, then Google Meet when every host is taken', async () => {
    const booked = await Promise.all(psychologists.map((p) => book(t, p, '09.12 10:00')));
    const rows = await Promise.all(booked.map((b) => linked(t, b.id)));
    const zoomRows = rows.filter((r) => r.meeting_platform === 'zoom');
    expect(zoomRows.map((r) => r.meeting_host).sort()).toEqual([HOST_A, HOST_B]);
    const meet = rows.filter((r) => r.meeting_platform === 'meet');
    expect(meet).toHaveLength(1);
    expect(meet[0]!.meeting_host).toBeNull();
    expect(google.live().map((e) => e.id)).toContain(meet[0]!.meeting_id);
    expect(zoomAt(zoom, booked[0]!.startIso).filter((m) => !m.deleted)).toHaveLength(2);
  });

  it('skips a host that Zoom lists as busy then', async () => {
    zoom.addMeeting(HOST_A, '2026-12-10T07:30:00Z', 60);
    const booked = await book(t, psychologists[0]!, '10.12 10:00');
    expect((await linked(t, booked.id)).meeting_host).toBe(HOST_B);
  });

  it('makes one meeting when the effect and two more runners race for one session', async () => {
    // Slow enough that the booking answers while its effect is still waiting for Zoom.
    zoom.failNext('create', { delayMs: 1_200 });
    const booked = await book(t, psychologists[1]!, '11.12 10:00');
    expect(booked.body.session.meeting_link).toBeNull();
    const input = { sessionId: booked.id, startAt: new Date(booked.startIso), previousStart: null };
    const results = await Promise.all([attachMeetingLink(t.deps, input), attachMeetingLink(t.deps, input)]);
    // The effect holds the claim: the other two runners leave the session to it.
    expect(results).toEqual([false, false]);
    const row = await linked(t, booked.id);
    expect(zoomAt(zoom, booked.startIso).map((m) => String(m.id))).toEqual([row.meeting_id]);
    expect(await clientMessages(t, booked.id)).toHaveLength(2);
  });

  it('a runner whose claim ran out while its provider was slow loses the race and deletes its meeting', async () => {
    // The booking's effect gets a slow answer to its meeting; meanwhile its claim expires and the sweep
    // links the session with a meeting of its own.
    zoom.failNext('create', { delayMs: 1_000 });
    const booked = await book(t, psychologists[2]!, '12.12 10:00');
    expect((await session(t, booked.id)).meeting_link).toBeNull();
    t.clock.advance(10 * 60_000);
    const sweep = await t.admin({ method: 'POST', url: '/admin/jobs/meeting-links/run' });
    expect(sweep.json()).toMatchObject({ status: 'ok', result: { attached: 1 } });
    const row = await session(t, booked.id);
    await expect.poll(() => zoomAt(zoom, booked.startIso).length, { timeout: 5_000 }).toBe(2);
    await expect
      .poll(
        () =>
          zoomAt(zoom, booked.startIso)
            .filter((m) => !m.deleted)
            .map((m) => String(m.id)),
        {
          timeout: 5_000,
        },
      )
      .toEqual([row.meeting_id]);
    expect((await session(t, booked.id)).meeting_id).toBe(row.meeting_id);
    expect(await clientMessages(t, booked.id)).toHaveLength(2);
  });

  it('moves a rescheduled session to a new meeting and deletes the old one', async () => {
    const [, to] = await addSlots(t, psychologists[0]!, ['14.12 10:00', '15.12 10:00']);
    const [from] = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('id')
      .where('psychologist_id', '=', psychologists[0]!)
      .where('start_at', '=', new Date('2026-12-14T07:00:00Z'))
      .execute();
    const app = await submitApplication(t);
    const res = await t.admin({
      method: 'POST',
      url: '/process-diagnostic-session-request',
      payload: {
        client_id: app.lead_number,
        psychologist_id: psychologists[0],
        slot_id: from!.id,
        payment_info: { amount: 1, status: 'pending' },
      },
    });
    const id = res.json().session.id as string;
    const before = await linked(t, id);
    const moved = await postAs(t, app.client_token, '/reschedule-session', {
      ticket_id: app.ticket_id,
      new_slot_time: '15.12 10:00',
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const after = await linked(t, id);
    expect(after.slot_id).toBe(to!.id);
    expect(after.meeting_platform).toBe('zoom');
    expect(after.meeting_id).not.toBe(before.meeting_id);
    const [newMeeting] = zoomAt(zoom, '2026-12-15T07:00:00.000Z');
    expect(String(newMeeting!.id)).toBe(after.meeting_id);
    await expect
      .poll(() => zoom.meetings.find((m) => String(m.id) === before.meeting_id)!.deleted)
      .toBe(true);
    const rescheduled = (await clientMessages(t, id)).filter((m) => m.text.includes('перенесена'));
    expect(rescheduled.length).toBeGreaterThan(0);
    for (const m of rescheduled) expect(m.text).toContain(after.meeting_link);
  });

  it('deletes the meeting of a cancelled session; a Zoom that fails to delete does not stop the cancel', async () => {
    const first = await book(t, psychologists[1]!, '16.12 10:00');
    const row = await linked(t, first.id);
    const cancel = await postAs(t, first.app.client_token, '/cancel-session', {
      ticket_id: first.app.ticket_id,
      cancellation_reason: 'не получится',
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    await expect.poll(() => zoom.meetings.find((m) => String(m.id) === row.meeting_id)!.deleted).toBe(true);

    const second = await book(t, psychologists[1]!, '17.12 10:00');
    const secondRow = await linked(t, second.id);
    zoom.failNext('delete', { status: 500 });
    const again = await postAs(t, second.app.client_token, '/cancel-session', {
      ticket_id: second.app.ticket_id,
      cancellation_reason: 'не получится',
    });
    expect(again.statusCode).toBe(200);
    expect((await session(t, second.id)).status).toBe('cancelled');
    expect(zoom.meetings.find((m) => String(m.id) === secondRow.meeting_id)!.deleted).toBe(false);
    await expect.poll(() => t.logs.text()).toContain('video meeting not deleted');
  });

  it('POST /generate-conference-link returns a session’s one link, makes it when missing, or a bare one', async () => {
    const booked = await book(t, psychologists[2]!, '18.12 10:00');
    const row = await linked(t, booked.id);
    const creates = zoom.to('create').length;
    const bySession = await t.admin({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { session_id: booked.id },
    });
    expect(bySession.statusCode, bySession.body).toBe(200);
    expect(bySession.json()).toEqual({
      success: true,
      link: row.meeting_link,
      platform: 'zoom',
      meeting_id: row.meeting_id,
      session_id: booked.id,
    });
    const byTicket = await t.admin({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { ticket_id: booked.app.ticket_id },
    });
    expect(byTicket.json().link).toBe(row.meeting_link);
    const byTime = await t.admin({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { start: booked.startIso, psychologist: 'Дина Джитси' },
    });
    expect(byTime.json().meeting_id).toBe(row.meeting_id);
    expect(zoom.to('create').length).toBe(creates);

    // A session whose link was never made (the effect lost): made now, stored, messages written.
    const other = await book(t, psychologists[2]!, '19.12 10:00');
    const otherRow = await linked(t, other.id);
    await t.deps.db
      .updateTable('hraniteli_sessions')
      .set({ meeting_link: null, meeting_id: null, meeting_platform: null, meeting_host: null })
      .where('id', '=', other.id)
      .execute();
    await t.deps.db.deleteFrom('outbox').where('session_id', '=', other.id).execute();
    const made = await t.admin({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { session_id: other.id },
    });
    expect(made.statusCode, made.body).toBe(200);
    expect(made.json().link).not.toBe(otherRow.meeting_link);
    expect((await session(t, other.id)).meeting_link).toBe(made.json().link);
    expect(await clientMessages(t, other.id)).toHaveLength(2);

    const bare = await t.admin({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { start: '2026-12-20T15:00:00Z', duration_minutes: 45 },
    });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json()).toMatchObject({ success: true, platform: 'zoom', session_id: null });
    expect(zoom.live().find((m) => String(m.id) === bare.json().meeting_id)).toMatchObject({ duration: 45 });
  });

  it('POST /generate-conference-link takes start as "DD.MM HH:mm" or "YYYY-MM-DD HH:mm", in Moscow', async () => {
    const booked = await book(t, psychologists[1]!, '23.12 10:00');
    const row = await linked(t, booked.id);
    const post = (payload: object) => t.admin({ method: 'POST', url: '/generate-conference-link', payload });
    for (const start of ['23.12 10:00', '2026-12-23 10:00', '2026-12-23T07:00:00Z']) {
      const res = await post({ start, psychologist: 'Глеб Гугл' });
      expect(res.statusCode, `${start}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ session_id: booked.id, link: row.meeting_link });
    }
    // A bare time: the meeting is made for that Moscow time (the year rule picks this December).
    const bare = await post({ start: '24.12 15:30', duration_minutes: 30 });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json().session_id).toBeNull();
    const made = zoom.meetings.find((m) => String(m.id) === bare.json().meeting_id);
    expect(made).toMatchObject({ start_time: '2026-12-24T12:30:00Z', duration: 30 });
    const refused = await post({ start: '31.02 10:00' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details[0].field).toBe('start');
  });

  it('POST /generate-conference-link waits for the link another runner is making', async () => {
    zoom.failNext('create', { delayMs: 1_000 });
    const booked = await book(t, psychologists[0]!, '22.12 10:00');
    expect(booked.body.session.meeting_link).toBeNull();
    const res = await t.admin({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { session_id: booked.id },
    });
    expect(res.statusCode, res.body).toBe(200);
    const row = await session(t, booked.id);
    expect(res.json()).toMatchObject({
      link: row.meeting_link,
      meeting_id: row.meeting_id,
      platform: 'zoom',
    });
    expect(zoomAt(zoom, booked.startIso).map((m) => String(m.id))).toEqual([row.meeting_id]);
  });

  it('POST /generate-conference-link refuses what it cannot link', async () => {
    const post = (payload: object, headers = {}) =>
      t.admin({ method: 'POST', url: '/generate-conference-link', payload, headers });
    expect((await post({})).statusCode).toBe(400);
    expect((await post({ session_id: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    expect((await post({ start: 'tomorrow' })).statusCode).toBe(400);
    expect((await post({ start: '2026-12-20T15:00:00Z', psychologist: 'Никто Никакой' })).statusCode).toBe(
      404,
    );
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { start: '2026-12-20T15:00:00Z' },
    });
    expect(anonymous.statusCode).toBe(401);
    const app = await submitApplication(t);
    const asClient = await postAs(t, app.client_token, '/generate-conference-link', {
      start: '2026-12-20T15:00:00Z',
    });
    expect(asClient.statusCode).toBe(401);
    const cancelled = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select('id')
      .where('status', '=', 'cancelled')
      .executeTakeFirstOrThrow();
    const res = await post({ session_id: cancelled.id });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.type).toBe('session_not_active');
  });

  it('GET /admin/video shows the providers in order and their last error, and nothing secret', async () => {
    zoom.failNext('create', { status: 429 });
    await t.admin({
      method: 'POST',
      url: '/generate-conference-link',
      payload: { start: '2026-12-21T15:00:00Z' },
    });
    const res = await t.admin({ method: 'GET', url: '/admin/video' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ success: true, timeout_ms: 1500, zoom_hosts: 2 });
    expect(body.providers.map((p: { platform: string; order: number }) => [p.platform, p.order])).toEqual([
      ['zoom', 1],
      ['meet', 2],
      ['jitsi', 3],
    ]);
    expect(body.providers[0].last_error).toMatchObject({
      code: 'rate_limited',
      message: 'zoom create meeting: HTTP 429',
    });
    expect(body.providers[1].last_success_at).not.toBeNull();
    for (const secret of [ZOOM_CLIENT_SECRET, 'PRIVATE KEY', HOST_A, 'zoom-token', 'ya29'])
      expect(res.body).not.toContain(secret);
    expect((await t.app.inject({ method: 'GET', url: '/admin/video' })).statusCode).toBe(401);
  });

  it('logs no credential, token, host or meeting password', () => {
    const text = t.logs.text();
    for (const secret of [
      ZOOM_CLIENT_SECRET,
      'zoom-token-',
      'ya29',
      'secretpwd',
      'PRIVATE KEY',
      'host-a@',
      'host-b@',
    ])
      expect(text).not.toContain(secret);
  });
});

describe('with a Zoom that does not answer', () => {
  const zoom = new FakeZoom();
  let t: TestApp;
  let psychologistId: string;

  beforeAll(async () => {
    await zoom.start();
    t = await createTestApp({ ...zoom.env(HOST_A), VIDEO_TIMEOUT_MS: '1500' });
    psychologistId = (await createPsychologist(t, { name: 'Жанна Ждущая' })).id;
  });
  afterAll(async () => {
    expect(await invariantViolations(t.deps.db)).toEqual([]);
    await t.close();
    await zoom.stop();
  });

  it('answers a booking within a second; the session gets a Jitsi link once Zoom’s time is up', async () => {
    zoom.failAlways('*', { hang: true });
    try {
      const booked = await book(t, psychologistId, '08.12 16:00');
      expect(booked.ms).toBeLessThan(1_000);
      expect(booked.body.session.meeting_link).toBeNull();
      // The effect still holds its claim: the sweep leaves the session to it.
      const sweep = await t.admin({ method: 'POST', url: '/admin/jobs/meeting-links/run' });
      expect(sweep.json()).toMatchObject({ result: { attached: 0 } });
      const row = await linked(t, booked.id);
      expect(row.meeting_platform).toBe('jitsi');
      expect(await clientMessages(t, booked.id)).toHaveLength(2);
      const video = (await t.admin({ method: 'GET', url: '/admin/video' })).json();
      expect(video.providers[0]).toMatchObject({ configured: true, last_error: { code: 'timeout' } });
      expect(video.providers[1]).toMatchObject({ platform: 'meet', configured: false, order: null });
    } finally {
      zoom.clearFaults();
    }
  });

  it('a session left without a link (its effect lost) gets one from the sweep', async () => {
    zoom.failAlways('*', { hang: true });
    const booked = await book(t, psychologistId, '09.12 16:00');
    expect(booked.ms).toBeLessThan(1_000);
    // As if the instance died mid-effect: its claim runs out, and Zoom is back.
    t.clock.advance(10 * 60_000);
    zoom.clearFaults();
    const sweep = await t.admin({ method: 'POST', url: '/admin/jobs/meeting-links/run' });
    expect(sweep.json()).toMatchObject({ status: 'ok', result: { attached: 1 } });
    const row = await session(t, booked.id);
    expect(row.meeting_platform).toBe('zoom');
    expect(await clientMessages(t, booked.id)).toHaveLength(2);
    // The lost effect's late Jitsi link changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect((await session(t, booked.id)).meeting_link).toBe(row.meeting_link);
    expect(await clientMessages(t, booked.id)).toHaveLength(2);
  });

  it('answers a cancellation within a second while the meeting’s deletion hangs', async () => {
    const booked = await book(t, psychologistId, '10.12 16:00');
    const row = await linked(t, booked.id);
    expect(row.meeting_platform).toBe('zoom');
    zoom.failAlways('delete', { hang: true });
    try {
      const began = Date.now();
      const res = await postAs(t, booked.app.client_token, '/cancel-session', {
        ticket_id: booked.app.ticket_id,
        cancellation_reason: 'заболела',
      });
      expect(res.statusCode).toBe(200);
      expect(Date.now() - began).toBeLessThan(1_000);
      expect((await session(t, booked.id)).status).toBe('cancelled');
    } finally {
      zoom.clearFaults();
    }
  });
});
