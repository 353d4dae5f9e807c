// Service secrets for the embedded database: generated at the first start, kept in DATA_DIR, so a
// newcomer's `npm start` works without setup. With DATABASE_URL they must come from the environment.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

export interface Secrets {
  apiKey: string;
  jwtSecret: string;
  /** True when the key was generated just now (it is printed once). */
  generated: boolean;
}

export function resolveSecrets(config: Config): Secrets {
  if (config.apiKey && config.jwtSecret)
    return { apiKey: config.apiKey, jwtSecret: config.jwtSecret, generated: false };
  const file = path.join(config.dataDir, 'secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { apiKey: string; jwtSecret: string };
    return {
      apiKey: config.apiKey ?? stored.apiKey,
      jwtSecret: config.jwtSecret ?? stored.jwtSecret,
      generated: false,
    };
  }
  const stored = {
    apiKey: randomBytes(24).toString('base64url'),
    jwtSecret: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  return {
    apiKey: config.apiKey ?? stored.apiKey,
    jwtSecret: config.jwtSecret ?? stored.jwtSecret,
    generated: !config.apiKey,
  };
}
