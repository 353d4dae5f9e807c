import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const KEY = 'k'.repeat(24);
const SECRET = 's'.repeat(32);
const PG = 'postgres://user:pw@127.0.0.1:5432/hraniteli';

/** Runs loadConfig and returns the ConfigError it throws (fails the test if it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('listens on 127.0.0.1:3000', () => {
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
  });

  it('uses the SPEC §5 limits and lead time', () => {
    expect(config.rateLimitPublic).toBe(120);
    expect(config.rateLimitSubmit).toBe(20);
    expect(config.rateLimitClient).toBe(30);
    expect(config.requestTimeoutMs).toBe(30_000);
    expect(config.minLeadMinutes).toBe(60);
  });

  it('polls the outbox every second, gives a message 8 attempts and a claim 60 s', () => {
    expect(config.outbox).toEqual({ pollMs: 1000, maxAttempts: 8, leaseMs: 60_000 });
    expect(
      loadConfig({ OUTBOX_POLL_MS: '250', OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_LEASE_MS: '5000' }).outbox,
    ).toEqual({ pollMs: 250, maxAttempts: 3, leaseMs: 5000 });
    expect(configError({ OUTBOX_MAX_ATTEMPTS: '0' }).message).toMatch(/OUTBOX_MAX_ATTEMPTS/);
    expect(configError({ OUTBOX_LEASE_MS: '1000' }).message).toMatch(/OUTBOX_LEASE_MS/);
  });

  it('checks on a database after a 1 s wait, gives it 1.5 s to answer and a statement 15 s', () => {
    expect(config.database).toEqual({ stallMs: 1000, probeTimeoutMs: 1500, statementTimeoutMs: 15_000 });
    expect(
      loadConfig({
        DATABASE_STALL_MS: '500',
        DATABASE_PROBE_TIMEOUT_MS: '800',
        DATABASE_STATEMENT_TIMEOUT_MS: '60000',
      }).database,
    ).toEqual({ stallMs: 500, probeTimeoutMs: 800, statementTimeoutMs: 60_000 });
    expect(configError({ DATABASE_STALL_MS: '10' }).message).toMatch(/DATABASE_STALL_MS/);
  });

  it('lets a caller wait 5 s for the embedded database session', () => {
    expect(config.pgliteWaitMs).toBe(5000);
    expect(loadConfig({ PGLITE_WAIT_MS: '2000' }).pgliteWaitMs).toBe(2000);
    expect(configError({ PGLITE_WAIT_MS: '5' }).message).toMatch(/PGLITE_WAIT_MS/);
  });

  it('runs on the embedded database in ./data with demo data and jobs on', () => {
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe('./data');
    expect(config.demoData).toBe(true);
    expect(config.jobs).toBe(true);
  });

  it('is not production and leaves secrets and CORS unset', () => {
    expect(config.production).toBe(false);
    expect(config.nodeEnv).toBe('development');
    expect(config.apiKey).toBeUndefined();
    expect(config.jwtSecret).toBeUndefined();
    expect(config.corsOrigins).toBeUndefined();
    expect(config.trustProxy).toBeUndefined();
  });

  it('uses the public Telegram API, Jitsi and info logging', () => {
    expect(config.telegram.apiRoot).toBe('https://api.telegram.org');
    expect(config.telegram.botToken).toBeUndefined();
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.jitsi).toEqual({ baseUrl: 'https://meet.jit.si', prefix: 'hrani' });
    expect(config.logLevel).toBe('info');
  });

  it('does not read process.env when given an explicit env', () => {
    const saved = process.env.PORT;
    process.env.PORT = '4321';
    try {
      expect(loadConfig({}).port).toBe(3000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('treats empty and blank values as unset', () => {
    const blank = loadConfig({ PORT: '', HOST: '  ', API_KEY: '', DATABASE_URL: ' ', RATE_LIMIT_PUBLIC: '' });
    expect(blank.port).toBe(3000);
    expect(blank.host).toBe('127.0.0.1');
    expect(blank.apiKey).toBeUndefined();
    expect(blank.databaseUrl).toBeUndefined();
    expect(blank.rateLimitPublic).toBe(120);
  });
});

describe('loadConfig reads values', () => {
  it('parses numbers, switches and lists', () => {
    const config = loadConfig({
      PORT: ' 8080 ',
      HOST: '0.0.0.0',
      RATE_LIMIT_PUBLIC: '0',
      RATE_LIMIT_SUBMIT: '5',
      RATE_LIMIT_CLIENT: '0',
      REQUEST_TIMEOUT_MS: '2000',
      MIN_LEAD_MINUTES: '15',
      JOBS: 'off',
      DEMO_DATA: 'false',
      CORS_ORIGINS: 'https://a.example, https://b.example,',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '1',
      BOT_USERNAME: '@hraniteli_bot',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9999/',
    });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.rateLimitPublic).toBe(0);
    expect(config.rateLimitSubmit).toBe(5);
    expect(config.rateLimitClient).toBe(0);
    expect(config.requestTimeoutMs).toBe(2000);
    expect(config.minLeadMinutes).toBe(15);
    expect(config.jobs).toBe(false);
    expect(config.demoData).toBe(false);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.logLevel).toBe('warn');
    expect(config.trustProxy).toBe(1);
    expect(config.telegram.botUsername).toBe('hraniteli_bot');
    expect(config.telegram.apiRoot).toBe('http://127.0.0.1:9999');
  });

  it('with DATABASE_URL and both secrets: PostgreSQL, demo data off by default', () => {
    const config = loadConfig({ DATABASE_URL: PG, API_KEY: KEY, JWT_SECRET: SECRET });
    expect(config.databaseUrl).toBe(PG);
    expect(config.demoData).toBe(false);
    expect(config.apiKey).toBe(KEY);
    expect(config.jwtSecret).toBe(SECRET);
  });

  it('starts in production when everything required is set', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      API_KEY: KEY,
      JWT_SECRET: SECRET,
      CORS_ORIGINS: 'https://hraniteli.example',
    });
    expect(config.production).toBe(true);
    expect(config.corsOrigins).toEqual(['https://hraniteli.example']);
  });
});

describe('loadConfig rejects invalid values, naming the variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '3000.5'],
    ['RATE_LIMIT_PUBLIC', '-5'],
    ['RATE_LIMIT_PUBLIC', 'lots'],
    ['RATE_LIMIT_PUBLIC', '1e3'],
    ['RATE_LIMIT_SUBMIT', '2.5'],
    ['RATE_LIMIT_CLIENT', '-1'],
    ['REQUEST_TIMEOUT_MS', '0'],
    ['REQUEST_TIMEOUT_MS', '30s'],
    ['MIN_LEAD_MINUTES', 'soon'],
    ['JOBS', 'maybe'],
    ['JOBS', '2'],
    ['DEMO_DATA', 'sometimes'],
    ['LOG_LEVEL', 'verbose'],
    ['TELEGRAM_API_ROOT', 'not a url'],
    ['TELEGRAM_API_ROOT', 'ftp://api.telegram.org'],
    ['PUBLIC_BASE_URL', 'localhost:3000'],
    ['TRUST_PROXY', 'everyone'],
    ['API_KEY', 'short'],
  ])('%s=%j', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toContain(name);
    expect(error.name).toBe('ConfigError');
  });

  it('rejects a DATABASE_URL that is not postgres://', () => {
    expect(configError({ DATABASE_URL: 'mysql://x/y', API_KEY: KEY, JWT_SECRET: SECRET }).message).toContain(
      'DATABASE_URL',
    );
    expect(
      configError({ DATABASE_URL: 'https://db.example', API_KEY: KEY, JWT_SECRET: SECRET }).message,
    ).toContain('DATABASE_URL');
  });
});

describe('loadConfig refuses unsafe combinations', () => {
  it('NODE_ENV=production without API_KEY, JWT_SECRET and CORS_ORIGINS names all three', () => {
    const { message } = configError({ NODE_ENV: 'production' });
    expect(message).toContain('API_KEY');
    expect(message).toContain('JWT_SECRET');
    expect(message).toContain('CORS_ORIGINS');
  });

  it.each([
    ['API_KEY', { JWT_SECRET: SECRET, CORS_ORIGINS: 'https://a.example' }],
    ['JWT_SECRET', { API_KEY: KEY, CORS_ORIGINS: 'https://a.example' }],
    ['CORS_ORIGINS', { API_KEY: KEY, JWT_SECRET: SECRET }],
  ])('NODE_ENV=production without only %s names just that one', (missing, rest) => {
    const { message } = configError({ NODE_ENV: 'production', ...rest });
    expect(message).toContain(missing);
    for (const other of ['API_KEY', 'JWT_SECRET', 'CORS_ORIGINS'].filter((n) => n !== missing)) {
      expect(message).not.toContain(other);
    }
  });

  it('production also refuses a blank API_KEY', () => {
    const { message } = configError({
      NODE_ENV: 'production',
      API_KEY: '   ',
      JWT_SECRET: SECRET,
      CORS_ORIGINS: 'https://a.example',
    });
    expect(message).toContain('API_KEY');
  });

  it('DATABASE_URL without API_KEY (or JWT_SECRET) is refused', () => {
    expect(configError({ DATABASE_URL: PG, JWT_SECRET: SECRET }).message).toContain('API_KEY');
    expect(configError({ DATABASE_URL: PG }).message).toContain('API_KEY');
    expect(configError({ DATABASE_URL: PG, API_KEY: KEY }).message).toContain('JWT_SECRET');
  });

  it('production refuses TRUST_PROXY=true, saying why and what to give instead', () => {
    const production = {
      NODE_ENV: 'production',
      API_KEY: KEY,
      JWT_SECRET: SECRET,
      CORS_ORIGINS: 'https://a.example',
    };
    const { message } = configError({ ...production, TRUST_PROXY: 'true' });
    expect(message).toContain('TRUST_PROXY');
    expect(message).toContain('forge');
    expect(message).toContain('hops');
    expect(loadConfig({ ...production, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...production, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe(
      '10.0.0.0/8, 127.0.0.1',
    );
    // Outside production (a developer behind a local proxy) `true` stays allowed.
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it('DEMO_DATA=on with DATABASE_URL is refused', () => {
    const { message } = configError({ DATABASE_URL: PG, API_KEY: KEY, JWT_SECRET: SECRET, DEMO_DATA: 'on' });
    expect(message).toContain('DEMO_DATA');
  });
});

describe('URL kinds and empty lists', () => {
  it('accepts only http(s) for service URLs and only postgres for DATABASE_URL', () => {
    expect(() => loadConfig({ TELEGRAM_API_ROOT: 'postgres://db.example/x' })).toThrow(/TELEGRAM_API_ROOT/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'postgresql://x' })).toThrow(/PUBLIC_BASE_URL/);
  });

  it('treats a CORS_ORIGINS of only commas and spaces as missing in production', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        API_KEY: 'k'.repeat(20),
        JWT_SECRET: 's'.repeat(20),
        CORS_ORIGINS: ' , ',
      }),
    ).toThrow(/CORS_ORIGINS/);
  });
});
