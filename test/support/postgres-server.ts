// A PostgreSQL server of the test's own (initdb + pg_ctl from Debian's packages), which the test may
// stop and start again — the shared TEST_DATABASE_URL server must stay up for everyone else. Run as the
// `postgres` user when the tests run as root, as .ci/run does.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

/** The newest PostgreSQL's bin folder, or null when none is installed. */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b));
  return versions.length ? path.join(root, versions.at(-1)!, 'bin') : null;
}

export class PostgresServer {
  readonly dir: string;
  readonly url: string;

  private readonly bin: string;
  readonly port: number;

  constructor(bin: string, port: number) {
    this.bin = bin;
    this.port = port;
    this.dir = mkdtempSync(path.join(tmpdir(), 'hraniteli-r-pg-'));
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  private run(command: string, args: string[]): void {
    const asRoot = userInfo().uid === 0;
    const [file, argv] = asRoot
      ? ['su', ['postgres', '-s', '/bin/sh', '-c', [command, ...args].map(quote).join(' ')]]
      : [command, args];
    execFileSync(file, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  }

  init(): void {
    if (userInfo().uid === 0) chownSync(this.dir, uidOf('postgres'), gidOf('postgres'));
    this.run(path.join(this.bin, 'initdb'), [
      '-D',
      path.join(this.dir, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
  }

  start(): void {
    this.run(path.join(this.bin, 'pg_ctl'), [
      '-D',
      path.join(this.dir, 'data'),
      '-l',
      path.join(this.dir, 'server.log'),
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=100 -c fsync=off`,
      '-w',
      'start',
    ]);
  }

  /** `fast`: sessions are ended and the server shuts down, like an operator's restart. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run(path.join(this.bin, 'pg_ctl'), ['-D', path.join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  /**
   * A network black hole: every server process (postmaster first, so that it forks no new backend, then
   * its backends and helpers) is stopped with SIGSTOP. Connections stay open and new ones are accepted by
   * the kernel, but nothing answers until `resume`.
   */
  pause(): void {
    const postmaster = this.postmasterPid();
    process.kill(postmaster, 'SIGSTOP');
    for (const pid of childrenOf(postmaster)) process.kill(pid, 'SIGSTOP');
  }

  resume(): void {
    const postmaster = this.postmasterPid();
    for (const pid of childrenOf(postmaster)) process.kill(pid, 'SIGCONT');
    process.kill(postmaster, 'SIGCONT');
  }

  private postmasterPid(): number {
    return Number(readFileSync(path.join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** The server's log, for failure messages. */
  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  destroy(): void {
    for (const end of [() => this.resume(), () => this.stop('immediate')]) {
      try {
        end(); // resumed first: a stopped server would not take the signal to end
      } catch {
        // not running
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
const uidOf = (user: string) => Number(execFileSync('id', ['-u', user]).toString().trim());
const gidOf = (user: string) => Number(execFileSync('id', ['-g', user]).toString().trim());

/** Processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name in parentheses may hold spaces: the parent pid is the second field after it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}
