// Identity by proof (SPEC §3 "Identity: proofs and claims"), attacked from outside: a guessed id in a bot
// link, a victim's phone or @username typed into a form, a reused form id, a typed numeric Telegram id —
// none of them opens a person's data; and the honest paths (the same @username, a phone shared with
// Telegram's button, an e-mail left to the operators) stay one tap. Updates go through the webhook route
// with the secret header; every message is read from the outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { FakeTelegram } from '../support/fake-telegram.ts';
import { addSlots, bearer, createPsychologist, submitApplication } from '../support/fixtures.ts';
import {
  ADMIN_CHAT,
  botEnv,
  contactMessage,
  lastCode,
  outboxTo,
  postUpdate,
  type TelegramPerson,
  textMessage,
  verifyCode,
} from '../support/telegram.ts';

let t: TestApp;
const fake = new FakeTelegram();
let psychologist: { id: string; name: string };
let freeSlots: string[];

beforeAll(async () => {
  await fake.start();
  t = await createTestApp(botEnv(fake.url));
  psychologist = await createPsychologist(t, { name: 'Ольга Доверова' });
  freeSlots = (
    await addSlots(t, psychologist.id, [
      '09.12 10:00',
      '09.12 11:00',
      '09.12 12:00',
      '09.12 13:00',
      '09.12 14:00',
      '09.12 15:00',
      '09.12 16:00',
      '09.12 17:00',
    ])
  ).map((s) => s.id);
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

let nextAccount = 7_300_000;
const account = (username?: string): TelegramPerson => ({
  id: nextAccount++,
  first_name: 'Аккаунт',
  ...(username ? { username } : {}),
});
const slot = () => freeSlots.shift()!;

/** A person's application with the health answers the attacks are after. */
const sensitive = (contact: { type: string; value: string }, extra: Record<string, unknown> = {}) => ({
  name: 'Вероника Жертвова',
  age: 31,
  contact,
  request_text: 'панические атаки, психиатр, сертралин 100 мг',
  ...extra,
});

async function book(leadNumber: string, ticketId: string) {
  const res = await t.admin({
    method: 'POST',
    url: '/admin/sessions',
    payload: { slot_id: slot(), lead_number: leadNumber, ticket_id: ticketId },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().session as { id: string; meeting_link: string | null };
}

/** The seed's booking that names only a lead number (no ticket): which ticket it booked. */
async function bookedTicketOfLead(leadNumber: string): Promise<string> {
  const res = await t.admin({
    method: 'POST',
    url: '/process-diagnostic-session-request',
    payload: {
      client_id: leadNumber,
      psychologist_id: psychologist.id,
      slot_id: slot(),
      payment_info: { amount: 0, status: 'pending' },
    },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().ticket_id as string;
}

async function recordOf(ticketId: string) {
  return t.deps.db
    .selectFrom('hraniteli_tickets as t')
    .innerJoin('hraniteli_clients as c', 'c.id', 't.client_id')
    .select([
      'c.id',
      'c.lead_number',
      'c.telegram_id',
      'c.telegram_username',
      't.link_opened_at',
      't.linked_by',
    ])
    .where('t.ticket_id', '=', ticketId)
    .executeTakeFirstOrThrow();
}

/** Everything the bot wrote to one chat, as one string (texts and buttons). */
async function seenBy(chat: TelegramPerson): Promise<string> {
  const rows = await outboxTo(t, chat.id);
  return rows.map((r) => `${r.text}\n${JSON.stringify(r.buttons)}`).join('\n');
}

const start = (who: TelegramPerson, ref: string) => postUpdate(t, textMessage(who, `/start ${ref}`));

const shareContact = (from: TelegramPerson, phone: string, userId: number = from.id) =>
  postUpdate(t, contactMessage(from, phone, userId));

async function loginToken(who: TelegramPerson, address: string): Promise<string> {
  await postUpdate(t, textMessage(who, '/code'));
  const res = await verifyCode(t, String(who.id), await lastCode(t, who.id), address);
  expect(res.json(), res.body).toMatchObject({ verified: true });
  return res.json().token as string;
}

function expectNothingOfTheTicket(seen: string, ticketId: string, extra: string[] = []) {
  for (const secret of [ticketId, 'Жертвова', 'сертралин', psychologist.name, 'callback_data', ...extra])
    expect(seen).not.toContain(secret);
  expect(seen).toContain('нам нужно убедиться, что она ваша');
}

describe('a guessed id in a bot link opens nothing', () => {
  it('a stranger’s /start with the form id or the ticket id shows nothing and links nothing; the owner’s username does', async () => {
    const victim = await submitApplication(
      t,
      sensitive({ type: 'telegram', value: '@veronika_real' }, { ticket_id: 'f127m' }),
    );
    const session = await book(victim.lead_number, victim.ticket_id);
    const stranger = account('stranger_one');
    await start(stranger, 'f127m');
    await start(stranger, victim.ticket_id);
    expectNothingOfTheTicket(await seenBy(stranger), victim.ticket_id, [
      session.meeting_link ?? 'meet.jit.si',
    ]);
    expect((await recordOf(victim.ticket_id)).telegram_id).toBeNull();

    // The stranger's own login reads nothing of the victim.
    const token = await loginToken(stranger, '10.17.0.1');
    const read = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${victim.ticket_id}`,
      headers: bearer(token),
    });
    expect(read.statusCode).toBe(403);
    expect(read.body).not.toContain('Жертвова');

    // The real person opens it from the account they typed: linked at once, welcomed with the session.
    const owner = account('Veronika_Real');
    await start(owner, 'f127m');
    const linked = await recordOf(victim.ticket_id);
    expect(linked).toMatchObject({ telegram_id: String(owner.id), linked_by: 'username' });
    expect(linked.link_opened_at).not.toBeNull();
    const welcome = await seenBy(owner);
    expect(welcome).toContain(victim.ticket_id);
    expect(welcome).toContain(psychologist.name);
    expect(welcome).toContain('callback_data');
    // Once proven, nobody else's /start moves it.
    await start(stranger, victim.ticket_id);
    expect((await recordOf(victim.ticket_id)).telegram_id).toBe(String(owner.id));
  });

  it('one account trying 50 unopened ids gets the same answer for each and nothing from any', async () => {
    const real = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        submitApplication(t, sensitive({ type: 'phone', value: `+7 901 000-00-${String(10 + i)}` })),
      ),
    );
    const ids = [...real.map((r) => r.ticket_id)];
    for (let i = 0; ids.length < 50; i++) ids.push(String(9_900_000 + i));
    const guesser = account('guesser_fifty');
    for (const id of ids) expect((await start(guesser, id)).statusCode).toBe(200);
    const rows = await outboxTo(t, guesser.id);
    expect(rows).toHaveLength(50);
    const texts = new Set(rows.slice(0, 10).map((r) => r.text));
    expect(texts.size).toBe(1);
    expect(rows.slice(10).every((r) => r.text.includes('Слишком много попыток'))).toBe(true);
    for (const r of real) expect((await recordOf(r.ticket_id)).telegram_id).toBeNull();
    expectNothingOfTheTicket(
      rows
        .slice(0, 10)
        .map((r) => r.text)
        .join('\n'),
      real[0]!.ticket_id,
    );
  });

  it('anonymous and client answers do not tell which ids and lead numbers exist', async () => {
    const mine = await submitApplication(t, sensitive({ type: 'phone', value: '+7 901 555-00-01' }));
    const other = await submitApplication(t, sensitive({ type: 'phone', value: '+7 901 555-00-02' }));
    const asMine = bearer(mine.client_token);
    const known = await t.app.inject({
      method: 'POST',
      url: '/cancel-session',
      headers: asMine,
      payload: { ticket_id: other.ticket_id, cancellation_reason: 'проба' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/cancel-session',
      headers: asMine,
      payload: { ticket_id: '1000001', cancellation_reason: 'проба' },
    });
    expect([known.statusCode, unknown.statusCode]).toEqual([403, 403]);
    expect(known.json().error.type).toBe(unknown.json().error.type);
    const infoKnown = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${other.ticket_id}`,
      headers: asMine,
    });
    const infoUnknown = await t.app.inject({ url: '/get-ticket-info?ticket_id=1000002', headers: asMine });
    expect([infoKnown.statusCode, infoUnknown.statusCode]).toEqual([403, 403]);
    const leadKnown = await t.app.inject({
      url: `/get-reassignment-schedule?lead_number=${other.lead_number}&mode=time`,
      headers: asMine,
    });
    const leadUnknown = await t.app.inject({
      url: '/get-reassignment-schedule?lead_number=zz0000&mode=time',
      headers: asMine,
    });
    expect([leadKnown.statusCode, leadUnknown.statusCode]).toEqual([403, 403]);
  });
});

describe('a typed contact is a claim, never a key to someone’s record', () => {
  it('a stranger typing the victim’s phone gets a record of their own and nothing of the victim’s', async () => {
    const owner = account('phone_owner');
    const victim = await submitApplication(t, sensitive({ type: 'phone', value: '+7 902 111-22-33' }));
    await start(owner, victim.ticket_id);
    await shareContact(owner, '79021112233');
    expect((await recordOf(victim.ticket_id)).telegram_id).toBe(String(owner.id));

    const stranger = account('phone_thief');
    const planted = await submitApplication(t, {
      name: 'Подставной',
      age: 40,
      contact: { type: 'phone', value: '+7 902 111-22-33' },
      request_text: 'чужое',
    });
    expect(planted.lead_number).not.toBe(victim.lead_number);
    expect(planted.bot_link ?? '').not.toContain(victim.lead_number);
    // The stranger cannot prove the victim's number, so their planted ticket stays unlinked.
    await start(stranger, planted.ticket_id);
    await shareContact(stranger, '79021112233', owner.id);
    expect((await recordOf(planted.ticket_id)).telegram_id).toBeNull();
    const info = await t.app.inject({
      url: `/get-ticket-info?ticket_id=${planted.ticket_id}`,
      headers: bearer(planted.client_token),
    });
    expect(info.json().ticket).toMatchObject({ client_name: 'Подставной' });
    expect(info.body).not.toContain('Жертвова');

    // A booking that names only the victim's lead lands on the victim's own ticket, never the planted one.
    expect(await bookedTicketOfLead(victim.lead_number)).toBe(victim.ticket_id);
    const asPlanted = await t.app.inject({
      method: 'POST',
      url: '/cancel-session',
      headers: bearer(planted.client_token),
      payload: { ticket_id: victim.ticket_id, cancellation_reason: 'чужая отмена' },
    });
    expect(asPlanted.statusCode).toBe(403);

    // An operator's message to the victim's lead goes to the victim's proven chat only.
    const relay = await t.admin({
      method: 'POST',
      url: '/send_admin_message_to_user',
      payload: { command: `${victim.lead_number}: Здравствуйте!` },
    });
    expect(relay.statusCode, relay.body).toBe(200);
    expect(await seenBy(stranger)).not.toContain('Здравствуйте!');
    expect(await seenBy(owner)).toContain('Здравствуйте!');
  });

  it('a typed numeric Telegram id is never written to; the account itself proves it', async () => {
    const target = account();
    const typed = await submitApplication(t, sensitive({ type: 'telegram', value: String(target.id) }));
    expect((await recordOf(typed.ticket_id)).telegram_id).toBeNull();
    await book(typed.lead_number, typed.ticket_id);
    expect(await outboxTo(t, target.id)).toHaveLength(0);
    await start(target, typed.ticket_id);
    expect(await recordOf(typed.ticket_id)).toMatchObject({
      telegram_id: String(target.id),
      linked_by: 'account',
    });
  });

  it('a typed @username never stands for the account in look-ups', async () => {
    const real = account('shadowed_user');
    const own = await submitApplication(t, sensitive({ type: 'telegram', value: '@shadowed_user' }));
    const fake = await submitApplication(t, {
      name: 'Тень',
      age: 40,
      contact: { type: 'telegram', value: '@shadowed_user' },
    });
    await book(fake.lead_number, fake.ticket_id);
    const before = await t.admin({ url: '/get-telegram-id?username=shadowed_user' });
    expect(before.statusCode).toBe(404);
    expect(
      (await t.admin({ url: '/client-sessions-history?client_telegram=@shadowed_user' })).json(),
    ).toEqual({
      sessions: [],
    });
    await start(real, own.ticket_id);
    const after = await t.admin({ url: '/get-telegram-id?username=shadowed_user' });
    expect(after.json().telegram_id).toBe(String(real.id));
    // The history of the proven account holds none of the stranger's sessions.
    const history = await t.admin({ url: '/client-sessions-history?client_telegram=@shadowed_user' });
    expect(history.json().sessions.map((s: { ticket_id: string }) => s.ticket_id)).not.toContain(
      fake.ticket_id,
    );
  });

  it('a form id reused in another submission never takes over what the link and get-ticket-info show', async () => {
    const first = await submitApplication(
      t,
      sensitive({ type: 'telegram', value: '@form_first' }, { ticket_id: 'reuse9' }),
    );
    const second = await submitApplication(t, {
      name: 'Перехватчик',
      age: 40,
      contact: { type: 'telegram', value: '@form_thief' },
      ticket_id: 'reuse9',
    });
    expect(second.ticket_id).not.toBe(first.ticket_id);
    const byForm = await t.admin({ url: '/get-ticket-info?ticket_id=reuse9' });
    expect(byForm.json().ticket.id).toBe(first.ticket_id);
    const thief = account('form_thief');
    await start(thief, 'reuse9');
    expect((await recordOf(first.ticket_id)).telegram_id).toBeNull();
    expectNothingOfTheTicket(await seenBy(thief), first.ticket_id);
  });
});

describe('the honest paths stay one tap', () => {
  it('a typed phone: /start asks to share the number; the sender’s own number links and welcomes', async () => {
    const ticket = await submitApplication(t, sensitive({ type: 'whatsapp', value: '8 (903) 444-55-66' }));
    const person = account();
    await start(person, ticket.ticket_id);
    const asked = (await outboxTo(t, person.id)).at(-1)!;
    expect(asked.buttons).toEqual({ shareContact: 'Поделиться номером' });
    expect((await recordOf(ticket.ticket_id)).telegram_id).toBeNull();
    // Someone else's number (user_id of another account) proves nothing.
    await shareContact(person, '+79034445566', person.id + 1);
    expect((await recordOf(ticket.ticket_id)).telegram_id).toBeNull();
    await shareContact(person, '+79034445566');
    expect(await recordOf(ticket.ticket_id)).toMatchObject({
      telegram_id: String(person.id),
      linked_by: 'phone',
    });
    const rows = await outboxTo(t, person.id);
    expect(rows.some((r) => r.text.includes(ticket.ticket_id))).toBe(true);
    expect(rows.at(-1)!.buttons).toEqual({ remove: true });
    const admin = await outboxTo(t, ADMIN_CHAT);
    expect(admin.some((r) => r.text.includes(`перешёл в бот (заявка ${ticket.ticket_id})`))).toBe(true);
  });

  it('an e-mail only: the ticket stays unlinked and the operators are told once', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/diagnostic-session-request',
      payload: { client_name: 'Вера', client_email: 'vera@example.org', request_text: 'тревога' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const ticket = res.json() as { ticket_id: string };
    const person = account('email_person');
    await start(person, ticket.ticket_id);
    await start(person, ticket.ticket_id);
    expect((await recordOf(ticket.ticket_id)).telegram_id).toBeNull();
    expectNothingOfTheTicket(await seenBy(person), ticket.ticket_id);
    const told = (await outboxTo(t, ADMIN_CHAT)).filter((r) => r.text.includes(`Заявку ${ticket.ticket_id}`));
    expect(told).toHaveLength(1);
    expect(told[0]!.text).not.toContain('vera@example.org');
  });

  it('a whole-client token reads exactly the tickets its account proved', async () => {
    const person = account('proven_reader');
    const a = await submitApplication(t, sensitive({ type: 'telegram', value: '@proven_reader' }));
    const b = await submitApplication(t, sensitive({ type: 'phone', value: '+7 904 777-88-99' }));
    const unproven = await submitApplication(t, sensitive({ type: 'phone', value: '+7 904 000-00-01' }));
    await start(person, a.ticket_id);
    await start(person, b.ticket_id);
    await start(person, unproven.ticket_id);
    await shareContact(person, '+79047778899');
    const token = await loginToken(person, '10.17.0.2');
    const read = (id: string) =>
      t.app.inject({ url: `/get-ticket-info?ticket_id=${id}`, headers: bearer(token) });
    expect((await read(a.ticket_id)).statusCode).toBe(200);
    expect((await read(b.ticket_id)).statusCode).toBe(200);
    expect((await read(unproven.ticket_id)).statusCode).toBe(403);
    const tickets = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .select('ticket_id')
      .where('client_id', '=', (await recordOf(a.ticket_id)).id)
      .orderBy('ticket_id')
      .execute();
    expect(tickets.map((r) => r.ticket_id)).toEqual([a.ticket_id, b.ticket_id].sort());
    // A submission carrying that token is a proof: it is filed under the account's record.
    const more = await t.app.inject({
      method: 'POST',
      url: '/submit-application',
      headers: bearer(token),
      payload: { name: 'Вероника', age: 31, contact: { type: 'phone', value: '+7 904 777-88-99' } },
    });
    expect(more.statusCode, more.body).toBe(200);
    expect(more.json().lead_number).toBe((await recordOf(a.ticket_id)).lead_number);
  });

  it('others’ wrong guesses never lock the owner out of a code asked for from their own chat', async () => {
    const owner = account('code_owner');
    for (let i = 0; i < 30; i++) {
      const res = await verifyCode(
        t,
        String(owner.id),
        String(100_000 + i),
        `10.18.${Math.floor(i / 10)}.${i % 10}`,
      );
      expect([200, 429]).toContain(res.statusCode);
    }
    expect(await loginToken(owner, '10.19.0.1')).toEqual(expect.any(String));
  });
});

describe('erasure finds the person in every record', () => {
  it('a ticket moved to the account’s record, and a pending operators’ message about it, are erased with the lead', async () => {
    const person = account('erase_me_now');
    await postUpdate(t, textMessage(person, '/start'));
    const ticket = await submitApplication(t, sensitive({ type: 'telegram', value: '@erase_me_now' }));
    await start(person, ticket.ticket_id);
    const moved = await recordOf(ticket.ticket_id);
    expect(moved.lead_number).not.toBe(ticket.lead_number);
    // The lead number the form showed still names the person: a booking by it lands on the moved ticket.
    expect(await bookedTicketOfLead(ticket.lead_number)).toBe(ticket.ticket_id);
    const pending = await t.admin({
      method: 'POST',
      url: '/send-ticket-data-to-admin',
      payload: {
        psychologists: psychologist.name,
        slots: '09.12 17:00',
        slots_id: freeSlots.at(-1),
        tiket_info: { ticket_id: ticket.ticket_id, request_text: 'сертралин 100 мг' },
        client_info: { name: 'Вероника Жертвова' },
      },
    });
    expect(pending.statusCode, pending.body).toBe(200);
    // The person asks to be forgotten by the lead number the form showed them.
    const erased = await t.admin({ method: 'DELETE', url: `/admin/clients/${ticket.lead_number}` });
    expect(erased.statusCode, erased.body).toBe(200);
    const records = await t.deps.db
      .selectFrom('hraniteli_clients')
      .select(['name', 'telegram_id', 'telegram_username', 'erased_at'])
      .where('lead_number', 'in', [ticket.lead_number, moved.lead_number])
      .execute();
    expect(records).toHaveLength(2);
    for (const r of records)
      expect(r).toMatchObject({ name: null, telegram_id: null, telegram_username: null });
    const left = await t.deps.db
      .selectFrom('outbox')
      .select(['status', 'text'])
      .where('ticket_id', '=', ticket.ticket_id)
      .execute();
    expect(left.length).toBeGreaterThan(0);
    for (const row of left) {
      expect(row.text).toBe('');
      expect(row.status).not.toBe('pending');
    }
  });
});
