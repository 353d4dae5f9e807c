// Environment → one typed, validated configuration object (SPEC §5).
// An invalid value stops the start with a message naming the variable.

export interface Config {
  nodeEnv: string;
  production: boolean;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  /** The PostgreSQL pool's watchdog and statement limit (src/db/postgres-pool.ts). */
  database: { stallMs: number; probeTimeoutMs: number; statementTimeoutMs: number };
  dataDir: string;
  apiKey: string | undefined;
  jwtSecret: string | undefined;
  telegram: {
    botToken: string | undefined;
    apiRoot: string;
    /** How long one call the bot makes directly (a button's notice) may take. */
    timeoutMs: number;
    adminChatId: string | undefined;
    webhookSecret: string | undefined;
    botUsername: string | undefined;
  };
  publicBaseUrl: string;
  /** The public web front end (hrani.live): the calendar links sent to psychologists point there. */
  webFormsBaseUrl: string;
  /** A page on preparing for a session, linked from the reminder (none when unset). */
  preparationTipsUrl: string | undefined;
  zoom: {
    accountId: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    hosts: string[];
    apiBase: string;
    oauthBase: string;
  };
  google: {
    serviceAccountJson: string | undefined;
    calendarId: string | undefined;
    apiBase: string;
    oauthBase: string;
  };
  jitsi: { baseUrl: string; prefix: string };
  /** How long each video provider may take before the next one is asked. */
  videoTimeoutMs: number;
  supabaseWebhookSecret: string | undefined;
  corsOrigins: string[] | undefined;
  trustProxy: boolean | number | string | undefined;
  jobs: boolean;
  /** The outbox sender (src/telegram/outbox-sender.ts). */
  outbox: { pollMs: number; maxAttempts: number; leaseMs: number };
  demoData: boolean;
  rateLimitPublic: number;
  rateLimitSubmit: number;
  rateLimitClient: number;
  requestTimeoutMs: number;
  minLeadMinutes: number;
  slotsCacheMs: number;
  logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

function url(
  env: Env,
  name: string,
  fallback: string | undefined,
  protocols = ['http:', 'https:'],
): string | undefined {
  const raw = str(env, name) ?? fallback;
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw);
    if (!protocols.includes(parsed.protocol)) throw new Error();
  } catch {
    throw new ConfigError(
      `${name} must be a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL, got "${raw}"`,
    );
  }
  return raw.replace(/\/+$/, '');
}

function requiredUrl(env: Env, name: string, fallback: string): string {
  return url(env, name, fallback) ?? fallback;
}

