// The bot end to end: updates posted to the webhook route with the secret header, grammY answering
// button presses over real HTTP to a fake Bot API, every message the bot writes found in the outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, withTestApp, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { addSlots, createPsychologist, submitApplication } from '../support/fixtures.ts';
import {
  ADMIN_CHAT,
  adminChatMessage,
  botEnv,
  buttonPress,
  contactMessage,
  outboxTo,
  postUpdate,
  type TelegramPerson,
  textMessage,
} from '../support/telegram.ts';

let t: TestApp;
const fake = new FakeTelegram();
let psychologist: { id: string; name: string };
let slotIds: string[];

beforeAll(async () => {
  await fake.start();
  t = await createTestApp(botEnv(fake.url));
  psychologist = await createPsychologist(t, { name: 'Анна Ботова', telegram_id: '424242' });
  slotIds = (
    await addSlots(t, psychologist.id, [
      '09.12 10:00',
      '09.12 11:00',
      '09.12 12:00',
      '10.12 10:00',
      '10.12 11:00',
    ])
  ).map((s) => s.id);
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

let nextPerson = 9_100_000;
const person = (username?: string): TelegramPerson => ({
  id: nextPerson++,
  first_name: 'Вера',
  ...(username ? { username } : {}),
});

async function clientOfTicket(ticketId: string) {
  return t.deps.db
    .selectFrom('hraniteli_tickets as t')
    .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
    .select(['c.id', 'c.lead_number', 'c.telegram_id', 't.link_opened_at'])
    .where('t.ticket_id', '=', ticketId)
    .executeTakeFirstOrThrow();
}

async function book(leadNumber: string, ticketId: string, slotId: string) {
  const res = await t.admin({
    method: 'POST',
    url: '/admin/sessions',
    payload: { slot_id: slotId, lead_number: leadNumber, ticket_id: ticketId },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().session.id as string;
}

async function sessionStatus(id: string) {
  return await t.deps.db
    .selectFrom('hraniteli_sessions')
    .select(['status', 'cancellation_reason'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

/** What the bot answers a /start it may not show: the same for an unknown id, another's ticket, a claim. */
const PROVE_TICKET = 'Чтобы показать заявку, нам нужно убедиться, что она ваша';
const SHARE_CONTACT = { shareContact: 'Поделиться номером' };

/** A ticket submitted with this @username typed as its contact. */
const submittedBy = (username: string, extra: Record<string, unknown> = {}) =>
  submitApplication(t, { contact: { type: 'telegram', value: `@${username}` }, ...extra });

/** The callback data of the button with this text in the newest message to the chat. */
async function buttonData(chatId: number, text: string): Promise<string> {
  const rows = await outboxTo(t, chatId);
  for (const row of rows.reverse()) {
    // Inline keyboards are arrays of rows; a reply keyboard (share a contact, remove) has no callbacks.
    if (!Array.isArray(row.buttons)) continue;
    const buttons = row.buttons as { text: string; callback_data: string }[][];
    const button = buttons.flat().find((b) => b.text === text);
    if (button) return button.callback_data;
  }
  throw new Error(`no button "${text}" in chat ${chatId}`);
}

describe('the webhook', () => {
  it('refuses updates without the secret header, or with a wrong one, and processes nothing', async () => {
    const someone = person('no_secret_user');
    for (const secret of [null, 'wrong-secret']) {
      const res = await postUpdate(t, textMessage(someone, '/start'), secret);
      expect(res.statusCode).toBe(401);
    }
    expect(await outboxTo(t, someone.id)).toHaveLength(0);
    const clients = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select('id')
      .where('telegram_id', '=', String(someone.id))
      .execute();
    expect(clients).toHaveLength(0);
  });
});

describe('/start', () => {
  it('alone: registers the person once and greets them', async () => {
    const someone = person('fresh_start');
    expect((await postUpdate(t, textMessage(someone, '/start'))).statusCode).toBe(200);
    expect((await postUpdate(t, textMessage(someone, '/start'))).statusCode).toBe(200);
    const clients = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select(['lead_number', 'telegram_username'])
      .where('telegram_id', '=', String(someone.id))
      .execute();
    expect(clients).toHaveLength(1);
    expect(clients[0]!.telegram_username).toBe('fresh_start');
    const greetings = await outboxTo(t, someone.id);
    expect(greetings).toHaveLength(2);
    expect(greetings[0]!.text).toContain('Здравствуйте, Вера');
  });

  it('with a ticket id: ties the ticket to the account whose username it typed, welcomes the person, tells the operators once', async () => {
    const submitted = await submittedBy('deep_link');
    // Telegram shows the username as the person spelled it; the typed one matches it ignoring case.
    const someone = person('Deep_Link');
    const start = textMessage(someone, `/start ${submitted.ticket_id}`);
    expect((await postUpdate(t, start)).statusCode).toBe(200);
    // Telegram sends an update again when it missed our answer: nothing is written twice.
    expect((await postUpdate(t, start)).statusCode).toBe(200);
    await postUpdate(t, textMessage(someone, `/start ${submitted.ticket_id}`));

    const owner = await clientOfTicket(submitted.ticket_id);
    expect(owner.telegram_id).toBe(String(someone.id));
    expect(owner.link_opened_at).not.toBeNull();
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('linked_by')
      .where('ticket_id', '=', submitted.ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket.linked_by).toBe('username');
    const welcomes = await outboxTo(t, someone.id);
    expect(welcomes).toHaveLength(2);
    expect(welcomes[0]!.text).toContain(`по заявке ${submitted.ticket_id}`);
    const admin = (await outboxTo(t, ADMIN_CHAT)).filter((r) => r.text.includes('перешёл в бот'));
    expect(admin.map((r) => r.text)).toEqual([
      `Клиент ${owner.lead_number} перешёл в бот (заявка ${submitted.ticket_id}).`,
    ]);
  });

  it('with the web form’s own id: finds the first ticket submitted under it', async () => {
    const submitted = await submittedBy('form_owner', { ticket_id: 'kwqtt' });
    // Anyone can type the same form id into a later submission (even in the same instant): it takes
    // nothing over.
    const reused = await submittedBy('form_squatter', { ticket_id: 'kwqtt' });
    const squatter = person('form_squatter');
    await postUpdate(t, textMessage(squatter, '/start kwqtt'));
    expect((await clientOfTicket(reused.ticket_id)).telegram_id).toBeNull();
    expect((await clientOfTicket(submitted.ticket_id)).telegram_id).toBeNull();
    expect((await outboxTo(t, squatter.id)).map((r) => r.text)).toEqual([
      expect.stringContaining(PROVE_TICKET),
    ]);
    const someone = person('form_owner');
    await postUpdate(t, textMessage(someone, '/start kwqtt'));
    expect((await clientOfTicket(submitted.ticket_id)).telegram_id).toBe(String(someone.id));
    expect((await clientOfTicket(reused.ticket_id)).telegram_id).toBeNull();
  });

  it('by another account: the ticket stays where it is, the stranger sees nothing of it and is asked to prove it', async () => {
    const submitted = await submittedBy('owner_account', { request_text: 'личный запрос владельца' });
    const owner = person('owner_account');
    const stranger = person('stranger_account');
    await postUpdate(t, textMessage(owner, `/start ${submitted.ticket_id}`));
    await postUpdate(t, textMessage(stranger, `/start ${submitted.ticket_id}`));
    expect((await clientOfTicket(submitted.ticket_id)).telegram_id).toBe(String(owner.id));
    const told = await outboxTo(t, stranger.id);
    expect(told.map((r) => r.text)).toEqual([expect.stringContaining(PROVE_TICKET)]);
    expect(told[0]!.buttons).toEqual(SHARE_CONTACT);
    expect(told[0]!.text).not.toContain(submitted.ticket_id);
    expect(told[0]!.text).not.toContain('личный запрос владельца');
    expect(told[0]!.text).not.toContain('Мария');
    // Even an account that now shows the ticket's typed username takes nothing from the account that
    // holds it: a ticket linked to one account never moves to another.
    const later = person('owner_account');
    await postUpdate(t, textMessage(later, `/start ${submitted.ticket_id}`));
    expect((await clientOfTicket(submitted.ticket_id)).telegram_id).toBe(String(owner.id));
    expect((await outboxTo(t, later.id)).map((r) => r.text)).toEqual([expect.stringContaining(PROVE_TICKET)]);
  });

  it('of a ticket whose typed contact the account has not proven: shows nothing and links nothing', async () => {
    const submitted = await submittedBy('someone_else_typed', { request_text: 'чужой личный запрос' });
    const stranger = person('not_that_person');
    await postUpdate(t, textMessage(stranger, `/start ${submitted.ticket_id}`));
    expect((await clientOfTicket(submitted.ticket_id)).telegram_id).toBeNull();
    const told = await outboxTo(t, stranger.id);
    expect(told).toHaveLength(1);
    expect(told[0]!.text).toContain(PROVE_TICKET);
    expect(told[0]!.buttons).toEqual(SHARE_CONTACT);
    for (const secret of [submitted.ticket_id, 'чужой личный запрос', 'Мария'])
      expect(told[0]!.text).not.toContain(secret);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select(['link_opened_at', 'linked_by'])
      .where('ticket_id', '=', submitted.ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket).toEqual({ link_opened_at: null, linked_by: null });
  });

  it('of a ticket filed under a known person’s contact: only that ticket joins the account', async () => {
    // The known person: a phone, an earlier ticket, no Telegram account on record.
    const earlier = await submitApplication(t, {
      contact: { type: 'phone', value: '+7 900 555-77-77' },
      request_text: 'старая личная заявка',
    });
    const typedByOther = await submitApplication(t, {
      contact: { type: 'phone', value: '+7 900 555-77-77' },
    });
    const opener = person('phone_typist');
    await postUpdate(t, textMessage(opener, `/start ${typedByOther.ticket_id}`));
    // Typing the phone proves nothing: the bot asks for the number through Telegram's own button.
    expect((await clientOfTicket(typedByOther.ticket_id)).telegram_id).toBeNull();
    const asked = await outboxTo(t, opener.id);
    expect(asked.map((r) => r.text)).toEqual([expect.stringContaining(PROVE_TICKET)]);
    expect(asked[0]!.buttons).toEqual(SHARE_CONTACT);
    // Someone else's contact card proves nothing either.
    await postUpdate(t, contactMessage(opener, '+79005557777', opener.id + 1));
    expect((await clientOfTicket(typedByOther.ticket_id)).telegram_id).toBeNull();
    // The account shares its own number, the one the ticket typed: the ticket joins it.
    await postUpdate(t, contactMessage(opener, '79005557777'));

    const moved = await clientOfTicket(typedByOther.ticket_id);
    const known = await clientOfTicket(earlier.ticket_id);
    expect(moved.telegram_id).toBe(String(opener.id));
    expect(moved.id).not.toBe(known.id);
    expect(known.telegram_id).toBeNull();
    const welcome = await outboxTo(t, opener.id);
    expect(welcome.map((r) => r.text).join()).not.toContain('старая личная заявка');
    expect(welcome.some((r) => r.text.includes(`по заявке ${typedByOther.ticket_id}`))).toBe(true);
    expect(welcome.some((r) => r.text.includes(`по заявке ${earlier.ticket_id}`))).toBe(false);
    const linkedBy = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('linked_by')
      .where('ticket_id', '=', typedByOther.ticket_id)
      .executeTakeFirstOrThrow();
    expect(linkedBy.linked_by).toBe('phone');
  });

  it('with an unknown id answers as for a ticket it may not see, and an account that keeps guessing is stopped', async () => {
    const guesser = person('guessing_account');
    // Others' tickets, which this account cannot prove, count like ids that do not exist.
    const others = await Promise.all([1, 2, 3, 4, 5].map((i) => submittedBy(`guessed_owner${i}`)));
    for (let i = 0; i < 12; i++) {
      const ref =
        i % 2 === 1 && i < 10 ? others[(i - 1) / 2]!.ticket_id : `99999${String(i).padStart(2, '0')}`;
      await postUpdate(t, textMessage(guesser, `/start ${ref}`));
    }
    const answers = await outboxTo(t, guesser.id);
    expect(answers).toHaveLength(12);
    for (const answer of answers.slice(0, 10)) {
      expect(answer.text).toContain(PROVE_TICKET);
      expect(answer.buttons).toEqual(SHARE_CONTACT);
    }
    // The same answer whether the id exists or not.
    expect(new Set(answers.slice(0, 10).map((a) => a.text)).size).toBe(1);
    expect(answers.slice(10).every((a) => a.text.includes('Слишком много попыток'))).toBe(true);
    for (const other of others) expect((await clientOfTicket(other.ticket_id)).telegram_id).toBeNull();
  });
});

describe('session buttons', () => {
  async function bookedSession() {
    const username = `booked_${nextPerson}`;
    const submitted = await submittedBy(username);
    const someone = person(username);
    await postUpdate(t, textMessage(someone, `/start ${submitted.ticket_id}`));
    expect((await clientOfTicket(submitted.ticket_id)).telegram_id).toBe(String(someone.id));
    const slot = slotIds.shift()!;
    const sessionId = await book(submitted.lead_number, submitted.ticket_id, slot);
    return { someone, sessionId, submitted };
  }

  it('"Подтвердить" confirms through the client’s own command and clears the buttons', async () => {
    const { someone, sessionId } = await bookedSession();
    const data = await buttonData(someone.id, 'Подтвердить');
    const before = fake.calls.length;
    expect((await postUpdate(t, buttonPress(someone, data))).statusCode).toBe(200);
    expect((await sessionStatus(sessionId)).status).toBe('confirmed');
    const calls = fake.calls.slice(before);
    expect(calls.find((c) => c.method === 'answerCallbackQuery')?.body.text).toBe('Сессия подтверждена');
    expect(calls.some((c) => c.method === 'editMessageReplyMarkup')).toBe(true);
    const texts = (await outboxTo(t, someone.id)).map((r) => r.text);
    expect(texts.some((x) => x.startsWith('Спасибо, запись подтверждена'))).toBe(true);
  });

  it('"Отменить" asks for a reason, and the reason cancels with it', async () => {
    const { someone, sessionId } = await bookedSession();
    await postUpdate(t, buttonPress(someone, await buttonData(someone.id, 'Отменить')));
    expect((await sessionStatus(sessionId)).status).toBe('pending');
    await postUpdate(t, buttonPress(someone, await buttonData(someone.id, 'Не подходит время')));
    expect(await sessionStatus(sessionId)).toEqual({
      status: 'cancelled',
      cancellation_reason: 'не подходит время',
    });
  });

  it('"Перенести" offers the psychologist’s free times; a press moves the session there', async () => {
    const { someone, sessionId } = await bookedSession();
    await addSlots(t, psychologist.id, ['12.12 18:00']);
    await postUpdate(t, buttonPress(someone, await buttonData(someone.id, 'Перенести')));
    const offer = (await outboxTo(t, someone.id)).at(-1)!;
    expect(offer.text).toContain('Выберите новое время');
    const times = (offer.buttons as { text: string; callback_data: string }[][]).flat();
    const chosen = times.find((b) => b.text === '12.12 18:00')!;
    await postUpdate(t, buttonPress(someone, chosen.callback_data));
    const moved = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select(['start_at', 'status'])
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(moved.status).toBe('pending');
    const [date, time] = chosen.text.split(' ');
    const [day, month] = date!.split('.');
    expect(moved.start_at.toISOString()).toBe(
      new Date(`2026-${month}-${day}T${time}:00+03:00`).toISOString(),
    );
    // A stranger pressing the same time moves nothing of theirs, nor of this person.
    const stranger = person();
    await postUpdate(t, textMessage(stranger, '/start'));
    await postUpdate(t, buttonPress(stranger, times[0]!.callback_data));
    const still = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select('start_at')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(still.start_at.toISOString()).toBe(moved.start_at.toISOString());
  });

  it('a forged button, or another person’s, does nothing and says so', async () => {
    const { someone, sessionId } = await bookedSession();
    const data = await buttonData(someone.id, 'Отменить');
    const forged = data.replace('cancel', 'cxm');
    const stranger = person();
    await postUpdate(t, textMessage(stranger, '/start'));
    const before = fake.calls.length;
    await postUpdate(t, buttonPress(someone, forged));
    await postUpdate(t, buttonPress(stranger, data.replace('cancel', 'confirm').replace(/:[^:]+$/, ':x')));
    const realOfOther = await buttonData(someone.id, 'Подтвердить');
    await postUpdate(t, buttonPress(stranger, realOfOther));
    expect((await sessionStatus(sessionId)).status).toBe('pending');
    const notices = fake.calls
      .slice(before)
      .filter((c) => c.method === 'answerCallbackQuery')
      .map((c) => c.body.text);
    expect(notices).toEqual([
      expect.stringContaining('кнопка уже не действует'),
      expect.stringContaining('кнопка уже не действует'),
      expect.stringContaining('на другой аккаунт'),
    ]);
  });

  it('the feedback request’s 1–5 rate the session through rate-session; only its client can', async () => {
    const username = `rating_${nextPerson}`;
    const submitted = await submittedBy(username);
    const someone = person(username);
    await postUpdate(t, textMessage(someone, `/start ${submitted.ticket_id}`));
    const [slot] = await addSlots(t, psychologist.id, ['11.12 15:00']);
    const sessionId = await book(submitted.lead_number, submitted.ticket_id, slot!.id);
    await postUpdate(t, buttonPress(someone, await buttonData(someone.id, 'Подтвердить')));
    t.clock.advance(5 * 24 * 3_600_000);
    try {
      const run = await t.admin({ method: 'POST', url: '/admin/jobs/feedback-reminders/run' });
      expect(run.statusCode, run.body).toBe(200);
      const request = (await outboxTo(t, someone.id)).at(-1)!;
      expect(request.text).toContain('кнопкой ниже: 1 — совсем не помогла, 5 — очень помогла');
      const marks = (request.buttons as { text: string; callback_data: string }[][]).flat();
      expect(marks.map((b) => b.text)).toEqual(['1', '2', '3', '4', '5']);
      expect(marks.every((b) => Buffer.byteLength(b.callback_data) <= 64)).toBe(true);
      const rated = () =>
        t.deps.db
          .selectFrom('hraniteli_sessions')
          .select(['rating', 'rated_at'])
          .where('id', '=', sessionId)
          .executeTakeFirstOrThrow();
      const ratings = () =>
        t.deps.db
          .selectFrom('session_ratings')
          .select('rating')
          .where('session_id', '=', sessionId)
          .execute();

      // Another account's press, and a mark altered to another number, rate nothing.
      const stranger = person();
      await postUpdate(t, textMessage(stranger, '/start'));
      await postUpdate(t, buttonPress(stranger, marks[3]!.callback_data));
      await postUpdate(t, buttonPress(someone, marks[3]!.callback_data.replace('rate4', 'rate1')));
      expect((await rated()).rating).toBeNull();

      const before = fake.calls.length;
      expect((await postUpdate(t, buttonPress(someone, marks[3]!.callback_data))).statusCode).toBe(200);
      expect(await rated()).toMatchObject({ rating: 4, rated_at: expect.any(Date) });
      expect(await ratings()).toEqual([{ rating: 4 }]);
      const calls = fake.calls.slice(before);
      expect(calls.find((c) => c.method === 'answerCallbackQuery')?.body.text).toBe('Спасибо за оценку');
      expect(calls.some((c) => c.method === 'editMessageReplyMarkup')).toBe(true);

      // A low mark reaches the operators, as the rate-session command does for every door.
      await postUpdate(t, buttonPress(someone, marks[1]!.callback_data));
      expect((await rated()).rating).toBe(2);
      const alerts = (await outboxTo(t, ADMIN_CHAT)).filter(
        (r) => r.dedupe_key === `low-rating:${sessionId}`,
      );
      expect(alerts.map((r) => r.text)).toEqual([
        `Низкая оценка 2/5: ${submitted.lead_number}, психолог Анна Ботова.`,
      ]);
    } finally {
      t.clock.advance(-5 * 24 * 3_600_000);
    }
  });

  it('the psychologist marks attendance; nobody else can', async () => {
    const { sessionId } = await bookedSession();
    await t.deps.db
      .updateTable('hraniteli_sessions')
      .set({ status: 'confirmed' })
      .where('id', '=', sessionId)
      .execute();
    t.clock.advance(3 * 24 * 3_600_000);
    const held = t.deps.callbacks.pack({ action: 'held', sessionId });
    await postUpdate(t, buttonPress(person(), held));
    expect((await sessionStatus(sessionId)).status).toBe('confirmed');
    await postUpdate(t, buttonPress({ id: 424242, first_name: 'Анна' }, held));
    expect((await sessionStatus(sessionId)).status).toBe('completed');
    t.clock.advance(-3 * 24 * 3_600_000);
  });
});

describe('the relay between a client and the operators', () => {
  it('a client’s text goes to the admin chat under the lead code; the client is told', async () => {
    const someone = person('relay_user');
    await postUpdate(t, textMessage(someone, 'Мне тревожно, можно поговорить?'));
    const lead = (
      await t.deps.db
        .selectFrom('hraniteli_clients')
        .select('lead_number')
        .where('telegram_id', '=', String(someone.id))
        .executeTakeFirstOrThrow()
    ).lead_number;
    const admin = (await outboxTo(t, ADMIN_CHAT)).map((r) => r.text);
    expect(admin).toContain(`${lead} (Вера, @relay_user):\n┃ Мне тревожно, можно поговорить?`);
    expect((await outboxTo(t, someone.id)).map((r) => r.text)).toEqual([
      expect.stringContaining('передали администратору'),
    ]);
  });

  it('"br0722: текст" in the admin chat, and a reply to a relayed message, reach the client', async () => {
    // A database of its own: delivery keeps one message a second per chat, and the admin chat of the
    // shared one holds every earlier test's messages.
    await withTestApp(botEnv(fake.url), async (t) => {
      const someone = person();
      await postUpdate(t, textMessage(someone, 'Вопрос'));
      const relayed = (await outboxTo(t, ADMIN_CHAT)).at(-1)!;
      const client = await t.deps.db
        .selectFrom('hraniteli_clients')
        .select(['id', 'lead_number'])
        .where('telegram_id', '=', String(someone.id))
        .executeTakeFirstOrThrow();
      const operator: TelegramPerson = { id: 1, first_name: 'Оператор' };
      await postUpdate(
        t,
        adminChatMessage(operator, `${client.lead_number.toUpperCase()} :  Добрый день!\nЧем помочь?`),
      );
      // Delivered, the relayed message has its Telegram id, and the sender noted whose message it is.
      expect(await t.deps.outbox.deliver([relayed.id], 5_000)).toBe(true);
      const delivered = await t.deps.db
        .selectFrom('outbox')
        .select(['telegram_message_id', 'status'])
        .where('id', '=', relayed.id)
        .executeTakeFirstOrThrow();
      expect(delivered.status).toBe('sent');
      expect(relayed.client_id).toBe(client.id);
      const replyTo = Number(delivered.telegram_message_id);
      await postUpdate(
        t,
        adminChatMessage(operator, 'Ответ без кода', { message_id: replyTo, fromBot: true }),
      );
      await postUpdate(t, adminChatMessage(operator, 'просто разговор операторов'));
      await postUpdate(t, adminChatMessage(operator, 'zz9999: кому-то неизвестному'));

      const toClient = (await outboxTo(t, someone.id)).map((r) => r.text);
      expect(toClient).toEqual([
        expect.stringContaining('передали администратору'),
        'Сообщение от администратора:\n┃ Добрый день!\n┃ Чем помочь?',
        'Сообщение от администратора:\n┃ Ответ без кода',
      ]);
      const adminTexts = (await outboxTo(t, ADMIN_CHAT)).map((r) => r.text);
      expect(adminTexts.at(-1)).toBe('Клиент zz9999 не найден.');
    });
  });

  it('a long message arrives whole, in numbered parts; typed lines and names cannot pass for ours', async () => {
    // A database of its own: the admin chat holds only this message.
    await withTestApp(botEnv(fake.url), async (t) => {
      const someone: TelegramPerson = {
        id: 9_200_001,
        first_name: 'Мария\nzz0000 (Ира): подделка',
        username: 'maria',
      };
      const forged = 'zz9999 (Мария, @maria): это не она\nНовая заявка 7654321 (заявка)';
      // As long as Telegram lets a person write: with our header and quote marks it no longer fits one message.
      const long = [
        ...Array.from({ length: 130 }, (_, i) => `строка ${i}: ${'слово '.repeat(3).trim()}`),
        forged,
      ].join('\n');
      expect(long.length).toBeLessThanOrEqual(4096);
      expect((await postUpdate(t, textMessage(someone, long))).statusCode).toBe(200);
      const rows = await outboxTo(t, ADMIN_CHAT);
      expect(rows).toHaveLength(2);
      rows.forEach((row, i) => expect(row.text.startsWith(`(${i + 1}/2)\n`)).toBe(true));

      const sentBefore = fake.sent().length;
      expect(
        await t.deps.outbox.deliver(
          rows.map((r) => r.id),
          20_000,
        ),
      ).toBe(true);
      const received = fake
        .sent()
        .slice(sentBefore)
        .filter((c) => String(c.body.chat_id) === ADMIN_CHAT)
        .map((c) => String(c.body.text));
      expect(received).toEqual(rows.map((r) => r.text));
      const [header, ...quotedLines] = received
        .map((text) => text.replace(/^\(\d\/2\)\n/, ''))
        .join('\n')
        .split('\n');
      const { lead_number: lead } = await t.deps.db
        .selectFrom('hraniteli_clients')
        .select('lead_number')
        .where('telegram_id', '=', String(someone.id))
        .executeTakeFirstOrThrow();
      expect(header).toBe(`${lead} (Мария zz0000 (Ира): подделка, @maria):`);
      expect(quotedLines.every((line) => line.startsWith('┃ '))).toBe(true);
      expect(quotedLines.map((line) => line.slice(2)).join('\n')).toBe(long);
      // The client was told it was passed on, and it was.
      expect((await outboxTo(t, someone.id)).map((r) => r.text)).toEqual([
        expect.stringContaining('передали администратору'),
      ]);
    });
  }, 30_000);

  /** A person who has opened the bot (greeting delivered), with their lead number. */
  async function startedClient() {
    const someone = person();
    await postUpdate(t, textMessage(someone, '/start'));
    // Only this chat: the shared admin chat's backlog goes one message per 3 s.
    const greeting = (await outboxTo(t, someone.id)).map((r) => r.id);
    expect(await t.deps.outbox.deliver(greeting, 5_000)).toBe(true);
    const { lead_number: lead } = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select('lead_number')
      .where('telegram_id', '=', String(someone.id))
      .executeTakeFirstOrThrow();
    return { someone, lead };
  }

  it('send_admin_message_to_user is tried at once: delivered true when Telegram took it', async () => {
    const { someone, lead } = await startedClient();
    // The greeting went a moment ago: the chat's one-message-a-second pause is waited out within 3 s.
    const res = await t.admin({
      method: 'POST',
      url: '/send_admin_message_to_user',
      payload: { command: `${lead}: Здравствуйте, это администратор` },
    });
    expect(res.json()).toEqual({ success: true, delivered: true });
    const sent = fake.sent().filter((c) => String(c.body.chat_id) === String(someone.id));
    expect(sent.map((c) => c.body.text)).toContain(
      'Сообщение от администратора:\n┃ Здравствуйте, это администратор',
    );
  });

  it('send_admin_message_to_user retried with its Idempotency-Key: one message, the same answer', async () => {
    const { someone, lead } = await startedClient();
    const send = (key: string) =>
      t.admin({
        method: 'POST',
        url: '/send_admin_message_to_user',
        headers: { 'idempotency-key': key },
        payload: { command: `${lead}: Напоминаем о встрече` },
      });
    const answers = [await send('op-msg-1'), await send('op-msg-1')];
    expect(answers.map((a) => a.json())).toEqual([
      { success: true, delivered: true },
      { success: true, delivered: true },
    ]);
    const delivered = () =>
      fake
        .sent()
        .filter((c) => String(c.body.chat_id) === String(someone.id))
        .filter((c) => c.body.text === 'Сообщение от администратора:\n┃ Напоминаем о встрече');
    expect(delivered()).toHaveLength(1);
    // Another key is another message.
    expect((await send('op-msg-2')).json()).toEqual({ success: true, delivered: true });
    expect(delivered()).toHaveLength(2);
    expect((await send('')).statusCode).toBe(400);
  });
});

describe('/code and /schedule', () => {
  it('/code sends a login code that verify-code turns into a whole-client token', async () => {
    const someone = person();
    await postUpdate(t, textMessage(someone, '/code'));
    const message = (await outboxTo(t, someone.id)).at(-1)!;
    const code = /(\d{6})/.exec(message.text)![1]!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/verify-code',
      payload: { telegram_id: String(someone.id), code },
    });
    expect(res.json()).toMatchObject({ success: true, verified: true, token: expect.any(String) });
  });

  it('/schedule sends a psychologist their four weekly schedule messages', async () => {
    const psy: TelegramPerson = { id: 424242, first_name: 'Анна' };
    await postUpdate(t, textMessage(psy, '/schedule'));
    const texts = (await outboxTo(t, psy.id)).map((r) => r.text).filter((x) => x.startsWith('Расписание'));
    expect(texts).toHaveLength(4);
    expect(texts[0]).toMatch(/^Расписание на первую неделю \(07\.12-13\.12\)\n\n🟩 Свободно:\n\n/);
    expect(texts[0]).toContain('09.12 Ср: ');
  });
});
