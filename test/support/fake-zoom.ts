// A fake Zoom API on 127.0.0.1: server-to-server OAuth (account_credentials with Basic client
// credentials), and the meetings of each user — list (type=upcoming), create, delete — as Zoom answers
// them. Tokens expire and can be revoked; a meeting can be put on a host's calendar to make it busy.
import { bearerOf, FakeApi, type Handler } from './fake-http.ts';

export const ZOOM_ACCOUNT = 'acc-123';
export const ZOOM_CLIENT_ID = 'zoom-client-id';
export const ZOOM_CLIENT_SECRET = 'zoom-client-secret-0123456789';

export interface FakeZoomMeeting {
  id: number;
  host: string;
  start_time: string;
  duration: number;
  join_url: string;
  deleted: boolean;
}

export class FakeZoom extends FakeApi {
  readonly meetings: FakeZoomMeeting[] = [];
  /** Lifetime of the tokens it issues, in seconds. */
  tokenLifetime = 3599;
  private readonly tokens = new Set<string>();
  private nextId = 81_000_000_001;
  private issued = 0;

  /** The env that points the service at this fake. */
  env(hosts = 'host-a@example.org,host-b@example.org'): Record<string, string> {
    return {
      ZOOM_ACCOUNT_ID: ZOOM_ACCOUNT,
      ZOOM_CLIENT_ID,
      ZOOM_CLIENT_SECRET,
      ZOOM_HOSTS: hosts,
      ZOOM_API_BASE: `${this.url}/v2`,
      ZOOM_OAUTH_BASE: this.url,
    };
  }

  /** Puts a meeting on a host's calendar (one the service did not make). */
  addMeeting(host: string, start: string, duration: number): FakeZoomMeeting {
    const meeting = {
      id: this.nextId++,
      host,
      start_time: new Date(start).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      duration,
      join_url: `https://zoom.example/j/${this.nextId}`,
      deleted: false,
    };
    this.meetings.push(meeting);
    return meeting;
  }

  /** Meetings not deleted. */
  live(): FakeZoomMeeting[] {
    return this.meetings.filter((m) => !m.deleted);
  }

  /** Every issued token stops working (Zoom answers 401 to it). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  private authorized(request: Parameters<Handler>[0]): boolean {
    const token = bearerOf(request);
    return token !== undefined && this.tokens.has(token);
  }

  protected routes(): [string, string, RegExp, Handler][] {
    const unauthorized = { status: 401, body: { code: 124, message: 'Invalid access token.' } };
    return [
      [
        'token',
        'POST',
        /^\/oauth\/token$/,
        (request) => {
          const basic = Buffer.from(`${ZOOM_CLIENT_ID}:${ZOOM_CLIENT_SECRET}`).toString('base64');
          const form = request.body && typeof request.body === 'object' ? request.body : {};
          const param = (name: string) => request.query.get(name) ?? (form as Record<string, string>)[name];
          if (request.headers.authorization !== `Basic ${basic}`)
            return {
              status: 401,
              body: { reason: 'Invalid client_id or client_secret', error: 'invalid_client' },
            };
          if (param('grant_type') !== 'account_credentials' || param('account_id') !== ZOOM_ACCOUNT)
            return {
              status: 400,
              body: { reason: 'unsupported grant type', error: 'unsupported_grant_type' },
            };
          const token = `zoom-token-${++this.issued}`;
          this.tokens.add(token);
          return {
            status: 200,
            body: {
              access_token: token,
              token_type: 'bearer',
              expires_in: this.tokenLifetime,
              scope: 'meeting:write',
            },
          };
        },
      ],
      [
        'list',
        'GET',
        /^\/v2\/users\/([^/]+)\/meetings$/,
        (request, [host]) => {
          if (!this.authorized(request)) return unauthorized;
          const meetings = this.live()
            .filter((m) => m.host === host)
            .map((m) => ({
              id: m.id,
              topic: 'x',
              type: 2,
              start_time: m.start_time,
              duration: m.duration,
              timezone: 'UTC',
              join_url: m.join_url,
            }));
          return {
            status: 200,
            body: { page_size: 300, total_records: meetings.length, next_page_token: '', meetings },
          };
        },
      ],
      [
        'create',
        'POST',
        /^\/v2\/users\/([^/]+)\/meetings$/,
        (request, [host]) => {
          if (!this.authorized(request)) return unauthorized;
          const body = request.body as { start_time?: string; duration?: number; type?: number };
          if (body.type !== 2 || !body.start_time || !body.duration)
            return { status: 400, body: { code: 300, message: 'Invalid meeting' } };
          const id = this.nextId++;
          const meeting = {
            id,
            host: host!,
            start_time: body.start_time,
            duration: body.duration,
            join_url: `https://zoom.example/j/${id}?pwd=secretpwd`,
            deleted: false,
          };
          this.meetings.push(meeting);
          return {
            status: 201,
            body: {
              id,
              host_id: 'host-id',
              topic: 'x',
              type: 2,
              start_time: meeting.start_time,
              duration: meeting.duration,
              join_url: meeting.join_url,
              start_url: `https://zoom.example/s/${id}?zak=host-secret`,
              password: 'secretpwd',
            },
          };
        },
      ],
      [
        'delete',
        'DELETE',
        /^\/v2\/meetings\/(\d+)$/,
        (request, [id]) => {
          if (!this.authorized(request)) return unauthorized;
          const meeting = this.live().find((m) => String(m.id) === id);
          if (!meeting) return { status: 404, body: { code: 3001, message: 'Meeting does not exist' } };
          meeting.deleted = true;
          return { status: 204 };
        },
      ],
    ];
  }
}
