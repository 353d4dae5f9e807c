// Real processes: `node src/main.ts` and `node src/cli.ts` started the way a newcomer starts them, on an
// embedded database in a fresh DATA_DIR. Covers the first start (generated key, demo data), the data
// folder lock against a second process, a clean stop, a warm restart and refusals at start.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLEARED, freePort } from './support/service-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  exitCode: () => number | string | undefined;
}

const running = new Set<ChildProcess>();
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hraniteli-startup-'));
  tempDirs.push(dir);
  return dir;
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLEARED) delete out[name];
  // dotenv does not override variables that are set, even to "": a developer's .env must not bring a
  // DATABASE_URL, a key or a bot token into this test (the config treats "" as unset).
  return {
    ...out,
    DATABASE_URL: '',
    API_KEY: '',
    JWT_SECRET: '',
    TELEGRAM_BOT_TOKEN: '',
    NODE_ENV: 'development',
    ...env,
  };
}

function start(args: string[], env: Record<string, string>): Proc {
  const child = spawn(NODE, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let code: number | string | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (exitCode, signal) => {
      running.delete(child);
      code = exitCode ?? signal ?? 'unknown';
      resolve(code);
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited, exitCode: () => code };
}

function startService(dataDir: string, port: number, env: Record<string, string> = {}): Proc {
  return start(['src/main.ts'], { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ...env });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exit code within `ms`, or a failure that shows what the process printed. */
async function exitWithin(proc: Proc, ms: number): Promise<number | string> {
  const result = await Promise.race([proc.exited, sleep(ms).then(() => 'timeout' as const)]);
  if (result === 'timeout') {
    throw new Error(
      `process did not exit within ${ms} ms\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`,
    );
  }
  return result;
}

/** Polls GET /ready until 200; fails early if the process exits. */
async function waitReady(proc: Proc, port: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode() !== undefined) {
      throw new Error(
        `service exited (${proc.exitCode()}) before it was ready\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`,
      );
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(
    `/ready did not answer 200 within ${ms} ms\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`,
  );
}

async function getJson(port: number, url: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${url}`, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function stop(proc: Proc, ms = 15_000): Promise<number | string> {
  if (proc.exitCode() !== undefined) return proc.exitCode()!;
  proc.child.kill('SIGTERM');
  return exitWithin(proc, ms);
}

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await sleep(running.size ? 500 : 0);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('first start, lock, stop and warm restart on one DATA_DIR', () => {
  const dataDir = tempDir();
  let first: Proc | undefined;
  let firstPort = 0;
  let apiKey = '';

  it('starts on a fresh folder, prints a generated key and serves the demo data', async () => {
    firstPort = await freePort();
    first = startService(dataDir, firstPort);
    await waitReady(first, firstPort);

    const printed = /Generated API key.*: (\S+)\s*$/m.exec(first.stdout());
    expect(printed, `stdout:\n${first.stdout()}`).not.toBeNull();
    apiKey = printed![1]!;
    expect(apiKey.length).toBeGreaterThanOrEqual(16);
    expect(existsSync(path.join(dataDir, 'secrets.json'))).toBe(true);

    const listed = await getJson(firstPort, '/admin/psychologists', { 'X-Api-Key': apiKey });
    expect(listed.status).toBe(200);
    expect(listed.body.psychologists).toHaveLength(8);

    // the key is what opens the admin route
    expect((await getJson(firstPort, '/admin/psychologists')).status).toBe(401);
    expect((await getJson(firstPort, '/admin/psychologists', { 'X-Api-Key': `${apiKey}x` })).status).toBe(
      401,
    );

    const slots = await getJson(firstPort, '/get-available-slots');
    expect(slots.status).toBe(200);
    expect(slots.body.success).toBe(true);
    expect(Array.isArray(slots.body.slots)).toBe(true);
    expect((slots.body.slots as unknown[]).length).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a second process on the same folder, leaving the first one running', async () => {
    expect(first, 'the first process must be running').toBeDefined();
    const second = startService(dataDir, await freePort());
    const code = await exitWithin(second, 20_000);
    expect(code).not.toBe(0);
    expect(second.stderr()).toMatch(/data folder .* is in use/);
    expect(second.stderr()).toContain(path.resolve(dataDir));

    expect(first!.exitCode()).toBeUndefined();
    expect((await getJson(firstPort, '/ready')).status).toBe(200);
    const listed = await getJson(firstPort, '/admin/psychologists', { 'X-Api-Key': apiKey });
    expect(listed.body.psychologists).toHaveLength(8);
  }, 40_000);

  it('stops on SIGTERM and releases the folder', async () => {
    expect(first, 'the first process must be running').toBeDefined();
    expect(existsSync(path.join(dataDir, 'hraniteli.lock'))).toBe(true);
    expect(await stop(first!)).toBe(0);
    expect(existsSync(path.join(dataDir, 'hraniteli.lock'))).toBe(false);
  }, 30_000);

  it('restarts warm on the same folder: same key, no new key printed, no second demo load', async () => {
    expect(apiKey, 'the first start must have printed a key').not.toBe('');
    const port = await freePort();
    const again = startService(dataDir, port);
    try {
      await waitReady(again, port);
      expect(again.stdout()).toContain('Hraniteli is listening');
      expect(again.stdout()).not.toContain('Generated API key');
      expect(again.stdout()).not.toContain('demo data loaded');

      const listed = await getJson(port, '/admin/psychologists', { 'X-Api-Key': apiKey });
      expect(listed.status).toBe(200);
      expect(listed.body.psychologists).toHaveLength(8);
    } finally {
      expect(await stop(again)).toBe(0);
    }
  }, 60_000);
});

describe('refusals and the CLI', () => {
  const productionSettings = {
    API_KEY: 'an-api-key-of-enough-length-0123',
    JWT_SECRET: 'a-jwt-secret-of-enough-length-0123',
    CORS_ORIGINS: 'https://hraniteli.example',
  };
  it.each(Object.keys(productionSettings))(
    'NODE_ENV=production without %s exits non-zero naming it, before touching anything',
    async (missing) => {
      const dataDir = tempDir();
      const env: Record<string, string> = { NODE_ENV: 'production', ...productionSettings };
      delete env[missing];
      const proc = startService(dataDir, await freePort(), env);
      const code = await exitWithin(proc, 20_000);
      expect(code).not.toBe(0);
      expect(proc.stderr()).toContain(`NODE_ENV=production needs ${missing} set explicitly`);
      for (const other of Object.keys(productionSettings).filter((name) => name !== missing))
        expect(proc.stderr()).not.toContain(other);
      // it stopped before touching the database or the secrets
      expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
      expect(existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
    },
    30_000,
  );

  it('NODE_ENV=production with every setting but a short API_KEY exits non-zero naming it', async () => {
    const dataDir = tempDir();
    const proc = startService(dataDir, await freePort(), {
      NODE_ENV: 'production',
      ...productionSettings,
      API_KEY: 'short',
    });
    expect(await exitWithin(proc, 20_000)).not.toBe(0);
    expect(proc.stderr()).toMatch(/API_KEY.*16/);
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
  }, 30_000);

  it('`node src/cli.ts migrate` on a fresh DATA_DIR exits 0 and leaves the folder unlocked', async () => {
    const dataDir = tempDir();
    const proc = start(['src/cli.ts', 'migrate'], { DATA_DIR: dataDir });
    const code = await exitWithin(proc, 45_000);
    expect(code, `stdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`).toBe(0);
    expect(proc.stdout()).toContain('migrations applied');
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'hraniteli.lock'))).toBe(false);
  }, 60_000);

  it('the CLI refuses an unknown command with a non-zero exit', async () => {
    const dataDir = tempDir();
    const proc = start(['src/cli.ts', 'frobnicate'], { DATA_DIR: dataDir });
    expect(await exitWithin(proc, 20_000)).not.toBe(0);
    expect(proc.stderr()).toContain('usage');
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
  }, 30_000);
});
