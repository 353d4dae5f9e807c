// The real service as a child process (`node src/main.ts`, as `npm start` runs it) for the reliability
// tests: started with an explicit environment, awaited until /ready, stopped or SIGKILLed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

/** Configuration a developer's shell or .env might carry; the test names everything it wants instead. */
export const CLEARED = [
  'NODE_ENV',
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATABASE_STALL_MS',
  'DATABASE_PROBE_TIMEOUT_MS',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'DATA_DIR',
  'API_KEY',
  'JWT_SECRET',
  'DEMO_DATA',
  'JOBS',
  'CORS_ORIGINS',
  'LOG_LEVEL',
  'RATE_LIMIT_PUBLIC',
  'RATE_LIMIT_SUBMIT',
  'RATE_LIMIT_CLIENT',
  'MIN_LEAD_MINUTES',
  'TRUST_PROXY',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_API_ROOT',
  'TELEGRAM_ADMIN_CHAT_ID',
  'TELEGRAM_WEBHOOK_SECRET',
  'OUTBOX_POLL_MS',
  'OUTBOX_LEASE_MS',
  'ZOOM_ACCOUNT_ID',
  'ZOOM_CLIENT_ID',
  'ZOOM_CLIENT_SECRET',
  'GOOGLE_SERVICE_ACCOUNT_JSON',
  'GOOGLE_CALENDAR_ID',
];

export const SERVICE_API_KEY = 'reliability-api-key-0123456789';

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  base: string;
  output: () => string;
  exited: Promise<number | string>;
  exitCode: () => number | string | undefined;
  /** SIGKILL, resolved once the process is gone. */
  kill: () => Promise<void>;
  /** SIGTERM, resolved with the exit code. */
  stop: () => Promise<number | string>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the service on a free port and waits for /ready 200 (fails early if it exits). */
export async function startService(env: Record<string, string>, port?: number): Promise<ServiceProcess> {
  const listenOn = port ?? (await freePort());
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLEARED) delete base[name];
  const child = spawn(NODE, ['--max-semi-space-size=8', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...base,
      // dotenv leaves set variables alone, and the config reads "" as unset.
      ...Object.fromEntries(CLEARED.map((name) => [name, ''])),
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(listenOn),
      API_KEY: SERVICE_API_KEY,
      JWT_SECRET: 'reliability-jwt-secret-0123456789',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PUBLIC: '0',
      RATE_LIMIT_SUBMIT: '0',
      RATE_LIMIT_CLIENT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let code: number | string | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (exitCode, signal) => {
      code = exitCode ?? signal ?? 'unknown';
      resolve(code);
    }),
  );
  const proc: ServiceProcess = {
    child,
    port: listenOn,
    base: `http://127.0.0.1:${listenOn}`,
    output: () => output,
    exited,
    exitCode: () => code,
    async kill() {
      if (code === undefined) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (code === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
  try {
    await waitReady(proc);
  } catch (error) {
    await proc.kill();
    throw error;
  }
  return proc;
}

/** Polls GET /ready until 200 within `ms`; fails with the process output if it exits or never gets there. */
export async function waitReady(proc: ServiceProcess, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode() !== undefined) {
      throw new Error(`service exited (${proc.exitCode()}) before /ready\n${proc.output()}`);
    }
    try {
      const response = await fetch(`${proc.base}/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`/ready did not answer 200 within ${ms} ms\n${proc.output()}`);
}

/** A request with the service key; the JSON answer (or null) and the status. */
export async function call(
  proc: ServiceProcess,
  method: string,
  url: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const response = await fetch(`${proc.base}${url}`, {
    method,
    headers: {
      'x-api-key': SERVICE_API_KEY,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: null };
  }
}

/** Waits until `check` returns true, polling every `everyMs`; fails naming `what` after `ms`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(everyMs);
  }
}
