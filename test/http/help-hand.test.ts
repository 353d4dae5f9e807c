// The helping hand as the real front end drives it (spec/web-form.md A, C.1, C.2): /help_hand_form's
// requests replayed field by field, the operator's allotment through the admin API, the bot's message with
// the personal confirm link, and /help_hand_confirm's requests on that link — through to a booked session
// the psychologist is told about. Then what someone without the link gets, the refusals the page reads,
// and two clients racing for the allotted psychologist's last slot over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/demo/demo-data.ts';
import { createTestApp, withTestApp, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { addSlots, createPsychologist, type PsychologistFixture } from '../support/fixtures.ts';
import { ADMIN_CHAT, botEnv, outboxTo, postUpdate, textMessage } from '../support/telegram.ts';
import {
  browser,
  categoryLabel,
  confirmBookingBody,
  confirmLinkParams,
  confirmScheduleRequest,
  HELP_HAND_STEPS,
  helpHandBody,
  helpHandStepAnswer,
  n8n,
  ok,
  readConfirmSchedule,
  type HelpHandPerson,
} from '../support/web-form.ts';

let t: TestApp;
const fake = new FakeTelegram();
let vera: PsychologistFixture; // helping hand, the one allotted
let lev: PsychologistFixture; // helping hand, allotted instead once
let community: PsychologistFixture; // not a helping-hand psychologist
const TODAY = '2026-12-07'; // TEST_NOW is Monday 07.12, 12:00 Moscow
const VERA_TELEGRAM = 7_700_001;

beforeAll(async () => {
  await fake.start();
  t = await createTestApp({ ...botEnv(fake.url), WEB_BASE_URL: 'https://front.example/' });
  vera = await createPsychologist(t, {
    name: 'Вера Помогаева',
    help_hand: true,
    group: 'Рука помощи',
    telegram_id: String(VERA_TELEGRAM),
    experience: '1 год',
  });
  lev = await createPsychologist(t, { name: 'Лев Подмогин', help_hand: true, group: 'Супервизии' });
  community = await createPsychologist(t, { name: 'Обычная Сообщества' });
  // 07.12 18:00 is under 24 h ahead: the confirm page must not be offered it.
  await addSlots(t, vera.id, ['07.12 18:00', '09.12 10:00', '10.12 11:00', '11.12 12:00']);
  await addSlots(t, lev.id, ['09.12 15:00']);
  await addSlots(t, community.id, ['09.12 10:00']);
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

let nextPerson = 0;
function person(overrides: Partial<HelpHandPerson> = {}): HelpHandPerson {
  nextPerson++;
  return {
    ticketId: `hh_q${nextPerson}x7`,
    name: 'Ника',
    age: '23',
    gender: 'female',
    experience: 'supposed',
    preferences: ['Чуткость, мягкость, умение выслушивать'],
    customImportance: '',
    diagnosis: 'diseases2',
    medications: 'no',
    conditions: ['Тревога'],
    traumatic: ['Ничего из вышеперечисленного'],
    request: 'Нет денег на терапию, а тревога не отпускает',
    price: '1000',
    contactType: 'Telegram',
    contact: `@nika_hh${nextPerson}`,
    ...overrides,
  };
}

/** The whole /help_hand_form (C.1): tracking, step answers, the submission. */
async function fillForm(p: HelpHandPerson) {
  await ok(
    browser(t, 'POST', n8n('init-form-tracking'), {
      ticket_id: p.ticketId,
      form_type: 'Заявка на руку помощи',
      step: 'Начало',
    }),
  );
  for (const step of HELP_HAND_STEPS) {
    await ok(browser(t, 'PUT', n8n('update-tracking-step'), { step, ticket_id: p.ticketId }));
    const answer = helpHandStepAnswer(p, step);
    if (answer)
      await ok(
        browser(t, 'PUT', n8n('step-analytics'), {
          ticketID: p.ticketId,
          field: answer[0],
          value: answer[1],
        }),
      );
  }
  const res = await browser(t, 'POST', n8n('register-ticket-for-help-hand'), helpHandBody(p));
  expect(res.statusCode, res.body).toBe(200);
  await ok(
    browser(t, 'PUT', n8n('update-tracking-step'), { step: 'Заявка отправлена', ticket_id: p.ticketId }),
  );
  return res.json() as { ticket_id: string; form_ticket_id: string; bot_link: string; client_token: string };
}

/** The person opens the bot with the form's button and proves the typed @username. */
async function openBot(p: HelpHandPerson, telegramId: number) {
  const account = { id: telegramId, first_name: p.name, username: p.contact.slice(1) };
  expect((await postUpdate(t, textMessage(account, `/start ${p.ticketId}`))).statusCode).toBe(200);
}

async function allot(ticketId: string, psychologist: string) {
  return t.admin({ method: 'PATCH', url: `/admin/tickets/${ticketId}`, payload: { psychologist } });
}

const ticketRow = (ticketId: string) =>
  t.deps.db
    .selectFrom('hraniteli_tickets')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .executeTakeFirstOrThrow();

const check = (ticketId: string) =>
  browser(t, 'GET', n8n(`check-allotment-for-slot-confirmation?ticket_id=${encodeURIComponent(ticketId)}`));

describe('/help_hand_form (C.1)', () => {
  it('stores the help_hand ticket under the form id with the price, the current diagnoses and the marketing fields', async () => {
    const p = person({ price: '1000' });
    const answer = await fillForm(p);
    expect(answer.ticket_id).toMatch(/^hh_[a-z0-9]{7}$/);
    expect(answer).toMatchObject({
      success: true,
      form_ticket_id: p.ticketId,
      client_token: expect.any(String),
    });
    expect(answer.bot_link).toBe(`https://t.me/hraniteli_test_bot?start=${answer.ticket_id}`);
    const ticket = await ticketRow(answer.ticket_id);
    expect(ticket).toMatchObject({
      type: 'help_hand',
      status: 'new',
      form_ticket_id: p.ticketId,
      price_session: '1000',
      request_text: p.request,
      candidate_slot_ids: [],
    });
    expect(ticket.preferences).toMatchObject({
      diagnoses: ['Есть диагностированное психиатрическое заболевание', 'Не принимает медикаменты'],
      psychiatric_diagnosis: true,
    });
    // The confirm-help-hand job asks after a week.
    expect(ticket.help_hand_next_check_at?.toISOString()).toBe('2026-12-14T09:00:00.000Z');
    const told = (await outboxTo(t, ADMIN_CHAT)).filter(
      (m) => m.dedupe_key === `ticket-created:${answer.ticket_id}`,
    );
    expect(told).toHaveLength(1);
    expect(told[0]!.text).toContain('Рука помощи');

    // The form goes forward again after an error screen: the same ticket_id, the first answer, nothing new.
    const again = await browser(t, 'POST', n8n('register-ticket-for-help-hand'), helpHandBody(p));
    expect(again.statusCode).toBe(200);
    expect(again.json().ticket_id).toBe(answer.ticket_id);
    const count = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('form_ticket_id', '=', p.ticketId)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('reads the price from the label, a bare price_session or the step answer; marketing fields with utm_anketa', async () => {
    const free = person({ price: 'free' });
    expect((await ticketRow((await fillForm(free)).ticket_id)).price_session).toBe('free');
    const labelled = person({ price: '2000' });
    const body = { ...helpHandBody(labelled), utm_anketa: 'rp1', utm_source: 'vk' };
    const res = await browser(t, 'POST', n8n('register-ticket-for-help-hand'), body);
    const row = await ticketRow(res.json().ticket_id);
    expect(row.price_session).toBe('2000');
    expect(row.utm).toMatchObject({ anketa: 'rp1', source: 'vk' });
    // No label at all: the psychologist_category step answer of the same form id.
    const stepOnly = person({ price: '500' });
    await ok(
      browser(t, 'PUT', n8n('step-analytics'), {
        ticketID: stepOnly.ticketId,
        field: 'psychologist_category',
        value: '500',
      }),
    );
    const { categoryType: _label, ...unlabelled } = helpHandBody(stepOnly);
    const viaStep = await browser(t, 'POST', n8n('register-ticket-for-help-hand'), unlabelled);
    expect((await ticketRow(viaStep.json().ticket_id)).price_session).toBe('500');
  });

  it('without a contact is a 400 naming the field, and nothing is stored', async () => {
    const p = person();
    const res = await browser(t, 'POST', n8n('register-ticket-for-help-hand'), {
      ...helpHandBody(p),
      contact: '',
      formPsyClientInfo: { ...helpHandBody(p).formPsyClientInfo, contact: '' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('contact');
    expect(
      await t.deps.db
        .selectFrom('hraniteli_tickets')
        .select('ticket_id')
        .where('form_ticket_id', '=', p.ticketId)
        .execute(),
    ).toEqual([]);
  });
});

describe('allotment → the bot link → /help_hand_confirm (C.2) → a booked session', () => {
  it('goes the whole way and tells the psychologist', async () => {
    const p = person({ price: '500' });
    const submitted = await fillForm(p);
    await openBot(p, 8_800_001);

    // An operator allots a psychologist who does not take helping-hand clients: refused, naming the field.
    const wrong = await allot(submitted.ticket_id, community.name);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0].field).toBe('psychologist');

    const allotted = await allot(submitted.ticket_id, vera.name);
    expect(allotted.statusCode, allotted.body).toBe(200);
    expect(allotted.json().ticket).toMatchObject({ psychologist_id: vera.id, status: 'matched' });
    const message = (await outboxTo(t, 8_800_001)).at(-1)!;
    const link = /https:\/\/front\.example\/help_hand_confirm\?\S+/.exec(message.text)?.[0];
    expect(link, message.text).toBeDefined();
    expect(allotted.json().confirm_url).toBe(link);
    const params = confirmLinkParams(link!);
    expect(params.utmPsy).toBe(vera.name);
    expect(params.price).toBe('500');
    expect(params.ticketId).toMatch(/^hh_[A-Za-z0-9_-]{24}$/);
    const operators = await outboxTo(t, ADMIN_CHAT);
    expect(operators.at(-1)!.text).toContain('Ссылка на выбор времени отправлена клиенту');

    // The page: get-ticket-info (price), the "Слоты" step, /cards, check-allotment, the schedule.
    const info = await browser(t, 'GET', n8n(`get-ticket-info?ticket_id=${params.ticketId}`));
    expect(info.statusCode, info.body).toBe(200);
    expect(info.headers['cache-control']).toBe('no-store');
    const shownTicket = info.json().ticket;
    expect(shownTicket.price_session).toBe('500');
    expect(shownTicket.client_name).toBeNull();
    // The page takes the first present of these; none before price_session may be filled.
    for (const field of ['psychologist_price', 'psychologist_category'])
      expect(shownTicket[field]).toBeUndefined();
    await ok(browser(t, 'PUT', n8n('update-tracking-step'), { step: 'Слоты', ticket_id: params.ticketId }));
    const cards = (await ok(browser(t, 'GET', '/cards'))).json() as { name: string; group: string }[];
    expect(cards.find((c) => c.name === params.utmPsy)?.group).toBe('Рука помощи');
    expect(cards.find((c) => c.name === lev.name)?.group).toBe('Супервизии');
    const allowed = await check(params.ticketId);
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['cache-control']).toBe('no-store');
    expect(allowed.json()).toEqual({
      success: true,
      is_allowed: true,
      reason: null,
      psychologist: vera.name,
    });

    const label = categoryLabel('500');
    const schedule = await browser(
      t,
      'POST',
      n8n('get-agregated-schedule-helpful-hand'),
      confirmScheduleRequest(params.ticketId, params.utmPsy, label, TODAY),
    );
    expect(schedule.statusCode, schedule.body).toBe(200);
    expect(schedule.headers['cache-control']).toBe('no-store');
    const names = new Set(
      (schedule.json()[0].items as { slots: Record<string, { psychologist: string }[]> }[]).flatMap((d) =>
        Object.values(d.slots).flatMap((slots) => slots.map((s) => s.psychologist)),
      ),
    );
    expect([...names]).toEqual([vera.name]);
    const offered = readConfirmSchedule(schedule.json(), t.clock.now());
    expect(offered.map((s) => s.label)).toEqual(['09.12 / 10:00', '10.12 / 11:00', '11.12 / 12:00']);
    // The answer itself leaves out the time under 24 h ahead (07.12 18:00), not only the page.
    expect(schedule.body).not.toContain('"2026-12-07"');

    const booking = await browser(
      t,
      'POST',
      n8n('helpful-hand-zayavka-new'),
      confirmBookingBody(params.ticketId, params.utmPsy, label, offered[1]!),
    );
    expect(booking.statusCode, booking.body).toBe(200);
    expect(booking.json()).toEqual({
      success: true,
      ticket_id: submitted.ticket_id,
      form_ticket_id: p.ticketId,
      booked: true,
      session: { date: '10.12', time: '11:00', psychologist: vera.name, slot_id: offered[1]!.id },
      bot_link: submitted.bot_link,
    });
    await ok(
      browser(t, 'PUT', n8n('update-tracking-step'), {
        step: 'Заявка отправлена',
        ticket_id: params.ticketId,
      }),
    );

    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .selectAll()
      .where('ticket_id', '=', submitted.ticket_id)
      .executeTakeFirstOrThrow();
    expect(session).toMatchObject({ status: 'pending', psychologist_id: vera.id, payment_amount: 500 });
    expect((await ticketRow(submitted.ticket_id)).status).toBe('booked');
    const toVera = await outboxTo(t, VERA_TELEGRAM);
    expect(toVera.map((m) => m.text).join('\n')).toContain('10.12');
    const toClient = (await outboxTo(t, 8_800_001)).at(-1)!;
    expect(toClient.text).toContain('10.12');

    // The page repeats a booking it did not see succeed: the same answer; another time is refused.
    const repeat = await browser(
      t,
      'POST',
      n8n('helpful-hand-zayavka-new'),
      confirmBookingBody(params.ticketId, params.utmPsy, label, offered[1]!),
    );
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json().session.slot_id).toBe(offered[1]!.id);
    const other = await browser(
      t,
      'POST',
      n8n('helpful-hand-zayavka-new'),
      confirmBookingBody(params.ticketId, params.utmPsy, label, offered[2]!),
    );
    expect(other.statusCode).toBe(409);
    expect(other.json().error.type).toBe('already_booked');
    expect((await check(params.ticketId)).json()).toMatchObject({
      is_allowed: false,
      reason: 'already_booked',
    });

    // The confirm page's steps joined the form's own record; the link itself was never written down.
    const steps = await t.deps.db
      .selectFrom('form_tracking as f')
      .innerJoin('form_tracking_steps as s', 's.tracking_id', 'f.id')
      .select(['f.ticket_id', 's.step'])
      .where('f.ticket_id', 'in', [p.ticketId, params.ticketId])
      .orderBy('s.id')
      .execute();
    expect(steps.every((s) => s.ticket_id === p.ticketId)).toBe(true);
    expect(steps.map((s) => s.step).slice(-3)).toEqual(['Заявка отправлена', 'Слоты', 'Заявка отправлена']);
    const row = await ticketRow(submitted.ticket_id);
    expect(JSON.stringify(row)).not.toContain(params.ticketId);
    expect(t.logs.text()).not.toContain(params.ticketId);
  });

  it('a new allotment replaces the link: the old one names nothing, the new one shows the new psychologist', async () => {
    const p = person();
    const submitted = await fillForm(p);
    await openBot(p, 8_800_002);
    const first = confirmLinkParams((await allot(submitted.ticket_id, vera.name)).json().confirm_url);
    const second = confirmLinkParams((await allot(submitted.ticket_id, lev.name)).json().confirm_url);
    expect(second.ticketId).not.toBe(first.ticketId);
    expect((await outboxTo(t, 8_800_002)).filter((m) => m.text.includes('/help_hand_confirm'))).toHaveLength(
      2,
    );
    const old = await check(first.ticketId);
    expect(old.statusCode).toBe(404);
    expect(old.json()).toMatchObject({ success: false, is_allowed: false, reason: 'unknown_ticket' });
    expect((await check(second.ticketId)).json()).toMatchObject({ is_allowed: true, psychologist: lev.name });
    // The old psychologist in utm_psy: nothing of the schedule.
    const stale = await browser(
      t,
      'POST',
      n8n('get-agregated-schedule-helpful-hand'),
      confirmScheduleRequest(second.ticketId, vera.name, '', TODAY),
    );
    expect(stale.statusCode).toBe(403);
    expect(stale.json()).toMatchObject({ is_allowed: false, reason: 'other_psychologist' });
    expect(stale.body).not.toContain('slots');
  });

  it('a client not yet in the bot: the link is not sent, the operators are told, the answer carries it', async () => {
    const p = person();
    const submitted = await fillForm(p);
    const res = await allot(submitted.ticket_id, vera.name);
    expect(res.statusCode).toBe(200);
    expect(res.json().confirm_url).toContain('/help_hand_confirm?ticket_id=hh_');
    const unsent = await t.deps.db
      .selectFrom('outbox')
      .select(['status', 'chat_id'])
      .where('ticket_id', '=', submitted.ticket_id)
      .where('recipient', '=', 'client')
      .execute();
    expect(unsent).toEqual([{ status: 'skipped', chat_id: null }]);
    expect((await outboxTo(t, ADMIN_CHAT)).at(-1)!.text).toContain('Клиент ещё не в боте');
  });
});

describe('what the page is refused, and what someone without the link gets', () => {
  it('is_allowed on every answer: unknown, missing, malformed, closed; refusals leak no schedule', async () => {
    for (const url of [
      'check-allotment-for-slot-confirmation?ticket_id=hh_AAAAAAAAAAAAAAAAAAAAAAAA',
      'check-allotment-for-slot-confirmation',
      'check-allotment-for-slot-confirmation?ticket_id=%3Cscript%3E',
    ]) {
      const res = await browser(t, 'GET', n8n(url));
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.json(), url).toMatchObject({ success: false, is_allowed: false });
    }
    const p = person();
    const submitted = await fillForm(p);
    await openBot(p, 8_800_003);
    const link = confirmLinkParams((await allot(submitted.ticket_id, vera.name)).json().confirm_url);
    const closed = await t.admin({
      method: 'PATCH',
      url: `/admin/tickets/${submitted.ticket_id}`,
      payload: { status: 'cancelled' },
    });
    expect(closed.statusCode).toBe(200);
    expect((await check(link.ticketId)).json()).toEqual({
      success: true,
      is_allowed: false,
      reason: 'closed',
      psychologist: vera.name,
    });
    const schedule = await browser(
      t,
      'POST',
      n8n('get-agregated-schedule-helpful-hand'),
      confirmScheduleRequest(link.ticketId, vera.name, '', TODAY),
    );
    expect(schedule.statusCode).toBe(403);
    expect(schedule.json()).toMatchObject({ reason: 'closed' });
    expect(schedule.body).not.toContain(vera.name);
    const slot = (
      await t.deps.db
        .selectFrom('hraniteli_slots')
        .select('id')
        .where('psychologist_id', '=', vera.id)
        .executeTakeFirstOrThrow()
    ).id;
    const booking = await browser(t, 'POST', n8n('helpful-hand-zayavka-new'), {
      ticket_id: link.ticketId,
      utm_psy: vera.name,
      slots_objects: [slot],
    });
    expect(booking.statusCode).toBe(403);
    expect(booking.json().reason).toBe('closed');
  });

  it('the form id and the ticket id are no key: guessing them gets a 404 and books nothing', async () => {
    const p = person();
    const submitted = await fillForm(p);
    await openBot(p, 8_800_004);
    const link = confirmLinkParams((await allot(submitted.ticket_id, vera.name)).json().confirm_url);
    const slot = (
      await t.deps.db
        .selectFrom('hraniteli_slots')
        .select('id')
        .where('psychologist_id', '=', vera.id)
        .where('state', '=', 'free')
        .orderBy('start_at', 'desc')
        .executeTakeFirstOrThrow()
    ).id;
    for (const guess of [p.ticketId, submitted.ticket_id, `${link.ticketId.slice(0, -1)}A`]) {
      expect((await check(guess)).json(), guess).toMatchObject({
        is_allowed: false,
        reason: 'unknown_ticket',
      });
      const schedule = await browser(
        t,
        'POST',
        n8n('get-agregated-schedule-helpful-hand'),
        confirmScheduleRequest(guess, vera.name, '', TODAY),
      );
      expect(schedule.statusCode, guess).toBe(404);
      const booking = await browser(t, 'POST', n8n('helpful-hand-zayavka-new'), {
        ticket_id: guess,
        utm_psy: vera.name,
        slots_objects: [slot],
      });
      expect(booking.statusCode, guess).toBe(404);
    }
    expect(
      await t.deps.db
        .selectFrom('hraniteli_sessions')
        .select('id')
        .where('ticket_id', '=', submitted.ticket_id)
        .execute(),
    ).toEqual([]);
    // Operators (the service key) may name the ticket by its ids.
    const asService = await t.admin({
      url: `/check-allotment-for-slot-confirmation?ticket_id=${submitted.ticket_id}`,
    });
    expect(asService.json()).toMatchObject({ is_allowed: true, psychologist: vera.name });
  });

  it('the slot taken meanwhile: 409 slot_taken and the operators are told', async () => {
    const p = person();
    const submitted = await fillForm(p);
    await openBot(p, 8_800_005);
    const link = confirmLinkParams((await allot(submitted.ticket_id, vera.name)).json().confirm_url);
    const shown = readConfirmSchedule(
      (
        await browser(
          t,
          'POST',
          n8n('get-agregated-schedule-helpful-hand'),
          confirmScheduleRequest(link.ticketId, vera.name, '', TODAY),
        )
      ).json(),
      t.clock.now(),
    );
    const chosen = shown.at(-1)!;
    // Someone else (an operator) books it first.
    const other = await fillForm(person());
    const lead = (
      await t.deps.db
        .selectFrom('hraniteli_clients as c')
        .innerJoin('hraniteli_tickets as k', 'k.client_id', 'c.id')
        .select('c.lead_number')
        .where('k.ticket_id', '=', other.ticket_id)
        .executeTakeFirstOrThrow()
    ).lead_number;
    const taken = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: chosen.id, lead_number: lead, ticket_id: other.ticket_id },
    });
    expect(taken.statusCode, taken.body).toBe(201);
    const res = await browser(
      t,
      'POST',
      n8n('helpful-hand-zayavka-new'),
      confirmBookingBody(link.ticketId, vera.name, '', chosen),
    );
    expect(res.statusCode).toBe(409);
    expect(res.json().error.type).toBe('slot_taken');
    const told = (await outboxTo(t, ADMIN_CHAT)).at(-1)!;
    expect(told.text).toContain(submitted.ticket_id);
    expect(told.text).toContain('это время уже заняли');
  });

  it('bad input is a 4xx naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['helpful-hand-zayavka-new', { utm_psy: vera.name, slots_objects: ['x'] }, 'ticket_id'],
      [
        'helpful-hand-zayavka-new',
        { ticket_id: 'hh_AAAAAAAAAAAAAAAAAAAAAAAA', slots_objects: [], slots: [] },
        'slots_objects',
      ],
      ['helpful-hand-zayavka-new', { ticket_id: 'bad id!', slots_objects: ['x'] }, 'ticket_id'],
      ['get-agregated-schedule-helpful-hand', { utm_psy: vera.name }, 'ticket_id'],
      ['get-agregated-schedule-helpful-hand', { ticket_id: 'hh_x', endDate: '2026-13-45' }, 'endDate'],
    ];
    for (const [name, body, field] of cases) {
      const res = await browser(t, 'POST', n8n(name), body);
      expect(res.statusCode, `${name} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json().error.details[0].field, res.body).toBe(field);
    }
  });
});

describe('the other part-C items', () => {
  it('update-tracking-step with ticket_id null or "" answers 200 and stores nothing', async () => {
    const before = await t.deps.db.selectFrom('form_tracking_steps').select('id').execute();
    for (const ticket_id of [null, '']) {
      const res = await browser(t, 'PUT', n8n('update-tracking-step'), {
        step: 'Контакты экстренных служб',
        ticket_id,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ success: true });
    }
    expect(await t.deps.db.selectFrom('form_tracking_steps').select('id').execute()).toHaveLength(
      before.length,
    );
  });

  it('convert-schedule-timezone is answered from the cache until a write of this instance', async () => {
    const first = await ok(browser(t, 'POST', '/convert-schedule-timezone/0', {}));
    // A slot written behind the service's back is not seen: the answer came from the cache …
    await t.deps.db
      .insertInto('hraniteli_slots')
      .values({ psychologist_id: lev.id, start_at: new Date('2026-12-12T12:00:00Z'), state: 'free' })
      .execute();
    for (let i = 0; i < 11; i++)
      expect((await ok(browser(t, 'POST', '/convert-schedule-timezone/0', {}))).body).toBe(first.body);
    // … and one written through the service is.
    await addSlots(t, lev.id, ['13.12 10:00']);
    const after = await ok(browser(t, 'POST', '/convert-schedule-timezone/0', {}));
    expect(after.body).toContain('"2026-12-12"');
    expect(after.body).toContain('"2026-12-13"');
  });
});

describe('two clients racing for the allotted psychologist’s last slot', () => {
  it('exactly one booking wins, the other is a 409, over real HTTP', async () => {
    const psychologist = await createPsychologist(t, {
      name: 'Ида Последняя',
      help_hand: true,
      group: 'Рука помощи',
    });
    const [lastSlot] = await addSlots(t, psychologist.id, ['15.12 10:00']);
    const links: string[] = [];
    for (const telegramId of [8_800_010, 8_800_011]) {
      const p = person();
      const submitted = await fillForm(p);
      await openBot(p, telegramId);
      links.push(
        confirmLinkParams((await allot(submitted.ticket_id, psychologist.name)).json().confirm_url).ticketId,
      );
    }
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const answers = await Promise.all(
      links.map((link) =>
        fetch(`${base}/webhook/helpful-hand-zayavka-new`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'https://hrani.live' },
          body: JSON.stringify({
            ticket_id: link,
            utm_psy: psychologist.name,
            slots_objects: [lastSlot!.id],
          }),
        }).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as { error?: { type: string } },
        })),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error!.type).toBe('slot_taken');
    const sessions = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select('id')
      .where('slot_id', '=', lastSlot!.id)
      .where('status', 'in', ['pending', 'confirmed'])
      .execute();
    expect(sessions).toHaveLength(1);
  });
});

describe('the demo data', () => {
  it('has a helping-hand psychologist in /cards whose free times a newcomer can book through the confirm page', async () => {
    await withTestApp({}, async (demo) => {
      await loadDemoData(demo.deps);
      const cards = (await demo.app.inject({ url: '/cards' })).json() as { name: string; group: string }[];
      const helper = cards.find((c) => c.group === 'Рука помощи');
      expect(helper?.name).toBe('Алексей Морозов');
      expect(cards.some((c) => c.group === 'Супервизии')).toBe(true);
      const p = person();
      const form = await demo.app.inject({
        method: 'POST',
        url: n8n('register-ticket-for-help-hand'),
        payload: helpHandBody(p),
      });
      expect(form.statusCode, form.body).toBe(200);
      const allotted = await demo.admin({
        method: 'PATCH',
        url: `/admin/tickets/${form.json().ticket_id}`,
        payload: { psychologist: helper!.name },
      });
      expect(allotted.statusCode, allotted.body).toBe(200);
      const link = confirmLinkParams(allotted.json().confirm_url);
      const schedule = await demo.app.inject({
        method: 'POST',
        url: n8n('get-agregated-schedule-helpful-hand'),
        payload: confirmScheduleRequest(link.ticketId, link.utmPsy, categoryLabel(p.price), TODAY),
      });
      const offered = readConfirmSchedule(schedule.json(), demo.clock.now());
      expect(offered.length).toBeGreaterThan(10);
      const booked = await demo.app.inject({
        method: 'POST',
        url: n8n('helpful-hand-zayavka-new'),
        payload: confirmBookingBody(link.ticketId, link.utmPsy, categoryLabel(p.price), offered[0]!),
      });
      expect(booked.statusCode, booked.body).toBe(200);
    });
  });
});
