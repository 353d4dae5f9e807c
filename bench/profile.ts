// --profile: a V8 CPU profile of the server under test per scenario (taken through node:inspector in
// bench/server.ts) and, on PostgreSQL, the statements that took the most database time
// (pg_stat_statements). This file turns both into a few readable lines.
import pg from 'pg';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code comes from, coarse enough to read at a glance. */
function area(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (url.startsWith('wasm://')) return 'PGlite (WASM + JS)';
  if (!url) return 'native/V8';
  if (url.includes('/@electric-sql/pglite/')) return 'PGlite (WASM + JS)';
  if (url.includes('/node_modules/pg') || url.includes('/pg-protocol/')) return 'pg driver';
  if (url.includes('/node_modules/kysely/')) return 'Kysely';
  if (url.includes('/node_modules/fastify') || url.includes('/node_modules/@fastify/')) return 'Fastify';
  if (url.includes('/node_modules/ajv') || url.includes('fast-json-stringify'))
    return 'validation/serialization';
  if (url.includes('/node_modules/pino') || url.includes('thread-stream')) return 'pino';
  if (url.includes('/node_modules/')) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return match?.[1] ?? 'other packages';
  }
  if (url.includes('/src/')) return 'app (src/)';
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return 'Node core';
  return 'other';
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + '/node_modules/'.length);
  const s = url.lastIndexOf('/src/');
  if (s >= 0) return url.slice(s + 1);
  return url.replace(/^file:\/\//, '');
}

export interface ProfileSummary {
  totalMs: number;
  areas: { area: string; ms: number; share: number }[];
  functions: { name: string; where: string; ms: number; share: number }[];
}

export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const name = functionName || '(anonymous)';
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const share = (us: number) => (total ? us / total : 0);
  return {
    totalMs: total / 1000,
    areas: [...areas]
      .map(([name, us]) => ({ area: name, ms: us / 1000, share: share(us) }))
      .sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [`    busy CPU ${summary.totalMs.toFixed(0)} ms; by area:`];
  for (const a of summary.areas.slice(0, 8)) lines.push(`      ${pct(a.share)}  ${a.area}`);
  lines.push('    hottest functions (self time):');
  for (const f of summary.functions) lines.push(`      ${pct(f.share)}  ${f.name}  ${f.where}`);
  return lines.join('\n');
}

export interface StatementStat {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  share: number;
}

/** pg_stat_statements of the bench database, or undefined when the extension is not there. */
export class StatementStats {
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  private async withClient<T>(action: (client: pg.Client) => Promise<T>): Promise<T | undefined> {
    const client = new pg.Client({ connectionString: this.url });
    try {
      await client.connect();
      return await action(client);
    } catch {
      return undefined;
    } finally {
      await client.end().catch(() => {});
    }
  }

  async available(): Promise<boolean> {
    return (
      (await this.withClient(async (c) => {
        await c.query('select 1 from pg_stat_statements limit 1');
        return true;
      })) ?? false
    );
  }

  async reset(): Promise<void> {
    await this.withClient((c) => c.query('select pg_stat_statements_reset()'));
  }

  /** The statements that took the most database time, and how many statements ran in all. */
  async top(limit = 8): Promise<{ top: StatementStat[]; calls: number }> {
    const rows =
      (await this.withClient(async (c) => {
        const result = await c.query<{ query: string; calls: string; total: string; mean: string }>(
          `select query, calls, total_exec_time as total, mean_exec_time as mean
           from pg_stat_statements
           where dbid = (select oid from pg_database where datname = current_database())
             and query not ilike '%pg_stat_statements%'
           order by total_exec_time desc`,
        );
        return result.rows;
      })) ?? [];
    const all = rows.reduce((sum, r) => sum + Number(r.total), 0);
    return {
      top: rows.slice(0, limit).map((r) => ({
        query: r.query.replace(/\s+/g, ' ').trim(),
        calls: Number(r.calls),
        totalMs: Number(r.total),
        meanMs: Number(r.mean),
        share: all ? Number(r.total) / all : 0,
      })),
      calls: rows.reduce((sum, r) => sum + Number(r.calls), 0),
    };
  }
}

export function formatStatements(stats: { top: StatementStat[]; calls: number }, requests: number): string {
  const per = (calls: number) => (requests ? (calls / requests).toFixed(2) : '?');
  const lines = [
    `    database time by statement (pg_stat_statements; ${stats.calls} statements, ${per(stats.calls)} per request):`,
  ];
  for (const s of stats.top) {
    const text = s.query.length > 150 ? `${s.query.slice(0, 147)}...` : s.query;
    lines.push(
      `      ${(s.share * 100).toFixed(1).padStart(5)} %  ${per(s.calls)}/request, mean ${s.meanMs.toFixed(3)} ms: ${text}`,
    );
  }
  return lines.join('\n');
}
