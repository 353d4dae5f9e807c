// Google Meet links: a Calendar event with a Meet conference, made through a service account. The
// account signs a JWT (RS256, node:crypto) and trades it for an access token (kept until shortly before
// it expires); the event is created with conferenceData.createRequest and the Meet link read from it.
// No Google client library: two REST calls and a signature do not earn one.
import { createPrivateKey, createSign, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { ConfigError, type Config } from '../config.ts';
import { callApi, expectShape, isMeetingLink } from './http.ts';
import { deleteUnlessGone, VideoProviderError, type Meeting, type VideoProvider } from './video.ts';

export interface GoogleSettings {
  clientEmail: string;
  privateKey: KeyObject;
  keyId: string | undefined;
  calendarId: string;
  apiBase: string;
  oauthBase: string;
}

const ServiceAccount = Type.Object({
  client_email: Type.String({ minLength: 3 }),
  private_key: Type.String({ minLength: 1 }),
  private_key_id: Type.Optional(Type.String()),
});

/**
 * The Google settings when both GOOGLE_SERVICE_ACCOUNT_JSON (the key file's JSON, or a path to it) and
 * GOOGLE_CALENDAR_ID are set; neither → no Google; one, or an unreadable key → a start error.
 */
export function googleSettings(config: Config['google']): GoogleSettings | undefined {
  const { serviceAccountJson, calendarId } = config;
  if (!serviceAccountJson && !calendarId) return undefined;
  if (!serviceAccountJson || !calendarId) {
    throw new ConfigError('Google Meet needs GOOGLE_SERVICE_ACCOUNT_JSON and GOOGLE_CALENDAR_ID together');
  }
  let parsed: unknown;
  try {
    const text = serviceAccountJson.startsWith('{')
      ? serviceAccountJson
      : readFileSync(serviceAccountJson, 'utf8');
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(
      'GOOGLE_SERVICE_ACCOUNT_JSON must be a service account key (JSON) or a path to one',
    );
  }
  const account = expectServiceAccount(parsed);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(account.private_key);
  } catch {
    throw new ConfigError('GOOGLE_SERVICE_ACCOUNT_JSON: private_key is not a readable private key');
  }
  return {
    clientEmail: account.client_email,
    privateKey,
    keyId: account.private_key_id,
    calendarId,
    apiBase: config.apiBase,
    oauthBase: config.oauthBase,
  };
}

function expectServiceAccount(value: unknown) {
  try {
    return expectShape(ServiceAccount, value, 'service account');
  } catch {
    throw new ConfigError('GOOGLE_SERVICE_ACCOUNT_JSON lacks client_email or private_key');
  }
}

const TokenAnswer = Type.Object({
  access_token: Type.String({ minLength: 1, maxLength: 10_000 }),
  expires_in: Type.Number({ minimum: 1 }),
});
const EventAnswer = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 1024 }),
  hangoutLink: Type.Optional(Type.String()),
  conferenceData: Type.Optional(
    Type.Object({
      createRequest: Type.Optional(
        Type.Object({ status: Type.Optional(Type.Object({ statusCode: Type.String() })) }),
      ),
      entryPoints: Type.Optional(
        Type.Array(Type.Object({ entryPointType: Type.String(), uri: Type.String() })),
      ),
    }),
  ),
});
type EventAnswer = Static<typeof EventAnswer>;

const SCOPE = 'https://www.googleapis.com/auth/calendar.events';
const TOKEN_MARGIN_MS = 60_000;
const SUMMARY = 'Сессия «Хранители»';
/** A conference still being set up is looked at again this often, while the provider's time lasts. */
const PENDING_POLL_MS = 250;
/** How long deleting a useless event may take (the provider's own time may be up). */
const CLEANUP_MS = 5_000;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The signed assertion of the JWT bearer grant (RFC 7523) for the token endpoint. */
export function signAssertion(settings: GoogleSettings, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(settings.keyId ? { kid: settings.keyId } : {}) };
  const claims = {
    iss: settings.clientEmail,
    scope: SCOPE,
    aud: `${settings.oauthBase}/token`,
    iat,
    exp: iat + 3600,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(settings.privateKey);
  return `${input}.${base64url(signature)}`;
}

