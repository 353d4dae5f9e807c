// The real service as a child process (`node src/main.ts`, as `npm start` runs it) for the reliability
// tests: started with an explicit environment, awaited until /ready, stopped or SIGKILLed. Stopping or
// killing it scans what it printed for personal data, as every in-process test app does (logs.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { personalDataIn } from './logs.ts';

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
  'PGLITE_WAIT_MS',
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
  /** SIGKILL, resolved once the process is gone; rejects if its output held personal data. */
  kill: () => Promise<void>;
  /** SIGTERM, resolved with the exit code; rejects if its output held personal data. */
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
      // Everything the service can log, so that the scan at the stop sees every line it might write.
      LOG_LEVEL: 'debug',
      RATE_LIMIT_PUBLIC: '0',
      RATE_LIMIT_SUBMIT: '0',
      RATE_LIMIT_CLIENT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Each stream apart for the scan: chunks of the two interleave in `output`, splitting lines.
  const streams = { stdout: '', stderr: '' };
  let code: number | string | undefined;
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      streams[name] += chunk;
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (exitCode, signal) => {
      code = exitCode ?? signal ?? 'unknown';
      resolve(code);
    }),
  );
  // 'close' comes once the output pipes are drained too: the scan must see the last lines.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let scanned = false;
  /** Once per process, after it is gone: fails naming the messages of lines that hold personal data. */
  async function scan(): Promise<void> {
    await closed;
    if (scanned) return;
    scanned = true;
    const leaks = personalDataIn([...streams.stdout.split('\n'), ...streams.stderr.split('\n')]);
    if (leaks.length > 0) {
      throw new Error(
        `personal data in the output of the service on port ${listenOn}:\n${[...new Set(leaks)].join('\n')}`,
      );
    }
  }
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
      await scan();
    },
    async stop() {
      if (code === undefined) child.kill('SIGTERM');
      const exitCode = await exited;
      await scan();
      return exitCode;
    },
  };
  try {
    await waitReady(proc);
  } catch (error) {
    // The start's failure is the news; a leak in its output is reported with it.
    await proc.kill().catch((leak: unknown) => {
      throw new Error(`${(error as Error).message}\n${(leak as Error).message}`);
    });
    throw error;
  }
  return proc;
}

/** Kills every process (none left running when one of them leaked), then fails with the leaks found. */
export async function killAll(procs: ServiceProcess[]): Promise<void> {
  const outcomes = await Promise.allSettled(procs.map((proc) => proc.kill()));
  const leaks = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
  if (leaks.length > 0) throw new Error(leaks.join('\n'));
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
