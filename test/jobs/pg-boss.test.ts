// pg-boss for real, on the test database (PGlite through the gateway, or PostgreSQL): cron schedules
// in Moscow time, wake-ups that run a job at its due time, wake-ups planned before a restart that run
// after it, two instances on one database doing each effect once, and a backlog of due
// wake-ups worked in a few sweeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startJobs, type JobSystem } from '../../src/jobs/scheduler.ts';
import { JOB_NAMES } from '../../src/domain/jobs.ts';
import { submitApplication } from '../support/fixtures.ts';
import { ADMIN_CHAT, outboxTo } from '../support/telegram.ts';
import { applicationBody, browser, n8n, ok, type Person } from '../support/web-form.ts';

let t: TestApp;
const systems: JobSystem[] = [];

beforeAll(async () => {
  // The job system waits in real time, so the test clock starts at the real time.
  t = await createTestApp({ BOT_USERNAME: 'hraniteli_test_bot' }, new Date().toISOString());
});
afterAll(async () => {
  for (const system of systems) await system.stop();
  await t.close();
});

async function start(): Promise<JobSystem> {
  const system = await startJobs(t.deps, { work: true, pollingSeconds: 0.5 });
  systems.push(system);
  return system;
}

async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('not in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const alertsFor = async (ticketId: string) =>
  (await outboxTo(t, ADMIN_CHAT)).filter(
    (r) => r.text.startsWith('Клиент не перешёл') && r.text.includes(ticketId),
  );

describe('pg-boss', () => {
  it('keeps one cron schedule per job, in Moscow time', async () => {
    const system = await start();
    const schedules = await system.schedules();
    expect(schedules.map((s) => s.name).sort()).toEqual([...JOB_NAMES].sort());
    expect(schedules.every((s) => s.timezone === 'Europe/Moscow')).toBe(true);
    expect(schedules.find((s) => s.name === 'update-sessions-count')?.cron).toBe('0 21 * * *');
    await system.stop();
    systems.pop();
  });

  it('a wake-up planned before a restart runs after it, once', async () => {
    const submitted = await submitApplication(t);
    t.clock.advance(2 * 60_000 + 1000);
    const before = await start();
    before.wake('check-link-transition', new Date(Date.now() + 2_000), `link:${submitted.ticket_id}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await before.stop();
    systems.pop();
    expect(await alertsFor(submitted.ticket_id)).toHaveLength(0);

    await start();
    await eventually(async () => (await alertsFor(submitted.ticket_id)).length > 0);
    const runs = await t.admin({ method: 'GET', url: '/admin/jobs' });
    const job = runs.json().jobs.find((j: { name: string }) => j.name === 'check-link-transition');
    expect(job.runs).toBeGreaterThanOrEqual(1);
    expect(job.last_status).toBe('ok');
    expect(await alertsFor(submitted.ticket_id)).toHaveLength(1);
    // It was the planned wake-up that ran (not only the minutely cron).
    const woken = await t.deps.database.executeSql(
      'select state from pgboss.job where name = $1 and singleton_key = $2',
      ['check-link-transition', `link:${submitted.ticket_id}`],
    );
    expect(woken.rows).toEqual([{ state: 'completed' }]);
  });

  it('every intake door plans its ticket’s link-check wake-up at the due time (the web form too)', async () => {
    const system = await start();
    const planned = t.deps.jobs;
    t.deps.jobs = system;
    try {
      const application = await submitApplication(t);
      const person: Person = {
        ticketId: 'wk_form1',
        name: 'Вика',
        age: '30',
        gender: 'female',
        genderPsychologist: 'other',
        request: 'Тревога',
        conditions: [],
        traumatic: [],
        diagnosis: 'nothing',
        contactType: 'Telegram',
        contact: '@wakeup_form_user',
        promocode: '',
      };
      const form = (
        await ok(browser(t, 'POST', n8n('tilda-zayavka'), applicationBody(person, null, null, [])))
      ).json().ticket_id as string;
      for (const ticketId of [application.ticket_id, form]) {
        const { link_check_due_at: due } = await t.deps.db
          .selectFrom('hraniteli_tickets')
          .select('link_check_due_at')
          .where('ticket_id', '=', ticketId)
          .executeTakeFirstOrThrow();
        expect(due, ticketId).not.toBeNull();
        let startAfter: Date | undefined;
        await eventually(async () => {
          const rows = await t.deps.database.executeSql(
            'select start_after from pgboss.job where name = $1 and singleton_key = $2',
            ['check-link-transition', `link:${ticketId}`],
          );
          startAfter = (rows.rows[0] as { start_after: Date } | undefined)?.start_after;
          return startAfter !== undefined;
        }, 5_000).catch(() => {
          throw new Error(`no wake-up planned for ticket ${ticketId}`);
        });
        expect(new Date(startAfter!).getTime(), ticketId).toBe(due!.getTime());
      }
    } finally {
      t.deps.jobs = planned;
      await system.stop();
      systems.splice(systems.indexOf(system), 1);
    }
  });

  it('two instances on one database: every wake-up is worked, every effect happens once', async () => {
    const second = await start();
    const first = systems[0]!;
    const tickets: Awaited<ReturnType<typeof submitApplication>>[] = [];
    for (let i = 0; i < 4; i++) tickets.push(await submitApplication(t));
    t.clock.advance(2 * 60_000 + 1000);
    for (const ticket of tickets) {
      // Both instances plan the same wake-up (as two HTTP instances would after two commits).
      first.wake('check-link-transition', new Date(Date.now() + 500), `link:${ticket.ticket_id}`);
      second.wake('check-link-transition', new Date(Date.now() + 500), `link:${ticket.ticket_id}`);
    }
    await eventually(async () => {
      const counts = await Promise.all(tickets.map(async (x) => (await alertsFor(x.ticket_id)).length));
      return counts.every((n) => n > 0);
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const ticket of tickets) expect(await alertsFor(ticket.ticket_id)).toHaveLength(1);
  });

  it('works a backlog of due wake-ups in a few sweeps, not one per poll', async () => {
    const system = systems[0] ?? (await start());
    const runs = async () => {
      const jobs = (await t.admin({ method: 'GET', url: '/admin/jobs' })).json().jobs as {
        name: string;
        runs: number;
      }[];
      return jobs.find((j) => j.name === 'session-reminders')!.runs;
    };
    const before = await runs();
    // As after a downtime, or 300 sessions starting at one moment: the wake-ups are all due at once.
    for (let i = 0; i < 300; i++) system.wake('session-reminders', new Date(), `backlog:${i}`);
    await eventually(async () => {
      const done = await t.deps.database.executeSql(
        "select count(*)::int as n from pgboss.job where singleton_key like 'backlog:%' and state = 'completed'",
        [],
      );
      return (done.rows[0] as { n: number }).n === 300;
    });
    // One trigger per sweep would have taken 300 sweeps (and 300 polls).
    expect((await runs()) - before).toBeLessThan(30);
  });
});
