// Starts the service from the environment: database (embedded or PostgreSQL), migrations, demo data
// on an empty embedded database, the HTTP server. Stops cleanly on SIGINT/SIGTERM.
import 'dotenv/config';
import type { Deps, JobWakeups } from './deps.ts';
import type { HraniteliBot } from './telegram/bot.ts';
import { buildApp } from './app.ts';
import { attachMissingMeetingLinks } from './commands/attach-meeting-link.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { isEmpty, loadDemoData } from './demo/demo-data.ts';
import { DEMO_CALENDAR_NOTE } from './demo/demo-calendar.ts';
import { createLogger } from './logger.ts';
import { openRuntime } from './runtime.ts';
import { createBot } from './telegram/bot.ts';
import { startJobs, type JobSystem } from './jobs/scheduler.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const runtime = await openRuntime(config, log);
  const { deps } = runtime;
  if (config.demoData && (await isEmpty(deps))) {
    const { calendarUrl, ...loaded } = await loadDemoData(deps);
    log.info(loaded, 'demo data loaded into the empty embedded database');
    // A capability link: printed once to the terminal, never written to the log.
    console.log(`Demo calendar link (${DEMO_CALENDAR_NOTE}): ${calendarUrl}`);
  }
  const bot = createBot(deps);
  const app = await buildApp(deps, { bot });
  // Stopping works from the moment the server can answer; a stop during the jobs' start waits for it,
  // so the database is never closed under pg-boss.
  let jobsStarted: Promise<JobSystem | null> = Promise.resolve(null);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    if (bot?.isRunning()) await bot.stop();
    await (await jobsStarted)?.stop();
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Wake-ups asked for while the job system starts (a booking in the first seconds after a start) are
  // kept and planned once it runs: dropped, a session's reminder would wait for the hourly cron.
  const plansJobs = config.jobs || deps.database.kind === 'postgres';
  const early: Parameters<JobWakeups['wake']>[] = [];
  if (plansJobs) deps.jobs = { wake: (...wakeUp) => void early.push(wakeUp) };
  await app.listen({ port: config.port, host: config.host });
  await startBot(deps, bot);
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  console.log(`Hraniteli is listening on ${base} (database: ${deps.database.kind}; docs: ${base}/docs)`);
  if (runtime.generatedApiKey) {
    console.log(
      `Generated API key (shown once; also kept in ${config.dataDir}/secrets.json): ${deps.apiKey}`,
    );
  }

  // Jobs: this instance works them (JOBS=on), or only plans wake-ups for the instances that do. They
  // start after the server answers: a job system that cannot start is logged, the API keeps serving.
  jobsStarted = plansJobs
    ? startJobs(deps, { work: config.jobs }).then(
        (jobs) => {
          deps.jobs = jobs;
          for (const wakeUp of early.splice(0)) jobs.wake(...wakeUp);
          return jobs;
        },
        (error: unknown) => {
          deps.jobs = { wake: () => {} };
          early.length = 0;
          log.error(
            { err: { name: (error as Error).name, code: (error as { code?: string }).code } },
            'jobs not started',
          );
          return null;
        },
      )
    : Promise.resolve(null);

  // Sessions committed without a video link (a crash or a provider outage right after a booking) get
  // theirs now; the jobs issue runs the same sweep on a schedule.
  void attachMissingMeetingLinks(deps)
    .then(
      (attached) => attached && log.info({ attached }, 'video links attached to sessions left without one'),
    )
    .catch((error: unknown) =>
      log.error({ err: { code: (error as { code?: string }).code } }, 'link sweep failed'),
    );

  // The outbox sender delivers what commands wrote; an HTTP-only instance (JOBS=off) leaves it to others.
  if (config.telegram.botToken && config.jobs) deps.outbox.start();
}

/**
 * Webhook mode (a secret is set): updates arrive at /telegram/webhook; with an https PUBLIC_BASE_URL the
 * webhook is registered with Telegram here, else the operator registers it (README). Long polling (only
 * a token): one instance only — two pollers would take each other's updates.
 */
async function startBot(deps: Deps, bot: HraniteliBot | null): Promise<void> {
  if (!bot) return;
  const { webhookSecret } = deps.config.telegram;
  const base = deps.config.publicBaseUrl;
  if (webhookSecret) {
    if (base.startsWith('https://')) {
      await bot.api
        .setWebhook(`${base.replace(/\/$/, '')}/telegram/webhook`, { secret_token: webhookSecret })
        .then(() => deps.log.info('telegram webhook registered'))
        .catch((error: unknown) =>
          deps.log.error({ err: { name: (error as Error).name } }, 'telegram webhook not registered'),
        );
    }
    return;
  }
  // A long poll must end within the time limit of one call (TELEGRAM_TIMEOUT_MS), or every poll is cut.
  const pollSeconds = Math.max(0, Math.floor(deps.config.telegram.timeoutMs / 1000) - 2);
  void bot
    .start({ timeout: pollSeconds, onStart: () => deps.log.info('telegram bot polling for updates') })
    .catch((error: unknown) =>
      deps.log.error({ err: { name: (error as Error).name } }, 'telegram polling stopped'),
    );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(`Hraniteli cannot start: ${error.message}`);
  } else {
    console.error('Hraniteli failed to start:', error);
  }
  process.exit(1);
});
