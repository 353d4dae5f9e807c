// `npm run bench`: the performance scenarios of quality.md on embedded PGlite and, when a server is
// reachable or can be started, on PostgreSQL. The server under test is a child process
// (bench/server.ts); the load comes from autocannon in this process.
//
//   npm run bench                         B0 B1 S1 S1nc S2 S2w S3 S3r S3n S3w S4 S5 S6 S7 S8 on PGlite, then on PostgreSQL
//   npm run bench -- S1 S4                a subset (B1 is added when a ratio to it is needed)
//   npm run bench -- --db pglite          one database (pglite | postgres | both)
//   npm run bench -- --profile            CPU profile per scenario + top SQL statements (PostgreSQL)
//   npm run bench -- --strict             exit code 1 when any target is missed
//   npm run bench -- --duration 3 --warmup 1 --connections 50   shorter runs while developing
//   npm run bench -- --db postgres --pool 30   an experiment: another pool size than the service's 10
//   npm run bench -- --node-options "--liftoff-only"   an experiment: Node flags for the server process
//                                         (default: the flags of `npm start`, from package.json)
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  BOOKED_SLOTS,
  EVERYONE_SPECIALIZATION,
  leadNumber,
  moscowYmdAfter,
  psychologistSeeds,
  SLOTS_PER_PSYCHOLOGIST,
  slotTimes,
  SPECIALIZATIONS,
  seededRandom,
  CLIENTS,
} from './dataset.ts';
import { applicationBody, type Person } from '../test/support/web-form.ts';
import { FakeBotApi, judgeDelivery, S7_CHATS, S7_MESSAGES, type S7Delivery } from './outbox.ts';
import { S6_MESSAGES, S6_PSYCHOLOGISTS, S6_SESSIONS, type RemindersOutcome } from './reminders.ts';
import { freePort, openBenchPostgres, type PostgresServer } from './postgres.ts';
import {
  formatProfile,
  formatStatements,
  StatementStats,
  summarizeProfile,
  type CpuProfile,
} from './profile.ts';
import type { CallMessage, ServerMessage, ServerMethod } from './protocol.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

// S3w books slots: it runs before S4, which books slots of its own that S3w leaves alone (stormSlots).
const SCENARIOS = [
  'B0',
  'B1',
  'S1',
  'S1nc',
  'S2',
  'S2w',
  'S3',
  'S3r',
  'S3n',
  'S3w',
  'S4',
  'S5',
  'S6',
  'S7',
  'S8',
] as const;
type Scenario = (typeof SCENARIOS)[number];
type DatabaseKind = 'pglite' | 'postgres';

/** The scenarios judged against B1. */
const RELATIVE: Scenario[] = ['S1', 'S1nc', 'S2', 'S2w', 'S3', 'S3r', 'S3n', 'S3w', 'S5'];

const STORM_ATTEMPTS = 2_000;
const STORM_SLOTS = 200;

// ---------------------------------------------------------------------------------------------------
// Command line

interface Options {
  scenarios: Scenario[];
  databases: DatabaseKind[];
  /** Databases named explicitly must run; the default PostgreSQL run is skipped when unreachable. */
  explicitDb: boolean;
  duration: number;
  warmup: number;
  connections: number;
  profile: boolean;
  strict: boolean;
  /** PostgreSQL pool size of the server under test; undefined = the service's own (10). */
  pool?: number;
  /** Node options of the server under test; by default those of `npm start`. */
  nodeOptions: string[];
}

/** The Node flags `npm start` runs the service with (package.json "start": node <flags> src/main.ts). */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(here, '..', 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json "start" does not run node: ${pkg.scripts.start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(
    'usage: npm run bench -- [B0 B1 S1 S1nc S2 S2w S3 S3r S3n S3w S4 S5 S6 S7 S8] [--db pglite|postgres|both] [--profile] [--strict]\n' +
      '                       [--duration <s>] [--warmup <s>] [--connections <n>] [--pool <n>]\n' +
      '                       [--node-options "<flags for the server process>"]',
  );
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    scenarios: [],
    databases: ['pglite', 'postgres'],
    explicitDb: false,
    duration: 10,
    warmup: 2,
    connections: 50,
    profile: false,
    strict: false,
    nodeOptions: startFlags(),
  };
  const requested = new Set<Scenario>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split('=', 2) as [string, string?]) : [arg];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    const number = () => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) usage(`${flag} needs a positive number`);
      return n;
    };
    switch (flag) {
      case '--db': {
        const db = value();
        if (db === 'both') options.databases = ['pglite', 'postgres'];
        else if (db === 'pglite' || db === 'postgres') options.databases = [db];
        else usage(`--db must be pglite, postgres or both, got "${db}"`);
        options.explicitDb = true;
        break;
      }
      case '--duration':
        options.duration = number();
        break;
      case '--warmup':
        options.warmup = number();
        break;
      case '--connections':
        options.connections = Math.round(number());
        break;
      case '--profile':
        options.profile = true;
        break;
      case '--pool':
        options.pool = Math.round(number());
        break;
      case '--node-options':
        options.nodeOptions = value().split(/\s+/).filter(Boolean);
        break;
      case '--strict':
        options.strict = true;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default: {
        const name = SCENARIOS.find((s) => s.toLowerCase() === arg.toLowerCase());
        if (!name) usage(`unknown scenario or option "${arg}"`);
        requested.add(name);
      }
    }
  }
  if (requested.size === 0) for (const s of SCENARIOS) requested.add(s);
  // S1–S3 are judged against B1 (on PostgreSQL; shown on PGlite too): measure it in the same run.
  if (RELATIVE.some((s) => requested.has(s))) requested.add('B1');
  options.scenarios = SCENARIOS.filter((s) => requested.has(s));
  return options;
}

// ---------------------------------------------------------------------------------------------------
// The server under test

/** Resident memory of a process in MB (Linux), or undefined. */
function rssOf(pid: number | undefined): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The highest RSS of a process from its start on (sampled every 50 ms): the memory target counts the
 * start-up peak too, which a sampler started after `ready` would miss.
 */
class PeakRss {
  private peak: number | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly pid: number | undefined;

  constructor(pid: number | undefined) {
    this.pid = pid;
    this.timer = setInterval(() => this.sample(), 50);
  }

  sample(): number | undefined {
    const mb = rssOf(this.pid);
    if (mb !== undefined) this.peak = Math.max(this.peak ?? 0, mb);
    return mb;
  }

  get peakMb(): number | undefined {
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

class ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly kind: DatabaseKind;
  readonly rss: PeakRss;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(child: ChildProcess, port: number, kind: DatabaseKind, rss: PeakRss) {
    this.child = child;
    this.port = port;
    this.kind = kind;
    this.rss = rss;
    child.on('message', (message: ServerMessage) => {
      if (message.type !== 'reply') return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`server ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      rss.stop();
      for (const waiter of this.pending.values())
        waiter.reject(new Error(`the server exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static start(env: NodeJS.ProcessEnv, execArgv: string[]): Promise<ServerProcess> {
    const child = fork(path.join(here, 'server.ts'), [], {
      env,
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const rss = new PeakRss(child.pid);
    child.once('exit', () => rss.stop());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the server did not become ready within 120 s'));
      }, 120_000);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`the server exited before it was ready (code ${code})`));
      };
      child.once('exit', onExit);
      child.on('message', function onMessage(message: ServerMessage) {
        if (message.type === 'failed') {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.kill('SIGKILL');
          reject(new Error(`the server failed to start: ${message.error}`));
        } else if (message.type === 'ready') {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.off('message', onMessage);
          resolve(new ServerProcess(child, message.port, message.database, rss));
        }
      });
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  call<T>(method: ServerMethod, args?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new Error('the server is not running'));
    const id = this.nextId++;
    const message: CallMessage = { type: 'call', id, method, args };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send(message);
    });
  }

  /** Resident memory of the server process in MB (Linux), or undefined. */
  rssMb(): number | undefined {
    return this.rss.sample();
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
    try {
      await Promise.race([this.call('stop'), timeout]);
    } catch {
      // Already gone or failed to close cleanly: the kill below finishes the job.
    }
    if ((await Promise.race([exited.then(() => 'exited' as const), timeout])) === 'timeout') {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function processCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

interface ResourceUse {
  rssPeakMb?: number;
  /** The server's highest RSS from its start (start-up included) to the end of this measurement. */
  rssPeakSinceStartMb?: number;
  rssEndMb?: number;
  /** CPU of the server process, load generator (this process) and everything else, in % of one core. */
  serverCpu?: number;
  loadGeneratorCpu?: number;
  /** The PostgreSQL server's processes (when they can be seen). */
  databaseCpu?: number;
  /** The wall time the CPU shares above are taken over, in seconds. */
  sampledSeconds?: number;
  restOfMachineCpu?: number;
}

/** CPU time per answered request, in µs, from a share of one core over the measurement. */
function perRequestUs(cpuPercent: number, m: { sampledSeconds?: number; requests: number }): string {
  if (!m.requests || m.sampledSeconds === undefined) return '?';
  return (((cpuPercent / 100) * m.sampledSeconds * 1e6) / m.requests).toFixed(0);
}

function cpuOf(pids: number[]): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) cpu.set(pid, seconds);
  }
  return cpu;
}

