// Replays of the public front end's request sequences (spec/web-form.md B): the research → application
// flow, the application flow and the psychologist-card flow, in the order, hosts and shapes the
// front end uses them. Each ends with what operators rely on: the ticket under the form's id, its
// booked session, its tracking history and (research) its linked row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { addSlots, createPsychologist, type PsychologistFixture } from '../support/fixtures.ts';
import {
  APPLICATION_STEPS,
  applicationBody,
  browser,
  n8n,
  ok,
  readSchedule,
  RESEARCH_STEPS,
  researchBody,
  scheduleRequest,
  slotString,
  stepAnswer,
  type Person,
} from '../support/web-form.ts';

let t: TestApp;
let irina: PsychologistFixture; // female, psychiatric illness, most owed
let elena: PsychologistFixture; // female
let oleg: PsychologistFixture; // male
const TODAY = '2026-12-07';

beforeAll(async () => {
  t = await createTestApp();
  irina = await createPsychologist(t, {
    name: 'Ирина Полётова',
    sex: 'female',
    min_price: 2500,
    max_price: 3500,
    debt: 9,
    works_with: ['Взрослые', 'Есть диагностированное психиатрическое заболевание (ПРЛ, БАР, ПТСР и др)'],
    main_modal: 'КПТ',
    experience: '3 года',
  });
  elena = await createPsychologist(t, {
    name: 'Елена Рощина',
    sex: 'female',
    debt: 4,
    main_modal: 'Гештальт',
  });
  oleg = await createPsychologist(t, { name: 'Олег Мартынов', sex: 'male', debt: 7 });
  await addSlots(t, irina.id, ['08.12 10:00', '08.12 14:00', '09.12 11:00']);
  await addSlots(t, elena.id, ['08.12 10:00', '10.12 18:00']);
  await addSlots(t, oleg.id, ['08.12 10:00', '08.12 12:00']);
});
afterAll(async () => t.close());

/** The stages of a form: one update-tracking-step on mount, step-analytics on submit (B.5, B.8). */
async function walkSteps(p: Person, steps: readonly string[]) {
  for (const step of steps) {
    await ok(browser(t, 'PUT', n8n('update-tracking-step'), { step, ticket_id: p.ticketId }));
    const answer = stepAnswer(p, step);
    if (answer)
      await ok(
        browser(t, 'PUT', n8n('step-analytics'), {
          ticketID: p.ticketId,
          field: answer[0],
          value: answer[1],
        }),
      );
  }
}

/** GET {cache}/cards, as the form flows and the catalog read it. */
async function cards(): Promise<{ name: string; id: string }[]> {
  const res = await ok(browser(t, 'GET', '/cards'));
  return res.json();
}

async function ticketOf(formId: string) {
  return t.deps.db.selectFrom('hraniteli_tickets').selectAll().where('form_ticket_id', '=', formId).execute();
}

async function trackingOf(formId: string) {
  return t.deps.db
    .selectFrom('form_tracking as f')
    .innerJoin('form_tracking_steps as s', 's.tracking_id', 'f.id')
    .select(['f.form_type', 'f.current_step', 'f.offered_psychologists', 's.step'])
    .where('f.ticket_id', '=', formId)
    .orderBy('s.id')
    .execute();
}

async function sessionOf(ticketId: string) {
  return t.deps.db
    .selectFrom('hraniteli_sessions as s')
    .innerJoin('hraniteli_psychologists as p', 'p.id', 's.psychologist_id')
    .select(['s.status', 's.kind', 's.start_at', 'p.name', 's.slot_id'])
    .where('s.ticket_id', '=', ticketId)
    .execute();
}

