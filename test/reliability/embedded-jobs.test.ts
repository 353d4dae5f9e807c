// Every job run on the embedded database (a PGlite DATA_DIR, as `npm start` runs it) while forms keep
// arriving: the real service (a child process, jobs on, a fake Bot API) runs each job through
// POST /admin/jobs/:name/run, twice, while public submissions and GET /ready polls go on. PGlite is one
// session, so a job that held it and waited for something that waits for it (check-link-transition once
// read a person's contact beside its own transaction) stopped the whole service for good. Here every
// /ready poll answers 200 in under 1 s, no request fails or hangs, every run succeeds, and the link
// checks that fell due — reassigned and erased people's tickets among them, the case that hung — alert
// the operators.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { invariantViolations } from '../../src/db/invariants.ts';
import { JOB_NAMES } from '../../src/domain/jobs.ts';
import { openDatabase } from '../../src/runtime.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { ADMIN_CHAT, botEnv } from '../support/telegram.ts';
import { call, killAll, startService, until, type ServiceProcess } from '../support/service-process.ts';

const BOT = { BOT_USERNAME: 'hraniteli_test_bot' };
/** Submitters sending forms one after another, each waiting for its answer. */
const FORM_WORKERS = 3;
/** The load lasts at least this long, and until every job has run twice. */
const MIN_LOAD_MS = 12_000;
/** A request taking this long counts as hung. */
const HUNG_MS = 10_000;

