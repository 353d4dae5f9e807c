// The PostgreSQL server of a bench run: BENCH_DATABASE_URL when set, else a throwaway server started
// from the local binaries (SPEC §6: initdb refuses to run as root, so as root it runs as `postgres`).
// Either way the bench works in a database of its own that it creates and drops.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** The database the server under test uses. */
  url: string;
  /** Where it came from, for the report. */
  origin: string;
  /** Drops the bench database and stops a throwaway server; safe to call twice. */
  stop(): Promise<void>;
  /** The server's processes (postmaster and its children), to measure their CPU: a throwaway server's,
   * or a BENCH_DATABASE_URL server's when it runs on this machine and its data folder is readable. */
  processIds?(): number[];
  /**
   * Another, empty database on the same server (dropped by stop()): start-up from nothing (S8), a data
   * set of its own (S6). With `statements`, pg_stat_statements is created in it when the server has it.
   */
  emptyDatabase(statements?: boolean): Promise<string>;
}

/** The postmaster of a data folder and its children, from postmaster.pid and /proc (Linux). */
function serverProcessIds(dataDir: string): number[] {
  try {
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((name) => {
        try {
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  } catch {
    return [];
  }
}

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** The bin folder of the newest local PostgreSQL (Debian layout), if any. */
export function localPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The data folder of a server on this machine (its postmaster.pid readable), else undefined. */
async function localDataDirectory(url: string): Promise<string | undefined> {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host)) return undefined;
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const result = await client.query<{ setting: string }>(
      `select setting from pg_settings where name = 'data_directory'`,
    );
    const dir = result.rows[0]?.setting;
    return dir && existsSync(path.join(dir, 'postmaster.pid')) ? dir : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

async function createBenchDatabase(
  serverUrl: string,
  name: string,
  extensions: string[],
  optional = false,
): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  if (extensions.length === 0) return;
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, name) });
  await client.connect();
  try {
    for (const extension of extensions) {
      await client.query(`create extension if not exists ${extension}`).catch((error: unknown) => {
        if (!optional) throw error;
      });
    }
  } finally {
    await client.end();
  }
}

async function dropBenchDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end().catch(() => {});
  }
}

function extraDatabases(serverUrl: string, prefix: string) {
  const names: string[] = [];
  return {
    async create(statements = false): Promise<string> {
      const name = `${prefix}_${names.length + 1}`;
      names.push(name);
      await createBenchDatabase(serverUrl, name, statements ? ['pg_stat_statements'] : [], true);
      return withDatabase(serverUrl, name);
    },
    async dropAll(): Promise<void> {
      for (const name of names.splice(0)) await dropBenchDatabase(serverUrl, name);
    },
  };
}

function runAsPostgres(command: string): void {
  const root = process.getuid?.() === 0;
  if (root) execFileSync('su', ['postgres', '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  else execFileSync('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function postgresUserIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * A PostgreSQL database for the bench, or undefined (with the reason) when no server is reachable
 * and none can be started. `statements` loads pg_stat_statements on a throwaway server (--profile).
 */
export async function openBenchPostgres(options: {
  statements: boolean;
}): Promise<PostgresServer | { unavailable: string }> {
  const name = `hraniteli_bench_${process.pid}`;
  const given = process.env.BENCH_DATABASE_URL?.trim();
  if (given) {
    if (!(await reachable(given))) return { unavailable: `BENCH_DATABASE_URL is set but not reachable` };
    // pg_stat_statements only when the server preloads it (else creating the extension fails: no breakdown).
    await createBenchDatabase(given, name, options.statements ? ['pg_stat_statements'] : [], true);
    let stopped = false;
    const extra = extraDatabases(given, name);
    const dataDir = await localDataDirectory(given);
    return {
      url: withDatabase(given, name),
      origin: 'BENCH_DATABASE_URL',
      ...(dataDir ? { processIds: () => serverProcessIds(dataDir) } : {}),
      async stop() {
        if (stopped) return;
        stopped = true;
        await extra.dropAll();
        await dropBenchDatabase(given, name);
      },
      emptyDatabase: extra.create,
    };
  }

  const bin = localPostgresBin();
  if (!bin) return { unavailable: 'no BENCH_DATABASE_URL and no /usr/lib/postgresql/*/bin/postgres' };
  const dir = mkdtempSync(path.join(tmpdir(), 'hraniteli-bench-pg-'));
  const port = await freePort();
  let started = false;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (started) runAsPostgres(`${bin}/pg_ctl -D ${dir} -m fast -w stop`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    if (process.getuid?.() === 0) {
      const { uid, gid } = postgresUserIds();
      chownSync(dir, uid, gid);
    }
    runAsPostgres(`${bin}/initdb -D ${dir} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8`);
    const settings = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-k ${dir}`,
      ...(options.statements
        ? ['-c shared_preload_libraries=pg_stat_statements', '-c pg_stat_statements.track=all']
        : []),
    ].join(' ');
    runAsPostgres(`${bin}/pg_ctl -D ${dir} -l ${dir}/log -o '${settings}' -w start`);
    started = true;
    const serverUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await createBenchDatabase(serverUrl, name, options.statements ? ['pg_stat_statements'] : []);
    return {
      url: withDatabase(serverUrl, name),
      origin: `throwaway PostgreSQL ${path.basename(path.dirname(bin))} on port ${port}`,
      stop,
      processIds: () => serverProcessIds(dir),
      emptyDatabase: extraDatabases(serverUrl, name).create,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