function trustProxy(env: Env): Config['trustProxy'] {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^[0-9a-fA-F.:/,\s]+$/.test(raw)) return raw;
  throw new ConfigError(`TRUST_PROXY must be true, a hop count or a list of addresses/CIDRs, got "${raw}"`);
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = str(env, 'NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  const databaseUrl = url(env, 'DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  const apiKey = str(env, 'API_KEY');
  const jwtSecret = str(env, 'JWT_SECRET');
  const cors = str(env, 'CORS_ORIGINS');
  const corsOrigins = cors
    ? cors
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : undefined;

  if (production) {
    const missing = [
      ['API_KEY', apiKey],
      ['JWT_SECRET', jwtSecret],
      ['CORS_ORIGINS', corsOrigins?.length ? corsOrigins : undefined],
    ]
      .filter(([, v]) => !v)
      .map(([k]) => k);
    if (missing.length) {
      throw new ConfigError(`NODE_ENV=production needs ${missing.join(', ')} set explicitly`);
    }
  }
  if (databaseUrl && (!apiKey || !jwtSecret)) {
    throw new ConfigError('with DATABASE_URL, API_KEY and JWT_SECRET must be set (at least 16 characters)');
  }
  for (const [name, value] of [
    ['API_KEY', apiKey],
    ['JWT_SECRET', jwtSecret],
  ] as const) {
    if (value !== undefined && value.length < 16) {
      throw new ConfigError(`${name} must be at least 16 characters`);
    }
  }
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  const demoData = bool(env, 'DEMO_DATA', !databaseUrl);
  if (demoData && databaseUrl) {
    throw new ConfigError('DEMO_DATA=on is only for the embedded database (unset DATABASE_URL)');
  }

  return {
    nodeEnv,
    production,
    port: int(env, 'PORT', 3000, 0, 65535),
    host: str(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    database: {
      stallMs: int(env, 'DATABASE_STALL_MS', 1_000, 100, 600_000),
      probeTimeoutMs: int(env, 'DATABASE_PROBE_TIMEOUT_MS', 1_500, 100, 60_000),
      statementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000),
    },
    dataDir: str(env, 'DATA_DIR') ?? './data',
    apiKey,
    jwtSecret,
    telegram: {
      botToken: str(env, 'TELEGRAM_BOT_TOKEN'),
      apiRoot: requiredUrl(env, 'TELEGRAM_API_ROOT', 'https://api.telegram.org'),
      timeoutMs: int(env, 'TELEGRAM_TIMEOUT_MS', 10_000, 100, 60_000),
      adminChatId: str(env, 'TELEGRAM_ADMIN_CHAT_ID'),
      webhookSecret: str(env, 'TELEGRAM_WEBHOOK_SECRET'),
      botUsername: str(env, 'BOT_USERNAME')?.replace(/^@/, ''),
    },
    publicBaseUrl: requiredUrl(env, 'PUBLIC_BASE_URL', 'http://localhost:3000'),
    webFormsBaseUrl: requiredUrl(env, 'WEB_FORMS_BASE_URL', 'https://hrani.live'),
    preparationTipsUrl: url(env, 'PREPARATION_TIPS_URL', undefined),
    zoom: {
      accountId: str(env, 'ZOOM_ACCOUNT_ID'),
      clientId: str(env, 'ZOOM_CLIENT_ID'),
      clientSecret: str(env, 'ZOOM_CLIENT_SECRET'),
      hosts: (str(env, 'ZOOM_HOSTS') ?? 'me')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      apiBase: requiredUrl(env, 'ZOOM_API_BASE', 'https://api.zoom.us/v2'),
      oauthBase: requiredUrl(env, 'ZOOM_OAUTH_BASE', 'https://zoom.us'),
    },
    google: {
      serviceAccountJson: str(env, 'GOOGLE_SERVICE_ACCOUNT_JSON'),
      calendarId: str(env, 'GOOGLE_CALENDAR_ID'),
      apiBase: requiredUrl(env, 'GOOGLE_API_BASE', 'https://www.googleapis.com'),
      oauthBase: requiredUrl(env, 'GOOGLE_OAUTH_BASE', 'https://oauth2.googleapis.com'),
    },
    jitsi: {
      baseUrl: requiredUrl(env, 'JITSI_BASE_URL', 'https://meet.jit.si'),
      prefix: str(env, 'JITSI_PREFIX') ?? 'hrani',
    },
    videoTimeoutMs: int(env, 'VIDEO_TIMEOUT_MS', 5_000, 100, 60_000),
    supabaseWebhookSecret: str(env, 'SUPABASE_WEBHOOK_SECRET'),
    corsOrigins,
    trustProxy: trustProxy(env),
    jobs: bool(env, 'JOBS', true),
    outbox: {
      pollMs: int(env, 'OUTBOX_POLL_MS', 1000, 10, 600_000),
      maxAttempts: int(env, 'OUTBOX_MAX_ATTEMPTS', 8, 1, 100),
      leaseMs: int(env, 'OUTBOX_LEASE_MS', 60_000, 3_000, 3_600_000),
    },
    demoData,
    rateLimitPublic: int(env, 'RATE_LIMIT_PUBLIC', 120, 0, 1_000_000),
    rateLimitSubmit: int(env, 'RATE_LIMIT_SUBMIT', 20, 0, 1_000_000),
    rateLimitClient: int(env, 'RATE_LIMIT_CLIENT', 30, 0, 1_000_000),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000),
    minLeadMinutes: int(env, 'MIN_LEAD_MINUTES', 60, 0, 100_000),
    slotsCacheMs: int(env, 'SLOTS_CACHE_MS', 1000, 0, 60_000),
    logLevel,
  };
}