function meetLink(event: EventAnswer): string | undefined {
  const link =
    event.hangoutLink ?? event.conferenceData?.entryPoints?.find((e) => e.entryPointType === 'video')?.uri;
  return link && isMeetingLink(link) ? link : undefined;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new VideoProviderError('timeout', 'google: no answer in time'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new VideoProviderError('timeout', 'google: no answer in time'));
      },
      { once: true },
    );
  });
}

/** `now` reads the wall clock of token expiry and signing (tests move it). */
export function createGoogleMeetProvider(
  settings: GoogleSettings,
  now: () => number = Date.now,
): VideoProvider {
  let cached: { token: string; until: number } | undefined;
  const events = `${settings.apiBase}/calendar/v3/calendars/${encodeURIComponent(settings.calendarId)}/events`;

  async function token(signal: AbortSignal): Promise<string> {
    if (cached && cached.until > now()) return cached.token;
    const answer = expectShape(
      TokenAnswer,
      await callApi({
        method: 'POST',
        url: `${settings.oauthBase}/token`,
        what: 'google token',
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: signAssertion(settings, now()),
        }),
        signal,
      }),
      'google token',
    );
    const lifetime = answer.expires_in * 1000;
    cached = {
      token: answer.access_token,
      until: now() + (lifetime > 2 * TOKEN_MARGIN_MS ? lifetime - TOKEN_MARGIN_MS : lifetime / 2),
    };
    return cached.token;
  }

  async function api(
    request: { method: 'GET' | 'POST' | 'DELETE'; url: string; what: string; body?: object },
    signal: AbortSignal,
  ): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const bearer = await token(signal);
      try {
        return await callApi({ ...request, headers: { authorization: `Bearer ${bearer}` }, signal });
      } catch (error) {
        if (!(error instanceof VideoProviderError) || error.status !== 401 || attempt > 1) throw error;
        if (cached?.token === bearer) cached = undefined;
      }
    }
  }

  async function deleteEvent(meeting: { meetingId: string }, signal: AbortSignal): Promise<void> {
    await deleteUnlessGone(
      api(
        {
          method: 'DELETE',
          url: `${events}/${encodeURIComponent(meeting.meetingId)}`,
          what: 'google delete event',
        },
        signal,
      ),
    );
  }

  return {
    platform: 'meet',

    async create(request, signal): Promise<Meeting> {
      const end = new Date(request.startAt.getTime() + request.durationMinutes * 60_000);
      let event = expectShape(
        EventAnswer,
        await api(
          {
            method: 'POST',
            url: `${events}?conferenceDataVersion=1`,
            what: 'google create event',
            body: {
              summary: SUMMARY,
              start: { dateTime: request.startAt.toISOString(), timeZone: 'UTC' },
              end: { dateTime: end.toISOString(), timeZone: 'UTC' },
              visibility: 'private',
              conferenceData: {
                createRequest: { requestId: randomUUID(), conferenceSolutionKey: { type: 'hangoutsMeet' } },
              },
            },
          },
          signal,
        ),
        'google create event',
      );
      const created = event.id;
      try {
        // Google may answer before the conference exists ("pending"): look again while there is time.
        while (!meetLink(event) && event.conferenceData?.createRequest?.status?.statusCode === 'pending') {
          await pause(PENDING_POLL_MS, signal);
          event = expectShape(
            EventAnswer,
            await api(
              { method: 'GET', url: `${events}/${encodeURIComponent(created)}`, what: 'google read event' },
              signal,
            ),
            'google read event',
          );
        }
      } catch (error) {
        // An event without a conference is of no use to anyone: do not leave it in the calendar.
        void deleteEvent({ meetingId: created }, AbortSignal.timeout(CLEANUP_MS)).catch(() => {});
        throw error;
      }
      const link = meetLink(event);
      if (!link) {
        await deleteEvent({ meetingId: created }, AbortSignal.timeout(CLEANUP_MS)).catch(() => {});
        throw new VideoProviderError('bad_answer', 'google create event: no Meet link in the answer');
      }
      return { link, platform: 'meet', meetingId: created };
    },

    remove: deleteEvent,
  };
}