/** Peak and last resident memory of the server, and who used the CPU, while a measurement runs. */
function sampleResources(server: ServerProcess, databasePids?: () => number[]): { stop(): ResourceUse } {
  let peak: number | undefined;
  const take = () => {
    const mb = server.rssMb();
    if (mb !== undefined) peak = Math.max(peak ?? 0, mb);
    return mb;
  };
  take();
  const started = performance.now();
  const serverCpu = processCpuSeconds(server.child.pid);
  const ownCpu = process.cpuUsage();
  const machine = machineJiffies();
  const databaseCpu = databasePids ? cpuOf(databasePids()) : undefined;
  const timer = setInterval(take, 250);
  return {
    stop() {
      clearInterval(timer);
      const end = take();
      const wall = (performance.now() - started) / 1000;
      const serverNow = processCpuSeconds(server.child.pid);
      const own = process.cpuUsage(ownCpu);
      const machineNow = machineJiffies();
      const sinceStart = server.rss.peakMb;
      const use: ResourceUse = {
        ...(peak !== undefined ? { rssPeakMb: peak } : {}),
        ...(sinceStart !== undefined ? { rssPeakSinceStartMb: Math.max(sinceStart, peak ?? 0) } : {}),
        ...(end !== undefined ? { rssEndMb: end } : {}),
      };
      if (serverCpu !== undefined && serverNow !== undefined && machine && machineNow) {
        const cores = os.cpus().length;
        const busyShare = (machineNow.busy - machine.busy) / Math.max(1, machineNow.total - machine.total);
        use.sampledSeconds = wall;
        use.serverCpu = (100 * (serverNow - serverCpu)) / wall;
        use.loadGeneratorCpu = (100 * (own.user + own.system)) / 1e6 / wall;
        let rest = busyShare * cores * 100 - use.serverCpu - use.loadGeneratorCpu;
        if (databaseCpu && databasePids) {
          let used = 0;
          for (const [pid, now] of cpuOf(databasePids())) used += now - (databaseCpu.get(pid) ?? 0);
          use.databaseCpu = (100 * used) / wall;
          rest -= use.databaseCpu;
        }
        use.restOfMachineCpu = Math.max(0, rest);
      }
      return use;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// HTTP helpers for setting up through the real API

async function api<T>(server: ServerProcess, apiKey: string, method: string, url: string, body?: unknown) {
  const response = await fetch(`${server.base}${url}`, {
    method,
    headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function inParallel<T>(items: T[], concurrency: number, action: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next < items.length) await action(items[next++]!);
  });
  await Promise.all(workers);
}

interface FreeSlot {
  id: string;
  date: string;
  time: string;
  start_iso: string;
  psychologist: string;
  psychologist_id: string;
}

interface DataSet {
  names: string[];
  tomorrow: string;
  freeSlots: FreeSlot[];
  bookedSlots: { id: string; psychologist_id: string }[];
  counts: Record<string, number>;
  seconds: number;
  /** S4's slots, chosen once (stormSlots): S3w, which books, must leave them free. */
  stormSlots?: FreeSlot[];
}

/** Psychologists and slots through the admin API, then clients, tickets and sessions in bulk. */
async function createDataSet(server: ServerProcess, apiKey: string): Promise<DataSet> {
  const started = performance.now();
  const now = new Date();
  const seeds = psychologistSeeds();
  let slots = 0;
  await inParallel(seeds, 8, async (seed) => {
    const { firstHour, ...fields } = seed;
    const created = await api<{ psychologist: { id: string } }>(
      server,
      apiKey,
      'POST',
      '/admin/psychologists',
      fields,
    );
    const added = await api<{ created: unknown[] }>(server, apiKey, 'POST', '/admin/slots', {
      psychologist_id: created.psychologist.id,
      slots: slotTimes(now, firstHour),
      duration_minutes: 60,
    });
    if (added.created.length !== SLOTS_PER_PSYCHOLOGIST)
      throw new Error(
        `expected ${SLOTS_PER_PSYCHOLOGIST} slots for ${seed.name}, got ${added.created.length}`,
      );
    slots += added.created.length;
  });
  const loaded = await server.call<Record<string, number>>('loadBookings');
  if (loaded.sessions !== BOOKED_SLOTS || loaded.bookedSlots !== BOOKED_SLOTS)
    throw new Error(`the loader booked ${JSON.stringify(loaded)}, expected ${BOOKED_SLOTS}`);
  const free = await api<{ slots: FreeSlot[] }>(server, apiKey, 'GET', '/get-available-slots');
  const booked = await api<{ slots: { id: string; psychologist_id: string }[] }>(
    server,
    apiKey,
    'GET',
    '/admin/slots?state=booked&limit=1000',
  );
  return {
    names: seeds.map((s) => s.name),
    tomorrow: moscowYmdAfter(now, 1),
    freeSlots: free.slots,
    bookedSlots: booked.slots.map((s) => ({ id: s.id, psychologist_id: s.psychologist_id })),
    counts: { psychologists: seeds.length, slots, ...loaded },
    seconds: (performance.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------------
// Load

interface Measurement extends ResourceUse {
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  seconds: number;
  /** The warm-up, when it had a load of its own. */
  warmup?: WarmupUse;
}

interface WarmupUse extends ResourceUse {
  requests: number;
  reqPerSec: number;
}

/** Runs autocannon; `lastAnswer` is when the last response arrived (performance.now()). autocannon itself
 * reports only at its next 1-second sample tick, which would round a fixed amount's duration up. */
async function cannon(options: autocannon.Options): Promise<autocannon.Result & { lastAnswer: number }> {
  let lastAnswer = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const tracker = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
    tracker.on('response', () => {
      lastAnswer = performance.now();
    });
  });
  return { ...result, lastAnswer };
}

function toMeasurement(result: autocannon.Result, seconds: number, resources: ResourceUse) {
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  const measurement: Measurement = {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    seconds,
    ...resources,
  };
  return measurement;
}

interface Load {
  requests: autocannon.Request[];
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Closed loop by default; S3r keeps a fixed arrival rate over fewer connections. */
  connections?: number;
  overallRate?: number;
  /** Called between the warm-up and the measured run (S3w counts the measured run's outcomes). */
  beforeRun?: () => void;
}

interface RunContext {
  server: ServerProcess;
  /** The listing cache TTL of the server under test (SLOTS_CACHE_MS). */
  listingCacheMs: number;
  options: Options;
  apiKey: string;
  data: DataSet;
  profileFile?: string;
  statements?: StatementStats;
  databasePids?: () => number[];
  profileText: string[];
}

/** Warm-up, then the measured run with RSS sampling (and profiling when asked). */
async function measureLoad(
  deps: RunContext,
  load: Load,
  shape: { duration: number } | { amount: number },
  warmup: Load | null = load,
): Promise<Measurement> {
  const common = {
    url: deps.server.base,
    connections: load.connections ?? deps.options.connections,
    ...(load.overallRate ? { overallRate: load.overallRate } : {}),
    pipelining: 1,
    timeout: 30,
    ...(load.method ? { method: load.method } : {}),
    ...(load.headers ? { headers: load.headers } : {}),
  };
  let warmupUse: WarmupUse | undefined;
  if (warmup) {
    // A warm-up with a load of its own (S4: attempts on booked slots, all 409) is a figure of its own.
    const own = warmup !== load ? sampleResources(deps.server, deps.databasePids) : undefined;
    const result = await cannon({
      ...common,
      ...(warmup.method ? { method: warmup.method } : {}),
      ...(warmup.headers ? { headers: warmup.headers } : {}),
      requests: warmup.requests,
      duration: deps.options.warmup,
    });
    if (own) {
      const use = own.stop();
      warmupUse = { ...use, requests: result.requests.total, reqPerSec: result.requests.average };
    }
  }
  load.beforeRun?.();
  if (deps.profileFile) await deps.server.call('profileStart');
  await deps.statements?.reset();
  const resources = sampleResources(deps.server, deps.databasePids);
  const started = performance.now();
  const result = await cannon({ ...common, requests: load.requests, ...shape });
  // A fixed amount lasts until its last answer; a fixed duration is the whole run.
  const seconds = (('amount' in shape ? result.lastAnswer : performance.now()) - started) / 1000;
  const measurement = toMeasurement(result, seconds, resources.stop());
  if (warmupUse) measurement.warmup = warmupUse;
  if (deps.profileFile) {
    const file = await deps.server.call<string>('profileStop', deps.profileFile);
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    deps.profileText.push(
      formatProfile(summarizeProfile(profile)),
      `    profile: ${path.relative('.', file)}`,
    );
  }
  if (deps.statements)
    deps.profileText.push(formatStatements(await deps.statements.top(), measurement.requests));
  return measurement;
}

// autocannon writes Content-Length into the headers object of each request it builds: never share one.
const json = () => ({ 'content-type': 'application/json' });

function rotating(paths: string[]): autocannon.Request[] {
  let i = 0;
  return [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[i++ % paths.length]! }) }];
}

interface ScenarioOutcome {
  measurement: Measurement;
  /** What one answer looks like (size, slots, matches). */
  shape?: string;
  attemptsPerSec?: number;
  checks?: Record<string, unknown>;
  problems: string[];
}

/** One request as the load sends it, to check the scenario answers 2xx and to describe the answer. */
async function probe(
  deps: RunContext,
  load: Load,
): Promise<{ status: number; bytes: number; body: unknown }> {
  const template = load.requests[0]!;
  const request = template.setupRequest
    ? (template.setupRequest as (r: autocannon.Request, c: object) => autocannon.Request)({ ...template }, {})
    : template;
  const response = await fetch(`${deps.server.base}${request.path ?? '/'}`, {
    method: request.method ?? 'GET',
    headers: Object.fromEntries(
      Object.entries(request.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-length'),
    ) as Record<string, string>,
    ...(request.body !== undefined ? { body: request.body as string } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: described by its size only.
  }
  return { status: response.status, bytes: Buffer.byteLength(text), body };
}

/** The probes of a read scenario: every distinct path once; all must answer 200. */
async function describeReads(
  deps: RunContext,
  paths: string[],
): Promise<{ shape: string; problems: string[] }> {
  let slots = 0;
  let bytes = 0;
  const problems: string[] = [];
  for (const p of paths) {
    const answer = await probe(deps, { requests: rotating([p]) });
    if (answer.status !== 200) problems.push(`GET ${p} answered ${answer.status}`);
    slots += (answer.body as { slots?: unknown[] }).slots?.length ?? 0;
    bytes += answer.bytes;
  }
  const per = bytes / paths.length;
  const size = per < 1024 ? `${per.toFixed(0)} B` : `${(per / 1024).toFixed(1)} KB`;
  return {
    shape: slots ? `${(slots / paths.length).toFixed(0)} slots, ${size} per answer` : `${size} per answer`,
    problems: problems.slice(0, 5),
  };
}

/**
 * A read scenario over `paths`. With `listingCacheMs` the listing cache is replaced by an empty one with
 * that TTL after the probes (which fill it) and the load starts without a warm-up: from a cold cache,
 * as after a start or a write.
 */
async function runReads(
  deps: RunContext,
  paths: string[],
  listingCacheMs?: number,
): Promise<ScenarioOutcome> {
  const { shape, problems } = await describeReads(deps, paths);
  if (problems.length) throw new Error(`the scenario does not work: ${problems.join('; ')}`);
  if (listingCacheMs !== undefined) await deps.server.call('resetListingCache', listingCacheMs);
  const load = { requests: rotating(paths) };
  const measurement = await measureLoad(
    deps,
    load,
    { duration: deps.options.duration },
    listingCacheMs === undefined ? load : null,
  );
  return { measurement, shape, problems: [] };
}

async function runScenario(name: Scenario, deps: RunContext): Promise<ScenarioOutcome> {
  switch (name) {
    case 'B0':
      return runReads(deps, ['/__bench/b0']);
    case 'B1':
      return runReads(deps, ['/__bench/b1']);
    case 'S1':
    case 'S1nc': {
      const paths = deps.data.names.map((n) => `/get-available-slots?psychologist=${encodeURIComponent(n)}`);
      // S1 with the service's own TTL from cold; S1nc with the cache off (SLOTS_CACHE_MS=0). The service's
      // own cache comes back after S1nc for the scenarios that follow.
      if (name === 'S1') return runReads(deps, paths, deps.listingCacheMs);
      const outcome = await runReads(deps, paths, 0);
      await deps.server.call('resetListingCache', deps.listingCacheMs);
      return outcome;
    }
    case 'S2':
      return runReads(deps, [`/get-available-slots?from=${deps.data.tomorrow}&to=${deps.data.tomorrow}`]);
    case 'S2w': {
      const load = webScheduleLoad();
      const answer = await probe(deps, load);
      if (answer.status !== 200)
        throw new Error(
          `POST /get-agregated-schedule-v2 answered ${answer.status}: ${JSON.stringify(answer.body)}`,
        );
      const [first] = answer.body as {
        name_order: string[];
        items: { slots: Record<string, unknown[]> }[];
      }[];
      const slots = (first?.items ?? []).reduce(
        (sum, day) => sum + Object.values(day.slots).reduce((n, list) => n + list.length, 0),
        0,
      );
      const shape = `${first?.name_order.length ?? 0} psychologists, ${slots} free slots, ${(answer.bytes / 1024).toFixed(0)} KB of JSON, sent gzipped`;
      const measurement = await measureLoad(deps, load, { duration: deps.options.duration });
      return { measurement, shape, problems: [] };
    }
    case 'S3': {
      const load = applicationLoad(deps.data);
      const answer = await probe(deps, load);
      if (answer.status !== 200)
        throw new Error(`POST /submit-application answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const matched =
        (answer.body as { matched_psychologists?: { slots: unknown[] }[] }).matched_psychologists ?? [];
      const offered = matched.reduce((sum, m) => sum + m.slots.length, 0);
      const shape = `${matched.length} psychologists matched, ${offered} slots offered, ${(answer.bytes / 1024).toFixed(1)} KB`;
      const measurement = await measureLoad(deps, load, { duration: deps.options.duration });
      return { measurement, shape, problems: [] };
    }
    case 'S3r': {
      // Latency at a fixed arrival rate: at 50 closed-loop connections p99 is mostly queueing.
      const rate = deps.server.kind === 'postgres' ? 100 : 50;
      const load = { ...applicationLoad(deps.data), connections: 10, overallRate: rate };
      const measurement = await measureLoad(deps, load, { duration: deps.options.duration });
      return { measurement, shape: `${rate} submissions/s over 10 connections`, problems: [] };
    }
    case 'S3n': {
      const load = applicationWithoutSlotsLoad();
      const answer = await probe(deps, load);
      if (answer.status !== 200)
        throw new Error(`POST /submit-application answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const matched =
        (answer.body as { matched_psychologists?: { slots: unknown[] }[] }).matched_psychologists ?? [];
      const offered = matched.reduce((sum, m) => sum + m.slots.length, 0);
      const shape = `no chosen times, all ${deps.data.names.length} candidates: ${matched.length} psychologists matched, ${offered} slots offered, ${(answer.bytes / 1024).toFixed(1)} KB`;
      const measurement = await measureLoad(deps, load, { duration: deps.options.duration });
      return { measurement, shape, problems: [] };
    }
    case 'S3w':
      return webApplication(deps);
    case 'S4':
      return bookingStorm(deps);
    case 'S5':
      // Every psychologist's four weekly schedule messages, rotating over all names.
      return runReads(
        deps,
        deps.data.names.map((n) => `/get-schedule?psychologist=${encodeURIComponent(n)}`),
      );
    case 'S7':
      return outboxDelivery(deps);
    case 'S6':
    case 'S8':
      throw new Error(`${name} starts servers of its own`);
  }
}

/**
 * S2w: the application form's schedule request (spec/web-form.md B.2.2) for a typical answer: a woman
 * of 30 who wants a female psychologist, no diagnosis, from today (UTC date, as the browser computes it)
 * to a month later, Moscow time — the same body every time, as one form page would send it.
 */
function webScheduleLoad(): Load {
  const start = new Date().toISOString().split('T')[0]!;
  const end = new Date(`${start}T00:00:00Z`);
  end.setUTCMonth(end.getUTCMonth() + 1);
  const body = JSON.stringify({
    startDate: start,
    endDate: end.toISOString().split('T')[0],
    ageFilter: '30',
    formPsyClientInfo: {
      age: '30',
      city: '',
      sex: 'Женский',
      psychoEducated: '',
      anxieties: [],
      customAnexiety: '',
      hasPsychoExperience: '',
      meetType: '',
      selectionСriteria: '',
      custmCreteria: '',
      importancePsycho: ['Чуткость, мягкость, умение выслушивать'],
      customImportance: '',
      agePsycho: '',
      sexPsycho: 'Женский',
      priceLastSession: '',
      durationSession: '',
      reasonCancel: '',
      pricePsycho: '',
      reasonNonApplication: '',
      contactType: 'Telegram',
      contact: '',
      name: 'Анна',
      is_adult: true,
      is_last_page: false,
      occupation: '',
    },
    form: {
      anxieties: [],
      questions: ['Тревога перед экзаменами'],
      customQuestion: [],
      diagnoses: [],
      diagnoseInfo: '',
      diagnoseMedicaments: '',
      traumaticEvents: ['Ничего из вышеперечисленного'],
      clientStates: ['Ничего из вышеперечисленного'],
      selectedPsychologistsNames: [],
      shownPsychologists: '',
      psychos: [],
      lastExperience: '',
      amountExpectations: '',
      age: '30',
      slots: [],
      contactType: 'Telegram',
      contact: '',
      name: 'Анна',
      promocode: '',
      ticket_id: 'bench1',
      emptySlots: false,
      userTimeZone: 'МСК',
      bid: 0,
      rid: 0,
      categoryType: '',
      customCategory: '',
      question_to_psychologist: 'Тревога перед экзаменами',
      filtered_by_automatch_psy_names: [],
      _queries: '',
      customTraumaticEvent: '',
      customState: '',
    },
    ticket_id: 'bench1',
    userTimeOffsetMsk: 0,
  });
  // A browser's fetch always offers gzip, and the service then answers gzipped.
  const headers = { ...json(), 'accept-encoding': 'gzip, deflate, br' };
  return {
    method: 'POST',
    headers,
    requests: [{ method: 'POST', path: '/webhook/get-agregated-schedule-v2', headers, body }],
  };
}

/** S3: a new person per request (unique Telegram username), 1–3 specializations, 2 chosen free slots. */
function applicationLoad(data: DataSet): Load {
  const random = seededRandom(7);
  const run = randomBytes(3).toString('hex');
  const pool = data.freeSlots;
  let n = 0;
  return {
    method: 'POST',
    headers: json(),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const k = n++;
          const wanted = [...SPECIALIZATIONS].sort(() => random() - 0.5).slice(0, 1 + (k % 3));
          const a = pool[Math.floor(random() * pool.length)]!;
          const b = pool[Math.floor(random() * pool.length)]!;
          return {
            ...request,
            path: '/submit-application',
            headers: json(),
            body: JSON.stringify({
              name: 'Бенч Клиент',
              age: 20 + (k % 40),
              contact: { type: 'telegram', value: `@bench_${run}_${k}` },
              selected_slots: [`${a.date} ${a.time}`, `${b.date} ${b.time}`],
              preferences: { gender: 'any', price_max: 5000, specializations: wanted },
            }),
          };
        },
      },
    ],
  };
}

/**
 * S3n: S3 without chosen times, as the help-hand form and every caller that sends none submit: one
 * specialization that every psychologist has, so all 100 are candidates; a new person per request.
 */
function applicationWithoutSlotsLoad(): Load {
  const run = randomBytes(3).toString('hex');
  let n = 0;
  return {
    method: 'POST',
    headers: json(),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const k = n++;
          return {
            ...request,
            path: '/submit-application',
            headers: json(),
            body: JSON.stringify({
              name: 'Бенч Клиент',
              age: 20 + (k % 40),
              contact: { type: 'telegram', value: `@bench_${run}_n${k}` },
              preferences: { gender: 'any', price_max: 5000, specializations: [EVERYONE_SPECIALIZATION] },
            }),
          };
        },
      },
    ],
  };
}

