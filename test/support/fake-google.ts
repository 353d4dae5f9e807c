// A fake Google on 127.0.0.1: the OAuth token endpoint of the JWT bearer grant (it checks the
// assertion's RS256 signature with the service account's public key, its issuer, audience and scope)
// and Calendar events with Meet conferences (insert with conferenceDataVersion=1, get, delete).
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { bearerOf, FakeApi, type Handler } from './fake-http.ts';

export const GOOGLE_CALENDAR = 'sessions@group.calendar.google.com';
export const GOOGLE_CLIENT_EMAIL = 'meet-bot@hraniteli-test.iam.gserviceaccount.com';

export interface FakeGoogleEvent {
  id: string;
  start: string;
  end: string;
  link: string;
  requestId: string;
  deleted: boolean;
  /** How many more reads answer "pending" before the conference is ready. */
  pendingReads: number;
}

export class FakeGoogle extends FakeApi {
  readonly events: FakeGoogleEvent[] = [];
  /** Lifetime of the tokens it issues, in seconds. */
  tokenLifetime = 3599;
  /** New events start with their conference "pending" for this many reads. */
  pendingReads = 0;
  readonly publicKey: KeyObject;
  private readonly privateKeyPem: string;
  private readonly tokens = new Set<string>();
  private issued = 0;
  private nextEvent = 1;

  constructor() {
    super();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKey = publicKey;
    this.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /** The service account key file, as Google gives it. */
  serviceAccountJson(): string {
    return JSON.stringify({
      type: 'service_account',
      project_id: 'hraniteli-test',
      private_key_id: 'key-1',
      private_key: this.privateKeyPem,
      client_email: GOOGLE_CLIENT_EMAIL,
      token_uri: 'https://oauth2.googleapis.com/token',
    });
  }

  env(): Record<string, string> {
    return {
      GOOGLE_SERVICE_ACCOUNT_JSON: this.serviceAccountJson(),
      GOOGLE_CALENDAR_ID: GOOGLE_CALENDAR,
      GOOGLE_API_BASE: this.url,
      GOOGLE_OAUTH_BASE: this.url,
    };
  }

  live(): FakeGoogleEvent[] {
    return this.events.filter((e) => !e.deleted);
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  /** Why the assertion is not acceptable, or null. */
  private assertionProblem(assertion: string): string | null {
    const [header, claims, signature] = assertion.split('.');
    if (!header || !claims || !signature) return 'malformed';
    const verified = createVerify('RSA-SHA256')
      .update(`${header}.${claims}`)
      .verify(this.publicKey, Buffer.from(signature, 'base64url'));
    if (!verified) return 'bad signature';
    const h = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
    if (h.alg !== 'RS256') return 'alg';
    if (c.iss !== GOOGLE_CLIENT_EMAIL) return 'iss';
    if (c.aud !== `${this.url}/token`) return 'aud';
    if (typeof c.scope !== 'string' || !c.scope.includes('calendar')) return 'scope';
    if (typeof c.iat !== 'number' || typeof c.exp !== 'number' || c.exp <= c.iat || c.exp - c.iat > 3600)
      return 'exp';
    return null;
  }

  private present(event: FakeGoogleEvent) {
    const pending = event.pendingReads > 0;
    return {
      kind: 'calendar#event',
      id: event.id,
      status: 'confirmed',
      start: { dateTime: event.start },
      end: { dateTime: event.end },
      ...(pending ? {} : { hangoutLink: event.link }),
      conferenceData: {
        createRequest: {
          requestId: event.requestId,
          conferenceSolutionKey: { type: 'hangoutsMeet' },
          status: { statusCode: pending ? 'pending' : 'success' },
        },
        ...(pending ? {} : { entryPoints: [{ entryPointType: 'video', uri: event.link }] }),
      },
    };
  }

  protected routes(): [string, string, RegExp, Handler][] {
    const unauthorized = { status: 401, body: { error: { code: 401, message: 'Invalid Credentials' } } };
    const authorized = (request: Parameters<Handler>[0]) => {
      const token = bearerOf(request);
      return token !== undefined && this.tokens.has(token);
    };
    const calendarOk = (calendar: string | undefined) => calendar === GOOGLE_CALENDAR;
    return [
      [
        'token',
        'POST',
        /^\/token$/,
        (request) => {
          const form = request.body as Record<string, string>;
          if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
            return { status: 400, body: { error: 'unsupported_grant_type' } };
          const problem = this.assertionProblem(form.assertion ?? '');
          if (problem) return { status: 400, body: { error: 'invalid_grant', error_description: problem } };
          const token = `ya29.fake-${++this.issued}`;
          this.tokens.add(token);
          return {
            status: 200,
            body: { access_token: token, expires_in: this.tokenLifetime, token_type: 'Bearer' },
          };
        },
      ],
      [
        'insert',
        'POST',
        /^\/calendar\/v3\/calendars\/([^/]+)\/events$/,
        (request, [calendar]) => {
          if (!authorized(request)) return unauthorized;
          if (!calendarOk(calendar)) return { status: 404, body: { error: { code: 404 } } };
          const body = request.body as {
            start?: { dateTime?: string };
            end?: { dateTime?: string };
            conferenceData?: {
              createRequest?: { requestId?: string; conferenceSolutionKey?: { type?: string } };
            };
          };
          const create = body.conferenceData?.createRequest;
          // Without conferenceDataVersion=1 Google ignores conferenceData: no Meet link.
          const withConference =
            request.query.get('conferenceDataVersion') === '1' &&
            create?.conferenceSolutionKey?.type === 'hangoutsMeet' &&
            typeof create.requestId === 'string';
          const id = `ev${String(this.nextEvent++).padStart(6, '0')}`;
          const event: FakeGoogleEvent = {
            id,
            start: body.start?.dateTime ?? '',
            end: body.end?.dateTime ?? '',
            link: `https://meet.google.com/abc-${id.slice(-4)}-xyz`,
            requestId: create?.requestId ?? '',
            deleted: false,
            pendingReads: this.pendingReads,
          };
          this.events.push(event);
          if (!withConference) return { status: 200, body: { id, status: 'confirmed' } };
          return { status: 200, body: this.present(event) };
        },
      ],
      [
        'get',
        'GET',
        /^\/calendar\/v3\/calendars\/([^/]+)\/events\/([^/]+)$/,
        (request, [, id]) => {
          if (!authorized(request)) return unauthorized;
          const event = this.live().find((e) => e.id === id);
          if (!event) return { status: 404, body: { error: { code: 404 } } };
          if (event.pendingReads > 0) event.pendingReads--;
          return { status: 200, body: this.present(event) };
        },
      ],
      [
        'delete',
        'DELETE',
        /^\/calendar\/v3\/calendars\/([^/]+)\/events\/([^/]+)$/,
        (request, [, id]) => {
          if (!authorized(request)) return unauthorized;
          const event = this.events.find((e) => e.id === id);
          if (!event) return { status: 404, body: { error: { code: 404 } } };
          if (event.deleted)
            return { status: 410, body: { error: { code: 410, message: 'Resource has been deleted' } } };
          event.deleted = true;
          return { status: 204 };
        },
      ],
    ];
  }
}