describe('the application flow (/application_form)', () => {
  const person: Person = {
    ticketId: 'kwqtt',
    name: 'Алина',
    age: '27',
    gender: 'female',
    genderPsychologist: 'female',
    request: 'Тревога перед защитой диплома',
    conditions: ['Состояние ужаса, панические атаки'],
    traumatic: ['Ничего из вышеперечисленного'],
    diagnosis: 'diseases2',
    medications: 'yes',
    contactType: 'Telegram',
    contact: '@alina_form',
    promocode: '"ВЕСНА"',
  };

  it('books the chosen slot and keeps everything under the form id', async () => {
    const p = person;
    await ok(
      browser(t, 'POST', n8n('init-form-tracking'), {
        ticket_id: p.ticketId,
        form_type: 'Заявка на подбор психолога',
        step: 'Начало',
      }),
    );
    await ok(
      browser(t, 'PUT', n8n('step-analytics'), { ticketID: p.ticketId, field: 'client_name', value: p.name }),
    );
    await walkSteps(p, APPLICATION_STEPS);
    // The schedule is asked with the stale diagnoses ([]) — the illness filter cannot apply yet.
    const schedule = await ok(
      browser(t, 'POST', n8n('get-agregated-schedule-v2'), scheduleRequest(p, TODAY)),
    );
    const shown = readSchedule(schedule.json(), await cards());
    expect(shown.map((s) => s.name)).toEqual([irina.name, elena.name]);
    await walkSteps(p, ['Слоты']);
    const [day, times] = Object.entries(shown[0]!.schedule)[0]!;
    expect(day).toBe('08.12');
    const slot = times['10:00']!;
    const slotText = slotString(slot);
    expect(slotText).toBe('08.12 10:00');
    await walkSteps(p, ['Промокод', 'Контакты клиента']);
    const submitted = await browser(
      t,
      'POST',
      n8n('tilda-zayavka'),
      applicationBody(
        p,
        irina.name,
        slotText,
        shown.map((s) => s.name),
      ),
    );
    expect(submitted.statusCode).toBe(200);
    await walkSteps(p, ['Заявка отправлена']);

    const answer = submitted.json();
    expect(answer).toMatchObject({ success: true, form_ticket_id: 'kwqtt', booked: true });
    expect(answer.session).toMatchObject({ date: '08.12', time: '10:00', psychologist: irina.name });
    const [ticket, ...others] = await ticketOf('kwqtt');
    expect(others).toHaveLength(0);
    expect(ticket).toMatchObject({ ticket_id: answer.ticket_id, type: 'application', status: 'booked' });
    expect(ticket!.promocode).toBe('ВЕСНА');
    expect(ticket!.request_text).toBe(p.request);
    expect(ticket!.preferences).toMatchObject({
      gender: 'female',
      client_states: p.conditions,
      // The diagnosis came only through step-analytics.
      diagnoses: ['Есть диагностированное психиатрическое заболевание', 'Принимает медикаменты'],
      psychiatric_diagnosis: true,
      medications: 'yes',
    });
    const [session] = await sessionOf(ticket!.ticket_id);
    expect(session).toMatchObject({ status: 'pending', kind: 'regular', name: irina.name, slot_id: slot.id });
    expect(session!.start_at.toISOString()).toBe('2026-12-08T07:00:00.000Z');
    const steps = await trackingOf('kwqtt');
    expect(steps.map((s) => s.step)).toEqual([
      'Начало',
      ...APPLICATION_STEPS,
      'Слоты',
      'Промокод',
      'Контакты клиента',
      'Заявка отправлена',
    ]);
    expect(steps[0]).toMatchObject({
      form_type: 'Заявка на подбор психолога',
      current_step: 'Заявка отправлена',
      offered_psychologists: [irina.name, elena.name],
    });
    // The deep link the final screen shows (t.me/...?start=kwqtt) finds this ticket.
    const info = await t.app.inject({ url: '/get-ticket-info?ticket_id=kwqtt' });
    expect(info.json().ticket).toMatchObject({
      id: ticket!.ticket_id,
      status: 'booked',
      psychologist_name: irina.name,
    });
  });

  it('a retry after a failed answer (same ticket_id) answers the first result and writes nothing', async () => {
    const before = await ticketOf('kwqtt');
    const again = await browser(
      t,
      'POST',
      n8n('tilda-zayavka'),
      applicationBody(person, elena.name, '10.12 18:00', [elena.name]),
    );
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ ticket_id: before[0]!.ticket_id, booked: true, client_token: null });
    expect(await ticketOf('kwqtt')).toHaveLength(1);
    const elenaSlot = await t.deps.db
      .selectFrom('hraniteli_slots')
      .select('state')
      .where('psychologist_id', '=', elena.id)
      .where('start_at', '=', new Date('2026-12-10T15:00:00Z'))
      .executeTakeFirstOrThrow();
    expect(elenaSlot.state).toBe('free');
  });
});

