// Operator commands: `npm run migrate` applies migrations, `npm run seed` loads the demo data set.
import 'dotenv/config';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { loadDemoData } from './demo/demo-data.ts';
import { createLogger } from './logger.ts';
import { openRuntime } from './runtime.ts';

async function run(command: string | undefined): Promise<void> {
  if (command !== 'migrate' && command !== 'seed') {
    throw new ConfigError('usage: node src/cli.ts migrate|seed');
  }
  const config = loadConfig();
  const runtime = await openRuntime(config, createLogger('warn'));
  try {
    if (command === 'migrate') console.log('migrations applied');
    else console.log('demo data loaded:', await loadDemoData(runtime.deps));
  } finally {
    await runtime.close();
  }
}

run(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof DataDirLockedError ? error.message : error);
  process.exit(1);
});
