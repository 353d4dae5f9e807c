// The jobs' sweeps, driven as an operator would (POST /admin/jobs/:name/run) with the clock moved
// instead of waiting: each effect happens once (also with two sweeps at once), moved sessions are
// reminded for their new time, cancelled ones never, a failing session fails alone; follow-ups,
// helping-hand questions, link checks, retention, and /admin/jobs.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_API_KEY, TEST_NOW, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { addSlots, createPsychologist, submitApplication } from '../support/fixtures.ts';
import { ADMIN_CHAT, botEnv, buttonPress, outboxTo, postUpdate } from '../support/telegram.ts';

let t: TestApp;
const fake = new FakeTelegram();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SERVICE = { 'x-api-key': TEST_API_KEY };
let psychologist: { id: string; name: string };
let nextTelegramId = 7_700_000;

beforeAll(async () => {
  await fake.start();
  t = await createTestApp({ ...botEnv(fake.url), BOT_USERNAME: 'hraniteli_test_bot' });
  psychologist = await createPsychologist(t, { name: 'Ольга Напоминаева', telegram_id: '515151' });
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

async function run(job: string) {
  const res = await t.admin({ method: 'POST', url: `/admin/jobs/${job}/run` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { status: string; result: Record<string, number> };
}

/** A submitted ticket whose person opened the bot (so messages reach their chat). */
async function personWithTicket(overrides: Record<string, unknown> = {}) {
  const telegramId = String(nextTelegramId++);
  const submitted = await submitApplication(t, overrides);
  const linked = await t.app.inject({
    method: 'POST',
    url: '/process-link',
    headers: SERVICE,
    payload: { user_id: telegramId, ticket_id: submitted.ticket_id },
  });
  expect(linked.statusCode, linked.body).toBe(200);
  return { ...submitted, telegramId };
}

async function bookAt(when: string, withPsychologist: { id: string } = psychologist) {
  const person = await personWithTicket();
  const [slot] = await addSlots(t, withPsychologist.id, [when]);
  const res = await t.admin({
    method: 'POST',
    url: '/admin/sessions',
    payload: { slot_id: slot!.id, lead_number: person.lead_number, ticket_id: person.ticket_id },
  });
  expect(res.statusCode, res.body).toBe(201);
  return { ...person, sessionId: res.json().session.id as string, startIso: slot!.start_iso };
}

async function withClockAt(iso: string | number, action: () => Promise<void>) {
  const before = t.clock.now();
  t.clock.set(new Date(iso));
  try {
    await action();
  } finally {
    t.clock.set(before);
  }
}

const textsTo = async (chat: string | number) => (await outboxTo(t, chat)).map((r) => r.text);

describe('session-reminders', () => {
  it('reminds client and psychologist once, two hours before; a moved session again for its new time', async () => {
    const booked = await bookAt('14.12 15:00');
    const start = Date.parse(booked.startIso);
    await withClockAt(start - 2 * HOUR - 60_000, async () => {
      expect((await run('session-reminders')).result.reminded).toBe(0);
    });
    await withClockAt(start - 2 * HOUR + 60_000, async () => {
      expect((await run('session-reminders')).result.reminded).toBe(1);
      expect((await run('session-reminders')).result.reminded).toBe(0);
    });
    const reminders = (await textsTo(booked.telegramId)).filter((x) => x.startsWith('Напоминаем'));
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toContain('14.12 в 15:00 (по Москве)');
    expect(
      (await textsTo('515151')).filter((x) => x.startsWith('Напоминание: сессия 14.12 15:00')),
    ).toHaveLength(1);

    // Moved to the next day: reminded again, for the new time.
    await addSlots(t, psychologist.id, ['15.12 16:00']);
    const moved = await t.admin({
      method: 'POST',
      url: '/reschedule-session',
      payload: { ticket_id: booked.ticket_id, new_slot_time: '15.12 16:00' },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    await withClockAt(Date.parse('2026-12-15T13:00:00.000Z') - 2 * HOUR + 1000, async () => {
      expect((await run('session-reminders')).result.reminded).toBe(1);
    });
    const all = (await textsTo(booked.telegramId)).filter((x) => x.startsWith('Напоминаем'));
    expect(all).toHaveLength(2);
    expect(all[1]).toContain('15.12 в 16:00');
  });

  it('never reminds a cancelled session', async () => {
    const booked = await bookAt('16.12 12:00');
    const cancel = await t.admin({
      method: 'POST',
      url: '/cancel-session',
      payload: { ticket_id: booked.ticket_id, cancellation_reason: 'не смогу' },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    await withClockAt(Date.parse(booked.startIso) - HOUR, async () => {
      await run('session-reminders');
    });
    expect((await textsTo(booked.telegramId)).filter((x) => x.startsWith('Напоминаем'))).toHaveLength(0);
  });

  it('two sweeps at once remind each session once', async () => {
    const chats = ['525252', '535353', '565656'];
    const booked = [];
    for (const [i, chat] of chats.entries()) {
      const p = await createPsychologist(t, { name: `Параллельная Сессия${i}`, telegram_id: chat });
      for (const time of ['22.12 10:00', '22.12 11:00']) booked.push(await bookAt(time, p));
    }
    // 09:30 Moscow: all six start within two hours.
    await withClockAt('2026-12-22T06:30:00.000Z', async () => {
      const [a, b] = await Promise.all([run('session-reminders'), run('session-reminders')]);
      expect([a.status, b.status]).toEqual(['ok', 'ok']);
      expect(a.result.reminded! + b.result.reminded!).toBe(6);
    });
    for (const x of booked)
      expect((await textsTo(x.telegramId)).filter((text) => text.startsWith('Напоминаем'))).toHaveLength(1);
    for (const chat of chats)
      expect(
        (await textsTo(chat)).filter((text) => text.startsWith('Напоминание: сессия 22.12')),
      ).toHaveLength(2);
  });

  it('a session that cannot be reminded fails alone and stays due', async () => {
    const own = await createPsychologist(t, { name: 'Вера Отдельная', telegram_id: '545454' });
    const good = await bookAt('23.12 10:00', own);
    const bad = await bookAt('23.12 11:00', own);
    // The database refuses the outbox rows of one session (ids come from the API: a uuid, safe to inline).
    await sql
      .raw(
        `create function refuse_reminder() returns trigger language plpgsql as $$ begin
           if new.session_id = '${bad.sessionId}' and new.dedupe_key like 'reminder:%' then
             raise exception 'refused';
           end if;
           return new;
         end $$`,
      )
      .execute(t.deps.db);
    await sql`create trigger refuse_reminder before insert on outbox
      for each row execute function refuse_reminder()`.execute(t.deps.db);
    const reminders = async (x: { telegramId: string }) =>
      (await textsTo(x.telegramId)).filter((text) => text.startsWith('Напоминаем'));
    try {
      await withClockAt('2026-12-23T06:30:00.000Z', async () => {
        expect((await run('session-reminders')).status).toBe('failed');
      });
      expect(await reminders(good)).toHaveLength(1);
      expect(await reminders(bad)).toHaveLength(0);
      const jobs = (await t.admin({ method: 'GET', url: '/admin/jobs' })).json().jobs as {
        name: string;
        last_error: string | null;
      }[];
      expect(jobs.find((j) => j.name === 'session-reminders')?.last_error).toBe('1 item(s) failed');
    } finally {
      await sql`drop trigger refuse_reminder on outbox`.execute(t.deps.db);
      await sql`drop function refuse_reminder()`.execute(t.deps.db);
    }
    // Its claim was rolled back with it: the next run reminds it.
    await withClockAt('2026-12-23T06:31:00.000Z', async () => {
      const again = await run('session-reminders');
      expect(again.status).toBe('ok');
      expect(again.result.reminded).toBe(1);
    });
    expect(await reminders(bad)).toHaveLength(1);
    expect(await reminders(good)).toHaveLength(1);
    expect(
      (await textsTo('545454')).filter((text) => text.startsWith('Напоминание: сессия 23.12')),
    ).toHaveLength(2);
  });
});

describe('feedback-reminders', () => {
  it('an hour after the end: confirmed → completed (client asked), pending → missed; the psychologist gets buttons', async () => {
    const confirmed = await bookAt('17.12 10:00');
    const pending = await bookAt('17.12 11:00');
    await t.deps.db
      .updateTable('hraniteli_sessions')
      .set({ status: 'confirmed' })
      .where('id', '=', confirmed.sessionId)
      .execute();
    await withClockAt('2026-12-17T10:30:00.000Z', async () => {
      const first = await run('feedback-reminders');
      // Sessions of earlier tests fall due too; these two are checked one by one below.
      expect(first.result.completed).toBeGreaterThanOrEqual(1);
      expect(first.result.missed).toBeGreaterThanOrEqual(1);
      expect((await run('feedback-reminders')).result.asked).toBe(0);
    });
    const statuses = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select(['id', 'status'])
      .where('id', 'in', [confirmed.sessionId, pending.sessionId])
      .execute();
    expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual({
      [confirmed.sessionId]: 'completed',
      [pending.sessionId]: 'missed',
    });
    expect(
      (await textsTo(confirmed.telegramId)).filter((x) => x.startsWith('Как прошла встреча')),
    ).toHaveLength(1);
    expect(
      (await textsTo(pending.telegramId)).filter((x) => x.startsWith('Как прошла встреча')),
    ).toHaveLength(0);
    const toPsychologist = (await outboxTo(t, '515151')).filter(
      (r) =>
        r.text.includes('завершилась') && (r.text.includes('17.12 10:00') || r.text.includes('17.12 11:00')),
    );
    expect(toPsychologist).toHaveLength(2);
    const buttons = (toPsychologist[0]!.buttons as { text: string }[][]).flat().map((b) => b.text);
    expect(buttons).toEqual(['Состоялась', 'Не пришёл']);
  });
});

describe('check-link-transition', () => {
  it('tells the operators once when the bot link was not opened within 2 minutes', async () => {
    const unopened = await submitApplication(t, {
      contact: { type: 'telegram', value: '@link_never_opened' },
    });
    const opened = await personWithTicket();
    await withClockAt(Date.parse('2026-12-07T09:02:01.000Z'), async () => {
      await run('check-link-transition');
      await run('check-link-transition');
    });
    const alerts = (await textsTo(ADMIN_CHAT)).filter((x) => x.startsWith('Клиент не перешёл'));
    expect(alerts.filter((a) => a.includes(unopened.ticket_id))).toEqual([
      `Клиент не перешёл по ссылке в бот: заявка ${unopened.ticket_id}, лид ${unopened.lead_number}, контакт: @link_never_opened.`,
    ]);
    expect(alerts.some((a) => a.includes(opened.ticket_id))).toBe(false);
  });

  // Tickets that carry no typed contact show the person's stored one, read in the check's own
  // transaction: read beside it, the one PGlite session waited for itself and the database hung for good.
  it('a reassignment made within 2 minutes of a submission: the check alerts with the stored contact', async () => {
    const submitted = await submitApplication(t, {
      contact: { type: 'telegram', value: '@reassigned_soon' },
    });
    const reassigned = await t.admin({
      method: 'POST',
      url: '/reassign',
      payload: { lead_number: submitted.lead_number, filtered_psychologists: psychologist.name },
    });
    expect(reassigned.statusCode, reassigned.body).toBe(200);
    const ticketId = reassigned.json().ticket_id as string;
    await withClockAt(Date.parse(TEST_NOW) + 2 * 60_000 + 1_000, async () => {
      expect((await run('check-link-transition')).result.alerted).toBeGreaterThanOrEqual(1);
    });
    const alerts = (await textsTo(ADMIN_CHAT)).filter((x) => x.includes(`заявка ${ticketId},`));
    expect(alerts).toEqual([
      `Клиент не перешёл по ссылке в бот: заявка ${ticketId}, лид ${submitted.lead_number}, контакт: @reassigned_soon.`,
    ]);
    // The database still answers after the job.
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });

  it('a person erased within 2 minutes of their submission: the check completes without a contact', async () => {
    const submitted = await submitApplication(t, {
      contact: { type: 'telegram', value: '@erased_soon' },
    });
    const erased = await t.admin({ method: 'DELETE', url: `/admin/clients/${submitted.lead_number}` });
    expect(erased.statusCode, erased.body).toBe(200);
    await withClockAt(Date.parse(TEST_NOW) + 2 * 60_000 + 1_000, async () => {
      expect((await run('check-link-transition')).status).toBe('ok');
    });
    const alerts = (await textsTo(ADMIN_CHAT)).filter((x) => x.includes(`заявка ${submitted.ticket_id},`));
    expect(alerts).toEqual([
      `Клиент не перешёл по ссылке в бот: заявка ${submitted.ticket_id}, лид ${submitted.lead_number}, контакт: не указан.`,
    ]);
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });
});

describe('confirm-help-hand', () => {
  async function helpHand() {
    const telegramId = String(nextTelegramId++);
    const res = await t.app.inject({
      method: 'POST',
      url: '/register-ticket-for-help-hand',
      payload: {
        name: 'Ира',
        age: 25,
        contact: { type: 'telegram', value: `@hh_${telegramId}` },
        preferences: {},
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const ticketId = res.json().ticket_id as string;
    await t.app.inject({
      method: 'POST',
      url: '/process-link',
      headers: SERVICE,
      payload: { user_id: telegramId, ticket_id: ticketId },
    });
    return { ticketId, telegramId, lead: res.json().lead_number as string };
  }

  it('asks at 7 and 14 days, alerts the operators at 21; «Нет» closes the ticket', async () => {
    const kept = await helpHand();
    const declined = await helpHand();
    const created = t.clock.now().getTime();
    await withClockAt(created + 7 * DAY + 1000, async () => {
      expect((await run('confirm-help-hand')).result).toEqual({ asked: 2, alerted: 0 });
      expect((await run('confirm-help-hand')).result).toEqual({ asked: 0, alerted: 0 });
    });
    const question = (await outboxTo(t, declined.telegramId)).find((r) => r.text.includes('ещё актуальна'))!;
    const no = (question.buttons as { text: string; callback_data: string }[][])
      .flat()
      .find((b) => b.text === 'Нет')!;
    await postUpdate(
      t,
      buttonPress({ id: Number(declined.telegramId), first_name: 'Ира' }, no.callback_data),
    );
    const closed = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('status')
      .where('ticket_id', '=', declined.ticketId)
      .executeTakeFirstOrThrow();
    expect(closed.status).toBe('closed');

    await withClockAt(created + 14 * DAY + 1000, async () => {
      expect((await run('confirm-help-hand')).result).toEqual({ asked: 1, alerted: 0 });
    });
    await withClockAt(created + 21 * DAY + 1000, async () => {
      expect((await run('confirm-help-hand')).result).toEqual({ asked: 0, alerted: 1 });
    });
    const alerts = (await textsTo(ADMIN_CHAT)).filter((x) => x.includes('уже 21 день'));
    expect(alerts).toEqual([expect.stringContaining(kept.ticketId)]);
    expect((await textsTo(kept.telegramId)).filter((x) => x.includes('ещё актуальна'))).toHaveLength(2);
  });
});

describe('client follow-ups', () => {
  it('the later call wins; the due follow-up offers free times; a press books a regular session', async () => {
    const booked = await bookAt('18.12 10:00');
    await addSlots(t, psychologist.id, ['26.12 10:00', '26.12 11:00']);
    const plan = () =>
      t.app.inject({
        method: 'POST',
        url: '/schedule_client_action_after_5_days',
        headers: SERVICE,
        payload: { lead_number: booked.lead_number, psychologist_name: 'ольга напоминаева' },
      });
    const first = await plan();
    t.clock.advance(HOUR);
    const second = await plan();
    t.clock.advance(-HOUR);
    expect(second.json().job_id).toBe(first.json().job_id);
    expect(Date.parse(second.json().scheduled_at) - Date.parse(first.json().scheduled_at)).toBe(HOUR);

    await withClockAt(Date.parse(first.json().scheduled_at) + 1000, async () => {
      expect((await run('client-followups')).result.sent).toBe(0);
    });
    await withClockAt(Date.parse(second.json().scheduled_at) + 1000, async () => {
      expect((await run('client-followups')).result.sent).toBe(1);
      expect((await run('client-followups')).result.sent).toBe(0);
      const offer = (await outboxTo(t, booked.telegramId)).find((r) =>
        r.text.includes('выберите удобное время'),
      )!;
      // The free part of the psychologist's schedule, as get-schedule writes it, then the buttons.
      expect(offer.text).toContain('🟩 Свободно:\n\n26.12 Сб: 10:00, 11:00');
      const buttons = (offer.buttons as { text: string; callback_data: string }[][]).flat();
      expect(buttons.map((b) => b.text)).toContain('26.12 10:00');
      const press = buttons.find((b) => b.text === '26.12 10:00')!;
      const person = { id: Number(booked.telegramId), first_name: 'Мария' };
      await postUpdate(t, buttonPress(person, press.callback_data));
      const sessions = await t.deps.db
        .selectFrom('hraniteli_sessions')
        .select(['kind', 'status'])
        .where('psychologist_id', '=', psychologist.id)
        .where('start_at', '=', new Date('2026-12-26T07:00:00.000Z'))
        .execute();
      expect(sessions).toEqual([{ kind: 'regular', status: 'pending' }]);
      // The same time pressed again is taken: fresh times are offered instead.
      await postUpdate(t, buttonPress(person, press.callback_data));
      expect((await textsTo(booked.telegramId)).at(-1)).toBe(
        'Это время уже заняли. Вот что свободно сейчас:',
      );
    });
  });

  it('unknown clients and psychologists are 404; no client reference is a 400', async () => {
    const post = (payload: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/schedule_client_action_after_3_weeks',
        headers: SERVICE,
        payload,
      });
    expect((await post({ lead_number: 'zz0000' })).statusCode).toBe(404);
    const known = await submitApplication(t);
    expect((await post({ lead_number: known.lead_number, psychologist_name: 'Нет Такого' })).statusCode).toBe(
      404,
    );
    expect((await post({})).statusCode).toBe(400);
  });
});

describe('retention and update-sessions-count', () => {
  it('redacts outbox texts older than 90 days and keeps the rows', async () => {
    const person = await personWithTicket();
    const rows = await outboxTo(t, person.telegramId);
    expect(rows.length).toBeGreaterThan(0);
    await t.deps.db
      .updateTable('outbox')
      .set({ status: 'sent' })
      .where('chat_id', '=', person.telegramId)
      .execute();
    await withClockAt(t.clock.now().getTime() + 91 * DAY, async () => {
      expect((await run('retention')).result.redacted).toBeGreaterThanOrEqual(rows.length);
    });
    const after = await outboxTo(t, person.telegramId);
    expect(after).toHaveLength(rows.length);
    expect(after.every((r) => r.text === '[текст удалён по сроку хранения]')).toBe(true);
  });

  it('update-sessions-count recomputes every psychologist', async () => {
    await t.deps.db.updateTable('hraniteli_psychologists').set({ number_of_clients_provided: 99 }).execute();
    await withClockAt('2026-12-20T09:00:00.000Z', async () => {
      const res = await run('update-sessions-count');
      expect(res.result.psychologists).toBeGreaterThan(0);
    });
    const row = await t.deps.db
      .selectFrom('hraniteli_psychologists')
      .select('number_of_clients_provided')
      .where('id', '=', psychologist.id)
      .executeTakeFirstOrThrow();
    expect(row.number_of_clients_provided).toBe(1);
  });
});

describe('/admin/jobs', () => {
  it('lists every job with its schedule, last run and next run; a failed run shows, also in /metrics', async () => {
    await t.deps.db.schema.alterTable('client_followups').renameTo('client_followups_away').execute();
    try {
      const failed = await run('client-followups');
      expect(failed.status).toBe('failed');
    } finally {
      await t.deps.db.schema.alterTable('client_followups_away').renameTo('client_followups').execute();
    }
    const res = await t.admin({ method: 'GET', url: '/admin/jobs' });
    expect(res.statusCode).toBe(200);
    const jobs = res.json().jobs as {
      name: string;
      schedule: string;
      next_run_at: string;
      last_status: string | null;
      last_error: string | null;
      failures: number;
    }[];
    expect(jobs.map((j) => j.name).sort()).toEqual(
      [
        'check-link-transition',
        'client-followups',
        'confirm-help-hand',
        'feedback-reminders',
        'meeting-links',
        'retention',
        'session-reminders',
        'update-sessions-count',
      ].sort(),
    );
    const count = jobs.find((j) => j.name === 'update-sessions-count')!;
    expect(count.schedule).toBe('0 21 * * *');
    // 21:00 Moscow is 18:00 UTC; the test clock is 2026-12-07 12:00 Moscow.
    expect(count.next_run_at).toBe('2026-12-07T18:00:00.000Z');
    const followups = jobs.find((j) => j.name === 'client-followups')!;
    expect(followups.last_status).toBe('failed');
    expect(followups.failures).toBeGreaterThanOrEqual(1);
    const metrics = await t.admin({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/job_runs_total\{job="client-followups",result="failed"\} [1-9]/);
    expect((await t.admin({ method: 'POST', url: '/admin/jobs/no-such-job/run' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/admin/jobs' })).statusCode).toBe(401);
  });
});
