// Zoom meetings through a server-to-server OAuth app: an account_credentials token (kept until shortly
// before it expires) and the REST API. A Zoom user hosts one meeting at a time, so each meeting goes to
// the first host of ZOOM_HOSTS that is free then — free in our sessions (the calendar below) and per
// Zoom's own list of the host's upcoming meetings. All busy → the next provider.
import { Type } from 'typebox';
import { ConfigError, type Config } from '../config.ts';
import { callApi, expectShape, isMeetingLink } from './http.ts';
import {
  MeetingNotNeeded,
  VideoProviderError,
  deleteUnlessGone,
  type Meeting,
  type MeetingRequest,
  type VideoProvider,
} from './video.ts';

export interface ZoomSettings {
  accountId: string;
  clientId: string;
  clientSecret: string;
  hosts: string[];
  apiBase: string;
  oauthBase: string;
}

/** Our side of "is this host free then": the sessions table. */
export interface ZoomHostCalendar {
  /**
   * Takes `host` for the request's time unless another session of ours holds it then: 'reserved',
   * 'busy', or 'gone' when the request's session no longer needs a meeting at that time.
   */
  reserve(host: string, request: MeetingRequest): Promise<'reserved' | 'busy' | 'gone'>;
}

/** The Zoom settings when the three credentials are set; none of them → no Zoom; some → a start error. */
export function zoomSettings(config: Config['zoom']): ZoomSettings | undefined {
  const { accountId, clientId, clientSecret } = config;
  const set = [accountId, clientId, clientSecret].filter(Boolean).length;
  if (set === 0) return undefined;
  if (!accountId || !clientId || !clientSecret) {
    throw new ConfigError('Zoom needs ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET together');
  }
  if (!config.hosts.length) throw new ConfigError('ZOOM_HOSTS must name at least one Zoom user');
  return { ...config, accountId, clientId, clientSecret };
}

const TokenAnswer = Type.Object({
  access_token: Type.String({ minLength: 1, maxLength: 10_000 }),
  expires_in: Type.Number({ minimum: 1 }),
});
const MeetingAnswer = Type.Object({
  id: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\d{1,20}$' })]),
  join_url: Type.String({ minLength: 1, maxLength: 2000 }),
});
const ListAnswer = Type.Object({
  meetings: Type.Array(
    Type.Object({
      start_time: Type.Optional(Type.String()),
      duration: Type.Optional(Type.Number()),
    }),
  ),
  next_page_token: Type.Optional(Type.String({ maxLength: 1000 })),
});

/** A token is used until this long before Zoom says it expires. */
const TOKEN_MARGIN_MS = 60_000;
/** Pages of a host's upcoming meetings read at most (300 each). */
const MAX_LIST_PAGES = 5;
/** What invitees see as the meeting's name: nothing personal. */
const TOPIC = 'Сессия «Хранители»';

/** `now` reads the wall clock of token expiry (tests move it). */
export function createZoomProvider(
  settings: ZoomSettings,
  calendar: ZoomHostCalendar,
  now: () => number = Date.now,
): VideoProvider {
  let cached: { token: string; until: number } | undefined;

  async function token(signal: AbortSignal): Promise<string> {
    if (cached && cached.until > now()) return cached.token;
    const credentials = Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString('base64');
    const answer = expectShape(
      TokenAnswer,
      await callApi({
        method: 'POST',
        // Zoom documents the grant's parameters in the query string.
        url: `${settings.oauthBase}/oauth/token?${new URLSearchParams({ grant_type: 'account_credentials', account_id: settings.accountId })}`,
        what: 'zoom token',
        headers: { authorization: `Basic ${credentials}` },
        signal,
      }),
      'zoom token',
    );
    const lifetime = answer.expires_in * 1000;
    cached = {
      token: answer.access_token,
      until: now() + (lifetime > 2 * TOKEN_MARGIN_MS ? lifetime - TOKEN_MARGIN_MS : lifetime / 2),
    };
    return cached.token;
  }

  /** A call with the bearer token; a 401 (token revoked or expired early) gets one fresh token and retry. */
  async function api(
    request: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; what: string; body?: object },
    signal: AbortSignal,
  ): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const bearer = await token(signal);
      try {
        return await callApi({
          method: request.method,
          url: `${settings.apiBase}${request.path}`,
          what: request.what,
          headers: { authorization: `Bearer ${bearer}` },
          ...(request.body ? { body: request.body } : {}),
          signal,
        });
      } catch (error) {
        if (!(error instanceof VideoProviderError) || error.status !== 401 || attempt > 1) throw error;
        if (cached?.token === bearer) cached = undefined;
      }
    }
  }

  /** True when Zoom lists a meeting of the host overlapping [start, end). */
  async function busyAtZoom(host: string, start: number, end: number, signal: AbortSignal) {
    let pageToken = '';
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = new URLSearchParams({ type: 'upcoming', page_size: '300' });
      if (pageToken) query.set('next_page_token', pageToken);
      const answer = expectShape(
        ListAnswer,
        await api(
          { method: 'GET', path: `/users/${encodeURIComponent(host)}/meetings?${query}`, what: 'zoom list' },
          signal,
        ),
        'zoom list',
      );
      for (const meeting of answer.meetings) {
        // Meetings without a fixed time (recurring with no time) hold no time.
        if (!meeting.start_time || meeting.duration === undefined) continue;
        const from = Date.parse(meeting.start_time);
        if (Number.isNaN(from)) continue;
        if (from < end && from + meeting.duration * 60_000 > start) return true;
      }
      if (!answer.next_page_token) return false;
      pageToken = answer.next_page_token;
    }
    // More meetings than we read: assume the host is busy rather than double-book it.
    return true;
  }

  async function deleteMeeting(meeting: { meetingId: string }, signal: AbortSignal): Promise<void> {
    await deleteUnlessGone(
      api(
        {
          method: 'DELETE',
          path: `/meetings/${encodeURIComponent(meeting.meetingId)}`,
          what: 'zoom delete meeting',
        },
        signal,
      ),
    );
  }

  return {
    platform: 'zoom',

    async create(request, signal): Promise<Meeting> {
      const start = request.startAt.getTime();
      const end = start + request.durationMinutes * 60_000;
      for (const host of settings.hosts) {
        const reservation = await calendar.reserve(host, request);
        if (reservation === 'gone') throw new MeetingNotNeeded();
        if (reservation === 'busy') continue;
        if (await busyAtZoom(host, start, end, signal)) continue;
        const answer = expectShape(
          MeetingAnswer,
          await api(
            {
              method: 'POST',
              path: `/users/${encodeURIComponent(host)}/meetings`,
              what: 'zoom create meeting',
              body: {
                topic: TOPIC,
                type: 2,
                start_time: request.startAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
                duration: request.durationMinutes,
                timezone: 'UTC',
                // The hosts are the service's users: the psychologist and the client join on their own.
                settings: {
                  join_before_host: true,
                  jbh_time: 0,
                  waiting_room: false,
                  approval_type: 2,
                  auto_recording: 'none',
                },
              },
            },
            signal,
          ),
          'zoom create meeting',
        );
        const meeting: Meeting = {
          link: answer.join_url,
          platform: 'zoom',
          meetingId: String(answer.id),
          host,
        };
        if (!isMeetingLink(answer.join_url)) {
          await deleteMeeting(meeting, signal).catch(() => {});
          throw new VideoProviderError('bad_answer', 'zoom create meeting: the join link is not https');
        }
        return meeting;
      }
      throw new VideoProviderError('hosts_busy', 'every Zoom host has a meeting at that time');
    },

    remove: deleteMeeting,
  };
}
