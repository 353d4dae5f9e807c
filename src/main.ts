// Starts the service from the environment: database (embedded or PostgreSQL), migrations, demo data
// on an empty embedded database, the HTTP server. Stops cleanly on SIGINT/SIGTERM.
import 'dotenv/config';
import { buildApp } from './app.ts';
import { attachMissingMeetingLinks } from './commands/attach-meeting-link.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { isEmpty, loadDemoData } from './demo/demo-data.ts';
import { createLogger } from './logger.ts';
import { openRuntime } from './runtime.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const runtime = await openRuntime(config, log);
  const { deps } = runtime;
  if (config.demoData && (await isEmpty(deps))) {
    const loaded = await loadDemoData(deps);
    log.info(loaded, 'demo data loaded into the empty embedded database');
  }
  const app = await buildApp(deps);
  await app.listen({ port: config.port, host: config.host });
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  console.log(`Hraniteli is listening on ${base} (database: ${deps.database.kind}; docs: ${base}/docs)`);
  if (runtime.generatedApiKey) {
    console.log(
      `Generated API key (shown once; also kept in ${config.dataDir}/secrets.json): ${deps.apiKey}`,
    );
  }

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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(`Hraniteli cannot start: ${error.message}`);
  } else {
    console.error('Hraniteli failed to start:', error);
  }
  process.exit(1);
});