/** "dd.M HH:00" as the web front end formats a chosen slot (web-form.md B.1.2): month not padded. */
function webSlotText(slot: FreeSlot): string {
  const [day, month] = slot.date.split('.');
  return `${day}.${Number(month)} ${slot.time.slice(0, 2)}:00`;
}

/**
 * S3w: the application form's submission (POST {n8n}/webhook/tilda-zayavka, web-form.md B.1) with a
 * chosen time, its body built as test/support/web-form.ts builds the front end's: a new form id and a
 * new contact per request, a psychologist of the data set and one of their free slots (at random, S4's
 * excepted), every psychologist of the wanted sex as the matched list. Once a slot is booked, a later
 * choice of it is stored unbooked (`reason`); `outcomes` counts both for the measured run.
 */
function webApplicationLoad(data: DataSet): { load: Load; outcomes: Map<string, number> } {
  const random = seededRandom(11);
  const run = randomBytes(3).toString('hex');
  const reserved = new Set(stormSlots(data).map((s) => s.id));
  const pool = data.freeSlots.filter((s) => !reserved.has(s.id));
  const seeds = psychologistSeeds();
  const sexOf = new Map(seeds.map((s) => [s.name, s.sex]));
  const namesOf = (sex: 'male' | 'female') => seeds.filter((s) => s.sex === sex).map((s) => s.name);
  const matched = { male: namesOf('male'), female: namesOf('female') };
  const outcomes = new Map<string, number>();
  let n = 0;
  const load: Load = {
    method: 'POST',
    headers: json(),
    beforeRun: () => outcomes.clear(),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const k = n++;
          const slot = pool[Math.floor(random() * pool.length)]!;
          const sex = sexOf.get(slot.psychologist) ?? 'female';
          const person: Person = {
            ticketId: `bw${run}_${k.toString(36)}`,
            name: 'Анна',
            age: String(20 + (k % 40)),
            gender: k % 2 ? 'male' : 'female',
            genderPsychologist: sex,
            request: 'Тревога перед экзаменами',
            conditions: ['Ничего из вышеперечисленного'],
            traumatic: ['Ничего из вышеперечисленного'],
            diagnosis: 'nothing',
            contactType: 'Telegram',
            contact: `@benchw_${run}_${k}`,
            promocode: '""',
          };
          return {
            ...request,
            path: '/webhook/tilda-zayavka',
            headers: json(),
            body: JSON.stringify(applicationBody(person, slot.psychologist, webSlotText(slot), matched[sex])),
          };
        },
        onResponse: (status, body) => {
          let outcome = String(status);
          if (status === 200) {
            try {
              const answer = JSON.parse(body) as { booked?: boolean; reason?: string };
              outcome = answer.booked ? 'booked' : (answer.reason ?? 'not booked');
            } catch {
              outcome = '200, not JSON';
            }
          }
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        },
      },
    ],
  };
  return { load, outcomes };
}