describe('the research → application flow (/research_form, then /application_form?research=true)', () => {
  const person: Person = {
    ticketId: 'r8x2kq',
    name: 'Денис',
    age: '34',
    gender: 'male',
    genderPsychologist: 'other',
    request: 'Выгорание на работе',
    conditions: ['Ничего из вышеперечисленного'],
    traumatic: ['Ничего из вышеперечисленного'],
    diagnosis: 'nothing',
    contactType: 'VK',
    contact: 'https://vk.com/denis_research',
    promocode: 'Клиент перешёл из исследовательской анкеты',
    research: {
      city: 'Казань',
      education: 'Нет',
      experience: 'earlier',
      meetType: 'Онлайн',
      criteria: 'Через сервис, который сам подбирает подходящего специалиста',
      price: 'Меньше 3000 руб.',
      duration: 'До года',
      reason: 'Дорого',
      occupation: 'Постоянная работа в найме',
    },
  };

  it('links the research row to the application, its client and ticket', async () => {
    const p = person;
    const client = { ip: '198.51.100.20', userAgent: 'Mozilla/5.0 (Denis)' };
    await ok(
      browser(
        t,
        'POST',
        n8n('init-form-tracking'),
        { ticket_id: p.ticketId, form_type: 'Исследовательская анкета', step: 'Начало' },
        client,
      ),
    );
    await walkSteps(p, RESEARCH_STEPS);
    const posted = await ok(browser(t, 'POST', n8n('research-tilda-zayavka'), researchBody(p), client));
    const row = await ok(browser(t, 'GET', n8n('get-sheets-row-number'), undefined, client));
    const { rowId: rid, baserowId: bid } = row.json();
    expect(rid).toBe(posted.json().rowId);
    expect(bid).toBe(posted.json().baserowId);
    // router.push keeps the redux store: no second init, the steps go on under the same ticket id.
    await walkSteps(p, APPLICATION_STEPS);
    const schedule = await ok(
      browser(t, 'POST', n8n('get-agregated-schedule-v2'), scheduleRequest(p, TODAY), client),
    );
    const shown = readSchedule(schedule.json(), await cards());
    const oleg12 = shown.find((s) => s.name === oleg.name)!.schedule['08.12']!['12:00']!;
    await walkSteps(p, ['Слоты', 'Контакты клиента']);
    const submitted = await browser(
      t,
      'POST',
      n8n('tilda-zayavka'),
      applicationBody(
        p,
        oleg.name,
        slotString(oleg12),
        shown.map((s) => s.name),
        { rid, bid },
      ),
      client,
    );
    expect(submitted.statusCode).toBe(200);
    const contacts = await browser(
      t,
      'PUT',
      n8n('update-contacts-stb'),
      {
        rid,
        bid,
        contact: p.contact,
        contactType: p.contactType,
        name: p.name,
        age: p.age,
        formPsyClientInfo: applicationBody(p, null, null, []).formPsyClientInfo,
      },
      client,
    );
    expect(contacts.statusCode).toBe(200);
    await walkSteps(p, ['Заявка отправлена']);

    const [ticket] = await ticketOf(p.ticketId);
    expect(ticket).toMatchObject({
      status: 'booked',
      promocode: 'Клиент перешёл из исследовательской анкеты',
    });
    const [session] = await sessionOf(ticket!.ticket_id);
    expect(session).toMatchObject({ status: 'pending', name: oleg.name });
    const steps = await trackingOf(p.ticketId);
    expect(new Set(steps.map((s) => s.form_type))).toEqual(new Set(['Исследовательская анкета']));
    expect(steps.map((s) => s.step)).toEqual([
      'Начало',
      ...RESEARCH_STEPS,
      ...APPLICATION_STEPS,
      'Слоты',
      'Контакты клиента',
      'Заявка отправлена',
    ]);
    const research = await t.deps.db
      .selectFrom('research_responses')
      .selectAll()
      .where('row_number', '=', rid)
      .executeTakeFirstOrThrow();
    expect(research).toMatchObject({ id: bid, client_id: ticket!.client_id, ticket_id: ticket!.ticket_id });
    expect(research).toMatchObject({ contact: p.contact, contact_type: 'VK', name: 'Денис', age: '34' });
    expect(research.payload).toMatchObject({ city: 'Казань', selectionСriteria: p.research!.criteria });
  });
});

