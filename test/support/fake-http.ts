// What the fake provider APIs (fake-zoom.ts, fake-google.ts) share: a server on 127.0.0.1 that records
// every request and answers through a route table, or — when told to — with a fault: an HTTP error,
// garbage, megabytes without a length, an answer that never comes, or an answer that comes late.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The body: parsed JSON, the fields of a form, or the raw text. */
  body: unknown;
}

export interface Answer {
  status: number;
  body?: unknown;
  /** Sent as it is instead of JSON. */
  raw?: string;
}

/** What a request may meet instead of its normal answer. */
export type Fault =
  | { status: number; body?: unknown }
  | { garbage: string }
  /** This many bytes of filler, streamed without a Content-Length. */
  | { stream: number }
  | { hang: true }
  | { delayMs: number };

export type Handler = (request: RecordedRequest, params: string[]) => Answer;

export abstract class FakeApi {
  readonly requests: RecordedRequest[] = [];
  url = '';
  /** Added to every answer (for races). */
  delayMs = 0;
  private server: Server | null = null;
  private readonly faults: { route: string; fault: Fault }[] = [];
  private readonly standing = new Map<string, Fault>();

  /** Routes as [name, method, path pattern, handler]; the name is what faults are aimed at. */
  protected abstract routes(): [string, string, RegExp, Handler][];

  /** The next `count` requests to the named route (or any route: '*') meet `fault`. */
  failNext(route: string, fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push({ route, fault });
  }

  /** Every request to the named route meets `fault` until cleared. */
  failAlways(route: string, fault: Fault): void {
    this.standing.set(route, fault);
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.standing.clear();
  }

  /** The recorded requests that went to the named route. */
  to(route: string): RecordedRequest[] {
    return this.requests.filter((r) => this.routeOf(r.method, r.path)?.[0] === route);
  }

  private routeOf(method: string, path: string) {
    return this.routes().find(([, m, pattern]) => m === method && pattern.test(path));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if ((req.headers['content-type'] ?? '').includes('json')) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        } else if ((req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
          body = Object.fromEntries(new URLSearchParams(text));
        }
        const request: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
        };
        this.requests.push(request);
        const route = this.routeOf(request.method, request.path);
        const send = (answer: Answer) => {
          const payload = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(payload);
        };
        const faultIndex = this.faults.findIndex((f) => f.route === '*' || f.route === route?.[0]);
        const fault =
          faultIndex >= 0
            ? this.faults.splice(faultIndex, 1)[0]!.fault
            : (this.standing.get(route?.[0] ?? '') ?? this.standing.get('*'));
        if (fault && 'hang' in fault) return;
        if (fault && 'stream' in fault) {
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(64 * 1024, ' ');
          let left = fault.stream;
          const more = () => {
            while (left > 0 && !res.destroyed) {
              left -= chunk.length;
              if (!res.write(chunk)) return void res.once('drain', more);
            }
            res.end('{}');
          };
          return more();
        }
        const answer = (): Answer => {
          if (fault && 'status' in fault) return { status: fault.status, body: fault.body ?? {} };
          if (fault && 'garbage' in fault) return { status: 200, raw: fault.garbage };
          if (!route) return { status: 404, body: { message: 'no such route' } };
          return route[3](request, route[2].exec(request.path)!.slice(1).map(decodeURIComponent));
        };
        const delay = this.delayMs + (fault && 'delayMs' in fault ? fault.delayMs : 0);
        if (delay) setTimeout(() => send(answer()), delay);
        else send(answer());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The bearer token of a recorded request, if any. */
export const bearerOf = (request: RecordedRequest) =>
  /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