const running: ServiceProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  try {
    await killAll(running);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function service(env: Record<string, string>): Promise<ServiceProcess> {
  const proc = await startService(env);
  running.push(proc);
  return proc;
}

function application(contact: string, selected: string[] = []) {
  return {
    name: 'Мария',
    age: 30,
    contact: { type: 'telegram', value: contact },
    selected_slots: selected,
    preferences: { gender: 'any', price_max: 10_000, specializations: [] },
  };
}

type Answer = { lead_number?: string; ticket_id?: string };

/** A public submission as a form sends it; status and time, or the error (a timeout: a hang). */
async function submit(proc: ServiceProcess, body: unknown, idempotencyKey?: string) {
  const started = performance.now();
  try {
    const response = await fetch(`${proc.base}/submit-application`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(HUNG_MS),
    });
    const answer = (await response.json()) as Answer;
    return { status: response.status, ms: performance.now() - started, answer };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, error: (error as Error).name, answer: {} as Answer };
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

describe('the embedded database under every job', () => {
  it('every job run on PGlite while forms arrive: /ready stays under 1 s', async () => {
    const fake = new FakeTelegram();
    await fake.start();
    cleanups.push(() => fake.stop());
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hraniteli-jobs-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { DATA_DIR: dataDir, ...BOT };

    // First run: the demo set, people who submitted, some reassigned by an operator, some erased.
    const first = await service({ ...env, DEMO_DATA: 'on' });
    const free = await call(first, 'GET', '/get-available-slots');
    const slots = free.body!.slots as { date: string; time: string; psychologist: string }[];
    expect(slots.length).toBeGreaterThan(0);
    const people: { lead: string; ticket: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const sent = await submit(first, application(`@jobs_before_${i}`));
      expect(sent.status).toBe(200);
      people.push({ lead: sent.answer.lead_number!, ticket: sent.answer.ticket_id! });
    }
    const reassigned: string[] = [];
    for (const person of people.slice(0, 4)) {
      const res = await call(first, 'POST', '/reassign', {
        lead_number: person.lead,
        filtered_psychologists: slots[0]!.psychologist,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      reassigned.push(res.body!.ticket_id as string);
    }
    const erased = people.slice(4, 6);
    for (const person of erased) {
      expect((await call(first, 'DELETE', `/admin/clients/${person.lead}`)).status).toBe(200);
    }
    expect(await first.stop(), first.output()).toBe(0);

    // Their link checks fall due: the folder is the service's own, read while no service holds it.
    const config = loadConfig({ DATA_DIR: dataDir });
    const inspect = async <T>(
      read: (db: Awaited<ReturnType<typeof openDatabase>>['database']['db']) => Promise<T>,
    ) => {
      const { database, release } = await openDatabase(config);
      try {
        return await read(database.db);
      } finally {
        await database.close();
        release();
      }
    };
    const due = await inspect(async (db) => {
      const updated = await sql`
        update hraniteli_tickets set link_check_due_at = now() - interval '1 minute'
        where link_check_due_at is not null and link_opened_at is null and bot_link is not null`.execute(db);
      return Number(updated.numAffectedRows);
    });
    expect(due).toBeGreaterThanOrEqual(people.length + reassigned.length);

    // Second run, jobs on, with a bot: the load.
    const proc = await service({ ...env, ...botEnv(fake.url) });
    const startedAt = performance.now();
    let loading = true;
    const ready: { status: number; ms: number }[] = [];
    const forms: { status: number; ms: number; error?: string }[] = [];
    const runs: { job: string; status: number; outcome: string; ms: number; result: unknown }[] = [];

    const poll = (async () => {
      while (loading) {
        const started = performance.now();
        let status = 0;
        try {
          const response = await fetch(`${proc.base}/ready`, { signal: AbortSignal.timeout(HUNG_MS) });
          await response.arrayBuffer();
          status = response.status;
        } catch {
          // a hang or a dropped connection: status 0
        }
        ready.push({ status, ms: performance.now() - started });
        await sleep(100);
      }
    })();
    const submitters = Array.from({ length: FORM_WORKERS }, async (_, worker) => {
      for (let n = 0; loading; n++) {
        // Every third form chooses a time and carries an Idempotency-Key: matching then runs inside the
        // submission's transaction.
        const keyed = n % 3 === 0;
        const slot = slots[n % slots.length]!;
        const body = application(`@jobs_${worker}_${n}`, keyed ? [`${slot.date} ${slot.time}`] : []);
        forms.push(await submit(proc, body, keyed ? `jobs-${worker}-${n}` : undefined));
      }
    });
    const jobs = (async () => {
      for (let round = 0; round < 2; round++) {
        for (const job of JOB_NAMES) {
          const started = performance.now();
          const res = await call(proc, 'POST', `/admin/jobs/${job}/run`, {}, 60_000);
          runs.push({
            job,
            status: res.status,
            outcome: String(res.body?.status),
            ms: Math.round(performance.now() - started),
            result: res.body?.result,
          });
        }
      }
    })();
    try {
      await jobs;
      await sleep(Math.max(0, MIN_LOAD_MS - (performance.now() - startedAt)));
    } finally {
      loading = false;
      await Promise.all([poll, ...submitters]);
    }

    const readyMs = ready.map((r) => r.ms);
    console.log(
      `/ready: ${ready.length} polls, p50 ${quantile(readyMs, 0.5).toFixed(1)} ms, p99 ` +
        `${quantile(readyMs, 0.99).toFixed(1)} ms, max ${Math.max(...readyMs).toFixed(1)} ms; forms: ` +
        `${forms.length}, max ${Math.max(...forms.map((f) => f.ms)).toFixed(0)} ms; job runs (ms): ` +
        runs.map((r) => `${r.job} ${r.ms}`).join(', '),
    );
    expect(ready.length).toBeGreaterThan(20);
    expect(ready.filter((r) => r.status !== 200)).toEqual([]);
    expect(ready.filter((r) => r.ms >= 1_000)).toEqual([]);
    expect(forms.length).toBeGreaterThan(30);
    expect(forms.filter((f) => f.status !== 200)).toEqual([]);
    expect(runs).toHaveLength(2 * JOB_NAMES.length);
    expect(runs.filter((r) => r.status !== 200 || r.outcome !== 'ok')).toEqual([]);

    // The checks that fell due alerted the operators once each (the cron tick may have run some first),
    // the reassigned and erased people's tickets among them.
    const alerted = () =>
      (fake.textsByChat().get(ADMIN_CHAT) ?? []).filter((text) => text.startsWith('Клиент не перешёл'));
    // The operators' chat is a group, paced at one message per 3 s (Telegram allows 20 a minute), and
    // the digests and other notices of the run share it: the wait allows for that pace.
    await until('every due link check alerted', () => alerted().length >= due, 30_000 + due * 3_500, 200);
    for (const ticket of [...reassigned, ...erased.map((p) => p.ticket)]) {
      expect(alerted().filter((text) => text.includes(`заявка ${ticket},`))).toHaveLength(1);
    }
    expect(proc.output()).not.toMatch(/stray query|held too long/);

    expect(await proc.stop(), proc.output()).toBe(0);
    expect(await inspect((db) => invariantViolations(db))).toEqual([]);
  });
});
