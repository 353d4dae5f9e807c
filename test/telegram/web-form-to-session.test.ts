// The whole way a person goes with buttons only: the web form books a time and shows the bot link with
// its own form id; the person opens it, sees the booked time with «Подтвердить», presses it, and the
// session is confirmed. The operators' ticket view shows what the form recorded.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { addSlots, createPsychologist } from '../support/fixtures.ts';
import { botEnv, buttonPress, outboxTo, postUpdate, textMessage } from '../support/telegram.ts';
import { applicationBody, browser, n8n, type Person } from '../support/web-form.ts';

let t: TestApp;
const fake = new FakeTelegram();

beforeAll(async () => {
  await fake.start();
  t = await createTestApp(botEnv(fake.url));
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

const person: Person = {
  ticketId: 'wq7zz',
  name: 'Полина',
  age: '29',
  gender: 'female',
  genderPsychologist: 'other',
  request: 'Тревога по ночам',
  conditions: [],
  traumatic: [],
  diagnosis: 'nothing',
  contactType: 'Telegram',
  contact: '@polina_form',
  promocode: '',
};

it('a web-form booking, opened in the bot and confirmed by a button', async () => {
  const psychologist = await createPsychologist(t, { name: 'Мира Кнопкина' });
  await addSlots(t, psychologist.id, ['08.12 10:00']);
  await browser(t, 'PUT', n8n('step-analytics'), {
    ticketID: person.ticketId,
    field: 'client_name',
    value: person.name,
  });
  const submitted = await browser(
    t,
    'POST',
    n8n('tilda-zayavka'),
    applicationBody(person, psychologist.name, '08.12 10:00', [psychologist.name]),
  );
  expect(submitted.statusCode, submitted.body).toBe(200);
  expect(submitted.json()).toMatchObject({ booked: true });

  const someone = { id: 6_600_001, first_name: 'Полина', username: 'polina_form' };
  await postUpdate(t, textMessage(someone, `/start ${person.ticketId}`));
  const welcome = (await outboxTo(t, someone.id)).at(-1)!;
  expect(welcome.text).toContain('Вы записаны на сессию');
  expect(welcome.text).toContain('08.12 в 10:00 (по Москве)');
  const confirm = (welcome.buttons as { text: string; callback_data: string }[][])
    .flat()
    .find((b) => b.text === 'Подтвердить')!;
  await postUpdate(t, buttonPress(someone, confirm.callback_data));

  const ticketId = submitted.json().ticket_id as string;
  const session = await t.deps.db
    .selectFrom('hraniteli_sessions')
    .select('status')
    .where('ticket_id', '=', ticketId)
    .executeTakeFirstOrThrow();
  expect(session.status).toBe('confirmed');

  const view = await t.admin({ url: `/admin/tickets/${ticketId}` });
  expect(view.statusCode, view.body).toBe(200);
  expect(view.json().form.step_answers).toEqual([
    expect.objectContaining({ field: 'client_name', value: person.name }),
  ]);
  expect(view.json().sessions[0].status).toBe('confirmed');
});