async function webApplication(deps: RunContext): Promise<ScenarioOutcome> {
  const { load, outcomes } = webApplicationLoad(deps.data);
  const answer = await probe(deps, load);
  const first = answer.body as { booked?: boolean; reason?: string; session?: unknown };
  if (answer.status !== 200 || first.booked !== true)
    throw new Error(`POST /webhook/tilda-zayavka answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  const measurement = await measureLoad(deps, load, { duration: deps.options.duration });
  const counts = [...outcomes].sort((a, b) => b[1] - a[1]);
  const shape =
    `first submission booked its slot (${JSON.stringify(first.session)}); measured run: ` +
    counts.map(([outcome, count]) => `${count} ${outcome}`).join(', ');
  return { measurement, shape, checks: Object.fromEntries(counts), problems: [] };
}

/** S4's 200 free slots, at least two days ahead and spread over the month; chosen once per data set. */
function stormSlots(data: DataSet): FreeSlot[] {
  if (data.stormSlots) return data.stormSlots;
  const earliest = Date.now() + 2 * 86_400_000;
  const candidates = data.freeSlots.filter((s) => Date.parse(s.start_iso) >= earliest);
  if (candidates.length < STORM_SLOTS) throw new Error(`only ${candidates.length} free slots for the storm`);
  const step = Math.floor(candidates.length / STORM_SLOTS);
  data.stormSlots = Array.from({ length: STORM_SLOTS }, (_, i) => candidates[i * step]!);
  return data.stormSlots;
}

/**
 * S4: 2 000 booking attempts over 200 free slots, 50 at a time, by 2 000 different clients. Every slot
 * is wanted ten times; the attempts come in a shuffled (seeded) order, so attempts on one slot overlap
 * in flight as they would in a crowd. Exactly one attempt per slot may win.
 */
async function bookingStorm(deps: RunContext): Promise<ScenarioOutcome> {
  const { data, apiKey } = deps;
  const slots = stormSlots(data);
  const headers = () => ({ ...json(), 'x-api-key': apiKey });
  const body = (client: number, slot: { id: string; psychologist_id: string }) =>
    JSON.stringify({
      client_id: leadNumber(client),
      psychologist_id: slot.psychologist_id,
      slot_id: slot.id,
      payment_info: { amount: 0, status: 'pending' },
    });

  // Warm-up: attempts on slots booked by the data set (all 409, nothing committed).
  let w = 0;
  const warmup: Load = {
    method: 'POST',
    headers: headers(),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const k = w++;
          const slot = data.bookedSlots[k % data.bookedSlots.length]!;
          return {
            ...request,
            path: '/process-diagnostic-session-request',
            headers: headers(),
            body: body(STORM_ATTEMPTS + (k % (CLIENTS - STORM_ATTEMPTS)), slot),
          };
        },
      },
    ],
  };
  const order = Array.from({ length: STORM_ATTEMPTS }, (_, i) => i % STORM_SLOTS);
  const random = seededRandom(4);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let n = 0;
  const storm: Load = {
    method: 'POST',
    headers: headers(),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const k = n++;
          return {
            ...request,
            path: '/process-diagnostic-session-request',
            headers: headers(),
            body: body(k, slots[order[k % STORM_ATTEMPTS]!]!),
          };
        },
      },
    ],
  };
  const measurement = await measureLoad(deps, storm, { amount: STORM_ATTEMPTS }, warmup);
  const attemptsPerSec = STORM_ATTEMPTS / measurement.seconds;
  const codes = measurement.statusCodes;
  const count = (test: (code: number) => boolean) =>
    Object.entries(codes).reduce((sum, [code, c]) => sum + (test(Number(code)) ? c : 0), 0);
  const ok = count((c) => c >= 200 && c < 300);
  const conflicts = codes['409'] ?? 0;
  const serverErrors = count((c) => c >= 500);
  const outcome = await deps.server.call<{ bookedSlots: number; activeSessions: number }>(
    'stormOutcome',
    slots.map((s) => s.id),
  );
  const invariants = await deps.server.call<string[]>('invariants');
  const problems: string[] = [];
  if (n !== STORM_ATTEMPTS) problems.push(`${n} attempts were built instead of ${STORM_ATTEMPTS}`);
  if (ok !== STORM_SLOTS) problems.push(`${ok} × 2xx instead of ${STORM_SLOTS}`);
  if (conflicts !== STORM_ATTEMPTS - STORM_SLOTS)
    problems.push(`${conflicts} × 409 instead of ${STORM_ATTEMPTS - STORM_SLOTS}`);
  if (serverErrors) problems.push(`${serverErrors} × 5xx`);
  const others = measurement.requests - ok - conflicts - serverErrors;
  if (others) problems.push(`${others} other answers: ${JSON.stringify(codes)}`);
  if (measurement.errors) problems.push(`${measurement.errors} connection errors`);
  if (outcome.bookedSlots !== STORM_SLOTS || outcome.activeSessions !== STORM_SLOTS)
    problems.push(`storm slots: ${outcome.bookedSlots} booked, ${outcome.activeSessions} active sessions`);
  problems.push(...invariants.slice(0, 10).map((p) => `invariant: ${p}`));
  if (invariants.length > 10) problems.push(`… ${invariants.length - 10} more invariant violations`);
  return {
    measurement,
    attemptsPerSec,
    checks: {
      ok,
      conflicts,
      serverErrors,
      stormSlots: outcome,
      invariantViolations: invariants.length,
    },
    problems,
  };
}

/**
 * S7: 3 000 messages over 300 chats, written to the outbox at once and delivered by the service's
 * outbox sender (its own pacing: a second between two messages to one chat, ≤ 30 per second in all) to
 * a fake Bot API in this process that accepts everything. Every message must arrive exactly once and in
 * its chat's order; the rate is delivered messages per second from the sender's start to the last
 * arrival, and no chat may get more than one message within any second.
 */
async function outboxDelivery(deps: RunContext): Promise<ScenarioOutcome> {
  const botApi = new FakeBotApi();
  const apiRoot = await botApi.start();
  try {
    const resources = sampleResources(deps.server, deps.databasePids);
    const delivery = await deps.server.call<S7Delivery>('deliverOutbox', apiRoot);
    const use = resources.stop();
    const outcome = judgeDelivery(botApi.arrivals, delivery);
    const problems: string[] = [];
    if (outcome.missing) problems.push(`${outcome.missing} of ${S7_MESSAGES} messages never arrived`);
    if (outcome.duplicates) problems.push(`${outcome.duplicates} messages arrived twice`);
    if (outcome.outOfOrderChats) problems.push(`${outcome.outOfOrderChats} chats got messages out of order`);
    if (delivery.failed) problems.push(`${delivery.failed} messages marked failed`);
    const measurement: Measurement = {
      reqPerSec: outcome.messagesPerSec,
      p50: 0,
      p90: 0,
      p99: 0,
      max: 0,
      requests: botApi.arrivals.length,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      statusCodes: {},
      seconds: outcome.seconds,
      ...use,
    };
    return {
      measurement,
      shape:
        `${S7_MESSAGES} messages to ${S7_CHATS} chats (written in ${delivery.writeSeconds.toFixed(1)} s), ` +
        `delivered in ${outcome.seconds.toFixed(1)} s; busiest second: ${outcome.maxPerSecond} messages in all, ` +
        `${outcome.maxPerChatPerSecond} to one chat`,
      checks: { ...outcome, sent: delivery.sent, failed: delivery.failed },
      problems,
    };
  } finally {
    await botApi.stop();
  }
}

/**
 * S6: the session-reminders sweep over 10 000 due sessions, on a data set and in a database of its own
 * (bench/reminders.ts). A first server process creates the database and the data set; the measured one
 * is restarted on it and runs the job through runJob, the entry point of pg-boss's workers and of
 * POST /admin/jobs/:name/run. The time is the job's, from its start to its return: by then every
 * reminder is committed to the outbox. It must leave each (session, recipient) exactly once — 20 000
 * rows, to the right chats — and a second run must add nothing.
 */
async function remindersSweep(db: DatabaseKind, setup: DatabaseSetup): Promise<Row> {
  const { options } = setup;
  process.stdout.write(`S6 on ${db} … `);
  const fresh = await setup.freshDatabase(options.profile);
  // A bot token, so the messages are written to be sent (pending) as the service writes them; the
  // sender never starts in the bench server, so the unreachable API root is never called.
  const env: NodeJS.ProcessEnv = {
    ...setup.env,
    ...fresh,
    TELEGRAM_BOT_TOKEN: 'bench:s6',
    TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
  };
  const loader = await ServerProcess.start(env, options.nodeOptions);
  cleanups.push(() => loader.stop());
  const loadStarted = performance.now();
  const loaded = await loader.call<Record<string, number>>('loadDueSessions');
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  await loader.stop();

  const server = await ServerProcess.start(env, options.nodeOptions);
  cleanups.push(() => server.stop());
  const problems: string[] = [];
  try {
    const before = await server.call<RemindersOutcome>('remindersOutcome');
    if (before.due !== S6_SESSIONS || before.outboxRows !== 0)
      throw new Error(`the S6 data set has ${before.due} due sessions and ${before.outboxRows} outbox rows`);
    let statements: StatementStats | undefined;
    if (options.profile && fresh.DATABASE_URL) {
      const candidate = new StatementStats(fresh.DATABASE_URL);
      if (await candidate.available()) statements = candidate;
    }
    const profileText: string[] = [];
    const profileFile = path.join(resultsDir, `profile-${db}-S6.cpuprofile.json`);
    if (options.profile) await server.call('profileStart');
    await statements?.reset();
    const loadAtStart = os.loadavg()[0] ?? 0;
    const resources = sampleResources(server, setup.databasePids);
    const first = await server.call<{ result: { reminded: number }; seconds: number }>(
      'runJob',
      'session-reminders',
    );
    const use = resources.stop();
    if (options.profile) {
      const file = await server.call<string>('profileStop', profileFile);
      const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      profileText.push(formatProfile(summarizeProfile(profile)), `    profile: ${path.relative('.', file)}`);
    }
    if (statements) profileText.push(formatStatements(await statements.top(), S6_SESSIONS));
    const after = await server.call<RemindersOutcome>('remindersOutcome');
    const again = await server.call<{ result: { reminded: number }; seconds: number }>(
      'runJob',
      'session-reminders',
    );
    const afterAgain = await server.call<RemindersOutcome>('remindersOutcome');

    if (first.result.reminded !== S6_SESSIONS)
      problems.push(`the sweep reminded ${first.result.reminded} sessions, not ${S6_SESSIONS}`);
    if (after.outboxRows !== S6_MESSAGES)
      problems.push(`${after.outboxRows} outbox rows, not ${S6_MESSAGES}`);
    if (after.reminderRows !== S6_MESSAGES || after.pendingRows !== S6_MESSAGES)
      problems.push(`${after.reminderRows} reminders (${after.pendingRows} pending), not ${S6_MESSAGES}`);
    if (after.distinctPairs !== after.reminderRows)
      problems.push(`${after.reminderRows - after.distinctPairs} (session, recipient) pairs written twice`);
    if (after.sessionsWithBoth !== S6_SESSIONS)
      problems.push(
        `${after.sessionsWithBoth} sessions have both reminders in the right chats, not ${S6_SESSIONS}`,
      );
    if (after.due !== 0 || after.reminded !== S6_SESSIONS)
      problems.push(`after the sweep ${after.due} still due, ${after.reminded} marked reminded`);
    if (again.result.reminded !== 0 || afterAgain.outboxRows !== after.outboxRows)
      problems.push(
        `a second sweep reminded ${again.result.reminded} and wrote ${afterAgain.outboxRows - after.outboxRows} rows`,
      );
    const seconds = first.seconds;
    const measurement: Measurement = {
      reqPerSec: S6_MESSAGES / seconds,
      p50: 0,
      p90: 0,
      p99: 0,
      max: 0,
      requests: after.reminderRows,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      statusCodes: {},
      seconds,
      ...use,
    };
    const memory = await server.call<Record<string, number>>('memory');
    const row: Row = {
      scenario: 'S6',
      database: db,
      seconds,
      reqPerSec: measurement.reqPerSec,
      p50: 0,
      p99: 0,
      errors: 0,
      non2xx: 0,
      ...(use.rssPeakSinceStartMb !== undefined ? { rssPeakMb: use.rssPeakSinceStartMb } : {}),
      misses: [],
      problems,
      measurement,
      memoryMb: Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
      loadAtStart,
      answer:
        `${S6_SESSIONS} due sessions of ${S6_PSYCHOLOGISTS} psychologists (data set in ${loadSeconds.toFixed(1)} s: ` +
        `${Object.entries(loaded)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}); ${after.reminderRows} reminders written, second run ${again.seconds.toFixed(2)} s`,
      checks: { loaded, first: first.result, second: again.result, before, after, afterAgain },
    };
    judge(row, targetOf('S6', db));
    console.log(
      `${seconds.toFixed(2)} s, ${(S6_MESSAGES / seconds).toFixed(0)} messages/s` +
        `${row.pass ? ' — PASS' : ` — FAIL (${row.misses.join('; ')})`}\n    ${row.answer}`,
    );
    if (use.serverCpu !== undefined)
      console.log(
        `    CPU (% of one core): server ${use.serverCpu.toFixed(0)}` +
          `${use.databaseCpu !== undefined ? `, PostgreSQL ${use.databaseCpu.toFixed(0)}` : ''}` +
          `, rest of the machine ${use.restOfMachineCpu?.toFixed(0)}`,
      );
    if (profileText.length) console.log(profileText.join('\n'));
    return row;
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Targets (quality.md, Performance)

interface Target {
  text: string;
  /** S3r: the fixed arrival rate must be kept (else the latency was measured at a lower load). */
  minRate?: number;
  /** S8: seconds from start to /ready. */
  maxSeconds?: number;
  minRatio?: number;
  maxP99?: number;
  minRps?: number;
  minAttempts?: number;
  maxRssMb?: number;
  /** S7: delivered messages per second, and the most one chat may get within any second. */
  minMessages?: number;
  maxPerChatPerSecond?: number;
}

function targetOf(name: Scenario | StartUp, db: DatabaseKind): Target | undefined {
  if (name === 'S8 cold' || name === 'S8 warm') {
    const limit = name === 'S8 warm' ? 2 : db === 'postgres' ? 3 : 8;
    return { maxSeconds: limit, text: `≤ ${limit} s to /ready` };
  }
  if (name === 'S6') {
    const limit = db === 'postgres' ? 10 : 60;
    return { maxSeconds: limit, text: `${S6_MESSAGES} reminders once; ≤ ${limit} s` };
  }
  if (name === 'S7') {
    return { minMessages: 25, maxPerChatPerSecond: 1, text: '≥ 25 msg/s, ≤ 1 per second to one chat' };
  }
  const rss = db === 'postgres' ? 250 : 400;
  const withRss = (t: Omit<Target, 'text'>, text: string): Target => ({
    ...t,
    maxRssMb: rss,
    text: `${text}; RSS ≤ ${rss} MB`,
  });
  if (db === 'postgres') {
    switch (name) {
      case 'S1':
        return withRss({ minRatio: 0.5, maxP99: 25 }, '≥ 50 % of B1, p99 ≤ 25 ms');
      case 'S1nc':
        return withRss({ minRatio: 0.1 }, 'cache off: ≥ 10 % of B1');
      case 'S2':
      case 'S2w':
        return withRss({ minRatio: 0.25, maxP99: 60 }, '≥ 25 % of B1, p99 ≤ 60 ms');
      case 'S3':
      case 'S3n':
      case 'S3w':
        return withRss({ minRatio: 0.1 }, '≥ 10 % of B1');
      case 'S3r':
        return withRss({ minRate: 95, maxP99: 50 }, '100 req/s kept, p99 ≤ 50 ms');
      case 'S4':
        return { minAttempts: 1500, text: '200×2xx, 1800×409, 0×5xx, invariants; ≥ 1500 attempts/s' };
      case 'S5':
        return withRss({ minRatio: 0.5 }, '≥ 50 % of B1');
      default:
        return undefined;
    }
  }
  switch (name) {
    case 'S1':
      return withRss({ minRps: 800 }, '≥ 800 req/s');
    case 'S1nc':
      return withRss({ minRps: 300 }, 'cache off: ≥ 300 req/s');
    case 'S2':
    case 'S2w':
      return withRss({ minRps: 200 }, '≥ 200 req/s');
    case 'S3':
    case 'S3n':
    case 'S3w':
      return withRss({ minRps: 150 }, '≥ 150 req/s');
    case 'S3r':
      return withRss({ minRate: 47.5, maxP99: 100 }, '50 req/s kept, p99 ≤ 100 ms');
    case 'S4':
      return { minAttempts: 200, text: '200×2xx, 1800×409, 0×5xx, invariants; ≥ 200 attempts/s' };
    case 'S5':
      return withRss({ minRps: 800 }, '≥ 800 req/s');
    default:
      return undefined;
  }
}

type StartUp = 'S8 cold' | 'S8 warm';

interface Row {
  scenario: Scenario | StartUp;
  /** S8: seconds from start to /ready. */
  seconds?: number;
  database: DatabaseKind;
  reqPerSec: number;
  ratioToB1?: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  rssPeakMb?: number;
  target?: string;
  pass?: boolean;
  misses: string[];
  /** Correctness failures (S4 counts, invariants); any of them makes the exit code 1. */
  problems: string[];
  measurement?: Measurement;
  /** process.memoryUsage() of the server after the scenario, in MB. */
  memoryMb?: Record<string, number>;
  /** 1-minute load average of the machine when the scenario started. */
  loadAtStart: number;
  answer?: string;
  checks?: Record<string, unknown>;
}

function judge(row: Row, target: Target | undefined): void {
  row.misses.push(...row.problems);
  if (!target) return;
  row.target = target.text;
  if (target.minRatio !== undefined) {
    if (row.ratioToB1 === undefined) row.misses.push('no B1 to compare with');
    else if (row.ratioToB1 < target.minRatio)
      row.misses.push(`${pct(row.ratioToB1)} of B1 < ${pct(target.minRatio)}`);
  }
  if (target.maxP99 !== undefined && row.p99 > target.maxP99)
    row.misses.push(`p99 ${row.p99} ms > ${target.maxP99} ms`);
  if (target.minRate !== undefined && row.reqPerSec < target.minRate)
    row.misses.push(`only ${row.reqPerSec.toFixed(0)} req/s arrived`);
  if (target.maxSeconds !== undefined && row.seconds !== undefined && row.seconds > target.maxSeconds)
    row.misses.push(`${row.seconds.toFixed(1)} s > ${target.maxSeconds} s`);
  if (target.minRps !== undefined && row.reqPerSec < target.minRps)
    row.misses.push(`${row.reqPerSec.toFixed(0)} req/s < ${target.minRps}`);
  if (target.minAttempts !== undefined && row.reqPerSec < target.minAttempts)
    row.misses.push(`${row.reqPerSec.toFixed(0)} attempts/s < ${target.minAttempts}`);
  if (target.minMessages !== undefined && row.reqPerSec < target.minMessages)
    row.misses.push(`${row.reqPerSec.toFixed(1)} msg/s < ${target.minMessages}`);
  const perChat = row.checks?.maxPerChatPerSecond as number | undefined;
  if (
    target.maxPerChatPerSecond !== undefined &&
    perChat !== undefined &&
    perChat > target.maxPerChatPerSecond
  )
    row.misses.push(`${perChat} messages to one chat within a second`);
  if (target.maxRssMb !== undefined && row.rssPeakMb !== undefined && row.rssPeakMb > target.maxRssMb)
    row.misses.push(`RSS ${row.rssPeakMb.toFixed(0)} MB > ${target.maxRssMb} MB`);
  if (row.scenario !== 'S4' && row.seconds === undefined && (row.errors > 0 || row.non2xx > 0))
    row.misses.push(`${row.errors} errors, ${row.non2xx} non-2xx`);
  row.pass = row.misses.length === 0;
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

// ---------------------------------------------------------------------------------------------------
// One database

const cleanups: (() => Promise<void>)[] = [];

async function cleanupAll(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch((e: unknown) => console.error('cleanup:', e));
}

function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing of the caller's service configuration may leak into the server under test.
  for (const key of Object.keys(env)) {
    if (
      /^(DATABASE_URL|DATA_DIR|API_KEY|JWT_SECRET|TELEGRAM_|ZOOM_|GOOGLE_|JITSI_|SUPABASE_|CORS_ORIGINS|TRUST_PROXY|JOBS|DEMO_DATA|RATE_LIMIT_|MIN_LEAD_MINUTES|LOG_LEVEL|PORT|HOST|NODE_ENV|BOT_USERNAME|PUBLIC_BASE_URL)/.test(
        key,
      )
    )
      delete env[key];
  }
  return {
    ...env,
    API_KEY: `bench-${randomBytes(16).toString('hex')}`,
    JWT_SECRET: `bench-${randomBytes(24).toString('hex')}`,
    RATE_LIMIT_PUBLIC: '0',
    RATE_LIMIT_SUBMIT: '0',
    DEMO_DATA: 'off',
    JOBS: 'off',
    LOG_LEVEL: 'warn',
    MIN_LEAD_MINUTES: '60',
    ...extra,
  };
}

async function runDatabase(db: DatabaseKind, options: Options, rows: Row[], notes: string[]): Promise<void> {
  let extra: Record<string, string>;
  let statementsUrl: string | undefined;
  let databasePids: (() => number[]) | undefined;
  let origin: string;
  let freshDatabase: DatabaseSetup['freshDatabase'];
  if (db === 'postgres') {
    const pgServer = await openBenchPostgres({ statements: options.profile });
    if ('unavailable' in pgServer) {
      const message = `PostgreSQL skipped: ${pgServer.unavailable}`;
      if (options.explicitDb) throw new Error(message);
      console.log(`\n${message}`);
      notes.push(message);
      return;
    }
    const server: PostgresServer = pgServer;
    cleanups.push(() => server.stop());
    extra = { DATABASE_URL: server.url, ...(options.pool ? { BENCH_POOL_SIZE: String(options.pool) } : {}) };
    statementsUrl = server.url;
    origin = server.origin;
    if (server.processIds) databasePids = () => server.processIds!();
    freshDatabase = async (statements) => ({ DATABASE_URL: await server.emptyDatabase(statements) });
  } else {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hraniteli-bench-pglite-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    extra = { DATA_DIR: dir };
    origin = `embedded PGlite in ${dir}`;
    freshDatabase = async () => {
      const fresh = mkdtempSync(path.join(os.tmpdir(), 'hraniteli-bench-pglite-'));
      cleanups.push(async () => rmSync(fresh, { recursive: true, force: true }));
      return { DATA_DIR: fresh };
    };
  }

  const env = serverEnv(extra);
  const setup: DatabaseSetup = {
    options,
    env,
    freshDatabase,
    ...(statementsUrl ? { statementsUrl } : {}),
    ...(databasePids ? { databasePids } : {}),
  };
  console.log(`\n=== ${db}: ${origin}`);

  const shared = options.scenarios.filter((s) => s !== 'S6' && s !== 'S8');
  if (shared.length) await runSharedScenarios(db, shared, setup, rows, notes);
  if (options.scenarios.includes('S6')) rows.push(await remindersSweep(db, setup));
  if (options.scenarios.includes('S8')) {
    // An empty database; on PostgreSQL with the keys set (production refuses to start without them).
    const fresh: Record<string, string> = await freshDatabase();
    if (db === 'postgres') Object.assign(fresh, { API_KEY: env.API_KEY!, JWT_SECRET: env.JWT_SECRET! });
    for (const scenario of ['S8 cold', 'S8 warm'] as const) {
      process.stdout.write(`${scenario} on ${db} … `);
      const loadAtStart = os.loadavg()[0] ?? 0;
      const started = await startService(fresh, options.nodeOptions);
      const row: Row = {
        scenario,
        database: db,
        seconds: started.seconds,
        reqPerSec: 0,
        p50: 0,
        p99: 0,
        errors: 0,
        non2xx: 0,
        ...(started.peakMb !== undefined ? { rssPeakMb: started.peakMb } : {}),
        misses: [],
        problems: [],
        loadAtStart,
      };
      judge(row, targetOf(scenario, db));
      rows.push(row);
      console.log(
        `${started.seconds.toFixed(2)} s to /ready, peak RSS ${mb(started.peakMb)}` +
          `${row.pass ? ' — PASS' : ` — FAIL (${row.misses.join('; ')})`}`,
      );
    }
  }
}

/** What the scenarios of one database run need to know of its server and options. */
interface DatabaseSetup {
  options: Options;
  env: NodeJS.ProcessEnv;
  statementsUrl?: string;
  databasePids?: () => number[];
  /** Another, empty database: a URL (PostgreSQL) or a data folder (PGlite). */
  freshDatabase: (statements?: boolean) => Promise<Record<string, string>>;
}

const mb = (x: number | undefined) => (x === undefined ? '?' : `${x.toFixed(0)} MB`);
const secondsSince = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)} s`;

/** The scenarios on the shared data set (all but S6 and S8), one measured server process. */
async function runSharedScenarios(
  db: DatabaseKind,
  scenarios: Scenario[],
  setup: DatabaseSetup,
  rows: Row[],
  notes: string[],
): Promise<void> {
  const { options, env, statementsUrl, databasePids } = setup;
  // A first server process creates the database and the data set, then stops; the measured server is
  // a second process opened on the existing database, as a service normally (re)starts. (A PGlite
  // process that created its data folder keeps the memory initdb grew for as long as it runs.)
  let startedAt = performance.now();
  const loader = await ServerProcess.start(env, options.nodeOptions);
  cleanups.push(() => loader.stop());
  const loaderReady = secondsSince(startedAt);
  const rssFresh = loader.rssMb();
  const data = await createDataSet(loader, env.API_KEY!);
  const rssLoaded = loader.rssMb();
  const loaderPeak = loader.rss.peakMb;
  await loader.stop();
  console.log(
    `first start (new database, migrations) ${loaderReady}, RSS ${mb(rssFresh)}, peak ${mb(loaderPeak)}; ` +
      `data set in ${data.seconds.toFixed(1)} s (RSS then ${mb(rssLoaded)}): ` +
      `${Object.entries(data.counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}; ${data.freeSlots.length} free slots listed for the next 28 days`,
  );

  startedAt = performance.now();
  const server = await ServerProcess.start(env, options.nodeOptions);
  cleanups.push(() => server.stop());
  const rssAtReady = server.rssMb();
  console.log(
    `measured server: pid ${server.child.pid} on ${server.base}, ready in ${secondsSince(startedAt)}, RSS ${mb(rssAtReady)}`,
  );
  notes.push(
    `${db}: server RSS ${mb(rssFresh)} right after creating the database, ${mb(rssLoaded)} after loading ` +
      `the data set (peak ${mb(loaderPeak)}); the measured server (restarted on that database) ` +
      `${mb(rssAtReady)} when ready (peak so far ${mb(server.rss.peakMb)})`,
  );
  const invariantsBefore = await server.call<string[]>('invariants');
  if (invariantsBefore.length) throw new Error(`the data set breaks invariants: ${invariantsBefore[0]}`);

  let statements: StatementStats | undefined;
  if (options.profile && statementsUrl) {
    const candidate = new StatementStats(statementsUrl);
    if (await candidate.available()) statements = candidate;
    else console.log('(pg_stat_statements is not available on this server: no SQL breakdown)');
  }

  let b1: number | undefined;
  for (const name of scenarios) {
    const deps: RunContext = {
      server,
      listingCacheMs: Number(env.SLOTS_CACHE_MS ?? 1000),
      options,
      apiKey: env.API_KEY!,
      data,
      // .json, so that the results folder's ignore rule covers them; Chrome DevTools opens them.
      ...(options.profile
        ? { profileFile: path.join(resultsDir, `profile-${db}-${name}.cpuprofile.json`) }
        : {}),
      ...(statements ? { statements } : {}),
      ...(databasePids ? { databasePids } : {}),
      profileText: [],
    };
    const loadAtStart = os.loadavg()[0] ?? 0;
    process.stdout.write(`${name} on ${db} … `);
    const outcome = await runScenario(name, deps);
    const memory = await server.call<Record<string, number>>('memory');
    const m = outcome.measurement;
    const reqPerSec = outcome.attemptsPerSec ?? m.reqPerSec;
    if (name === 'B1') b1 = reqPerSec;
    const row: Row = {
      scenario: name,
      database: db,
      reqPerSec,
      ...(b1 !== undefined && RELATIVE.includes(name) ? { ratioToB1: reqPerSec / b1 } : {}),
      p50: m.p50,
      p99: m.p99,
      errors: m.errors,
      non2xx: m.non2xx,
      ...(m.rssPeakSinceStartMb !== undefined ? { rssPeakMb: m.rssPeakSinceStartMb } : {}),
      misses: [],
      problems: outcome.problems,
      measurement: m,
      memoryMb: Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
      loadAtStart,
      ...(outcome.checks ? { checks: outcome.checks } : {}),
      ...(outcome.shape ? { answer: outcome.shape } : {}),
    };
    judge(row, targetOf(name, db));
    rows.push(row);
    console.log(
      (name === 'S7'
        ? `${reqPerSec.toFixed(1)} messages/s, at most ${String(row.checks?.maxPerChatPerSecond)} per second to one chat`
        : `${reqPerSec.toFixed(0)} ${name === 'S4' ? 'attempts' : 'req'}/s, p50 ${m.p50} ms, p99 ${m.p99} ms`) +
        `${row.pass === undefined ? '' : row.pass ? ' — PASS' : ` — FAIL (${row.misses.join('; ')})`}`,
    );
    if (outcome.shape) console.log(`    one answer: ${outcome.shape}`);
    if (m.serverCpu !== undefined)
      console.log(
        `    CPU (% of one core): server ${m.serverCpu.toFixed(0)}, load generator ` +
          `${m.loadGeneratorCpu?.toFixed(0)}` +
          `${m.databaseCpu !== undefined ? `, PostgreSQL ${m.databaseCpu.toFixed(0)}` : ''}` +
          `, rest of the machine ${m.restOfMachineCpu?.toFixed(0)}; per request: server ` +
          `${perRequestUs(m.serverCpu, m)} µs` +
          `${m.databaseCpu !== undefined ? `, PostgreSQL ${perRequestUs(m.databaseCpu, m)} µs` : ''}`,
      );
    const w = m.warmup;
    if (w?.serverCpu !== undefined)
      console.log(
        `    warm-up (a load of its own): ${w.reqPerSec.toFixed(0)} req/s; per request: server ` +
          `${perRequestUs(w.serverCpu, w)} µs` +
          `${w.databaseCpu !== undefined ? `, PostgreSQL ${perRequestUs(w.databaseCpu, w)} µs` : ''}`,
      );
    if (deps.profileText.length) console.log(deps.profileText.join('\n'));
  }
  await server.stop();
}

/**
 * S8: the service as `npm start` runs it (the flags of package.json's "start", src/main.ts, the
 * service's defaults: jobs on, demo data on an empty embedded database), from spawn to the first 200 of
 * GET /ready; then stopped with SIGTERM as an operator would.
 */
async function startService(
  database: Record<string, string>,
  nodeOptions: string[],
): Promise<{ seconds: number; peakMb?: number }> {
  const port = await freePort();
  const env = serverEnv({ ...database, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  for (const key of ['RATE_LIMIT_PUBLIC', 'RATE_LIMIT_SUBMIT', 'DEMO_DATA', 'JOBS', 'MIN_LEAD_MINUTES'])
    delete env[key];
  if (!database.API_KEY) {
    delete env.API_KEY;
    delete env.JWT_SECRET;
  }
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, path.join(here, '..', 'src', 'main.ts')], {
    env,
    cwd: path.join(here, '..'),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const rss = new PeakRss(child.pid);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stillRunning = true;
  void exited.then(() => (stillRunning = false));
  try {
    for (;;) {
      if (!stillRunning) throw new Error('the service exited before it was ready');
      if (performance.now() - started > 120_000) throw new Error('the service was not ready within 120 s');
      const ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    rss.sample();
    const peakMb = rss.peakMb;
    return { seconds, ...(peakMb !== undefined ? { peakMb } : {}) };
  } finally {
    child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timeout);
    rss.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

function table(rows: Row[]): string {
  const header = [
    'scenario',
    'db',
    'req/s or s',
    '× B1',
    'p50 ms',
    'p99 ms',
    'err/non-2xx',
    'peak RSS MB',
    'target',
    'result',
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.database,
    r.seconds !== undefined
      ? `${r.seconds.toFixed(1)} s`
      : r.scenario === 'S7'
        ? `${r.reqPerSec.toFixed(1)} msg/s`
        : `${r.reqPerSec.toFixed(0)}${r.scenario === 'S4' ? ' att/s' : ''}`,
    r.ratioToB1 === undefined ? '' : pct(r.ratioToB1),
    String(r.p50),
    String(r.p99),
    r.scenario === 'S4' && r.checks
      ? `${r.checks.ok}×2xx ${r.checks.conflicts}×409 ${r.checks.serverErrors}×5xx ${r.errors} err`
      : r.scenario === 'S7' && r.checks
        ? `≤ ${String(r.checks.maxPerChatPerSecond)}/s per chat, ${String(r.checks.duplicates)} twice`
        : r.scenario === 'S6' && r.measurement
          ? `${r.measurement.requests} msgs, ${r.problems.length} problems`
          : `${r.errors} / ${r.non2xx}`,
    r.rssPeakMb === undefined ? '' : r.rssPeakMb.toFixed(0),
    r.target ?? '—',
    r.pass === undefined ? '—' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  mkdirSync(resultsDir, { recursive: true });
  const rows: Row[] = [];
  const notes: string[] = [];
  const started = new Date();
  const load = os.loadavg()[0] ?? 0;
  if (load > 1) {
    const message =
      `the machine was already busy when the bench started (1-minute load ${load.toFixed(2)} on ` +
      `${os.cpus().length} CPUs): other work competes with the server and the load generator`;
    console.log(`warning: ${message}`);
    notes.push(message);
  }
  let failure: unknown;
  for (const db of options.databases) {
    try {
      await runDatabase(db, options, rows, notes);
    } catch (error) {
      failure ??= error;
      console.error(`\n${db} run failed:`, error);
      notes.push(`${db} run failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await cleanupAll();
    }
  }

  if (rows.length) {
    console.log(`\n${table(rows)}`);
    for (const r of rows.filter((x) => x.pass === false))
      console.log(`  ${r.scenario} on ${r.database}: ${r.misses.join('; ')}`);
  }
  if (notes.length) console.log(notes.map((n) => `note: ${n}`).join('\n'));

  const report = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    options: {
      scenarios: options.scenarios,
      databases: options.databases,
      duration: options.duration,
      warmup: options.warmup,
      connections: options.connections,
      ...(options.pool ? { pool: options.pool } : {}),
      ...(options.nodeOptions.length ? { nodeOptions: options.nodeOptions } : {}),
    },
    results: rows,
    notes,
  };
  const file = path.join(resultsDir, 'latest.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults: ${path.relative('.', file)}`);

  const incorrect = rows.some((r) => r.problems.length > 0);
  if (failure || incorrect || (options.strict && rows.some((r) => r.pass === false))) process.exitCode = 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the servers`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main().catch(async (error: unknown) => {
  console.error(error);
  await cleanupAll();
  process.exit(1);
});