describe('the psychologist-card flow (catalog, then the card modal)', () => {
  const person: Person = {
    ticketId: 'cd_9cnzeq',
    name: '',
    age: '41',
    gender: 'female',
    genderPsychologist: 'other',
    request: 'Отношения с дочерью',
    conditions: ['Ничего из вышеперечисленного'],
    traumatic: ['Утрата близкого'],
    diagnosis: 'nothing',
    contactType: 'Max',
    contact: 'olga.max.nick',
    promocode: '""',
  };

  it('books the card psychologist’s slot from the card schedule', async () => {
    const p = person;
    // The catalog page: cards, education, the whole schedule at offset 0.
    const catalog = await cards();
    await ok(browser(t, 'GET', '/edu-keys-pipeline-batch?batch_size=1000&use_cache=true'));
    const whole = await ok(browser(t, 'POST', '/convert-schedule-timezone/0', scheduleRequest(p, TODAY)));
    expect(readSchedule(whole.json(), catalog).map((s) => s.name)).toContain(elena.name);

    await ok(
      browser(t, 'POST', n8n('init-form-tracking'), {
        ticket_id: p.ticketId,
        form_type: 'Заявка из карточки психолога',
        step: 'Начало',
      }),
    );
    await ok(
      browser(t, 'PUT', n8n('step-analytics'), { ticketID: p.ticketId, field: 'client_name', value: '' }),
    );
    await walkSteps(p, APPLICATION_STEPS);
    const schedule = await ok(
      browser(
        t,
        'POST',
        n8n('get-agregated-schedule-cards'),
        scheduleRequest(p, TODAY, { show_only_psy: elena.name }),
      ),
    );
    const shown = readSchedule(schedule.json(), catalog);
    expect(shown.map((s) => s.name)).toEqual([elena.name]);
    const slot = shown[0]!.schedule['10.12']!['18:00']!;
    await walkSteps(p, ['Слоты', 'Промокод', 'Контакты клиента']);
    const submitted = await browser(
      t,
      'POST',
      n8n('tilda-zayavka'),
      applicationBody(p, elena.name, slotString(slot), [elena.name]),
    );
    expect(submitted.statusCode).toBe(200);
    await walkSteps(p, ['Заявка отправлена']);

    const [ticket] = await ticketOf('cd_9cnzeq');
    expect(ticket).toMatchObject({ status: 'booked', promocode: null });
    expect(ticket!.typed_contact).toMatchObject({ type: 'max', value: 'olga.max.nick', name: null });
    const [session] = await sessionOf(ticket!.ticket_id);
    expect(session).toMatchObject({ status: 'pending', name: elena.name, slot_id: slot.id });
    const steps = await trackingOf('cd_9cnzeq');
    expect(steps[0]).toMatchObject({
      form_type: 'Заявка из карточки психолога',
      current_step: 'Заявка отправлена',
    });
    expect(steps.map((s) => s.step)).toContain('Заявка отправлена');
    const answers = await t.deps.db
      .selectFrom('form_step_answers')
      .select(['field', 'value'])
      .where('form_ticket_id', '=', 'cd_9cnzeq')
      .execute();
    expect(answers).toContainEqual({ field: 'client_name', value: '' });
  });
});
