// The app factory for tests: an isolated database, a manual clock, captured logs and the real Fastify
// app built exactly as in production. Requests go through app.inject (the full HTTP pipeline) or, for
// races, through a real listening port.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createDeps, logSessionWaits, type RuntimeDeps } from '../../src/runtime.ts';
import { createBot } from '../../src/telegram/bot.ts';
import { createTestDatabase } from './database.ts';
import { captureLogs } from './logs.ts';
import { onStrayQuery, type StrayQueryError } from '../../src/db/transaction-guard.ts';

export const TEST_API_KEY = 'test-api-key-0123456789abcdef';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef';
/** A Monday, 12:00 Moscow: far enough from month ends and midnights to keep tests about what they test. */
export const TEST_NOW = '2026-12-07T09:00:00.000Z';

export interface TestApp {
  app: FastifyInstance;
  /** With TELEGRAM_BOT_TOKEN, `deps.outbox` is a real sender (not started: tests call drain or deliver). */
  deps: RuntimeDeps;
  clock: ManualClock;
  logs: ReturnType<typeof captureLogs>;
  /** Stray queries (src/db/transaction-guard.ts) seen while this app ran; close() fails on any left here. */
  strays: StrayQueryError[];
  /** Sends a request with the service key. */
  admin(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function createTestApp(
  env: Record<string, string> = {},
  now: string = TEST_NOW,
  options: { pglite?: boolean } = {},
): Promise<TestApp> {
  const config = loadConfig({
    API_KEY: TEST_API_KEY,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PUBLIC: '0',
    RATE_LIMIT_SUBMIT: '0',
    RATE_LIMIT_CLIENT: '0',
    DEMO_DATA: 'off',
    TELEGRAM_ADMIN_CHAT_ID: '-100500',
    BOT_USERNAME: 'hraniteli_test_bot',
    LOG_LEVEL: 'debug',
    ...env,
  });
  const logs = captureLogs();
  const database = await createTestDatabase({
    ...options,
    waitMs: config.pgliteWaitMs,
    onWaitExpired: logSessionWaits(logs.logger),
  });
  // Every test runs under the transaction guard; a stray query that some code caught and swallowed (a
  // sweep logs only an item's error code) still fails the test file.
  const strays: StrayQueryError[] = [];
  const stopWatching = onStrayQuery((error) => strays.push(error));
  const clock = new ManualClock(now);
  const deps = createDeps(
    config,
    database,
    logs.logger,
    { apiKey: TEST_API_KEY, jwtSecret: TEST_JWT_SECRET },
    clock,
  );
  const app = await buildApp(deps, { bot: createBot(deps) });
  await app.ready();
  return {
    app,
    deps,
    clock,
    logs,
    strays,
    admin: (options) =>
      app.inject({
        ...options,
        headers: { 'x-api-key': TEST_API_KEY, ...(options.headers ?? {}) },
      } as InjectOptions),
    async close() {
      await deps.outbox.stop();
      await app.close();
      await database.close();
      stopWatching();
      if (strays.length > 0) throw new Error(`stray queries:\n${strays.map((e) => e.message).join('\n\n')}`);
      const leaks = logs.personalData();
      if (leaks.length > 0) throw new Error(`personal data in the logs:\n${[...new Set(leaks)].join('\n')}`);
    },
  };
}

/** A second app with its own settings for one test, closed whatever the test does. */
export async function withTestApp(
  env: Record<string, string>,
  use: (t: TestApp) => Promise<void>,
  options: { pglite?: boolean } = {},
): Promise<void> {
  const t = await createTestApp(env, TEST_NOW, options);
  try {
    await use(t);
  } finally {
    await t.close();
  }
}
