// The Telegram login and the bot's endpoints: codes (right, wrong ×5, expired, replaced, spent, rate
// limited, raced), whole-client tokens against ticket-scoped ones, registration, process-link,
// get-telegram-id and the relay endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { bearer, submitApplication } from '../support/fixtures.ts';
import { lastCode, outboxTo, verifyCode } from '../support/telegram.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

let nextTelegramId = 5_500_000;
const telegramId = () => String(nextTelegramId++);

const post = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload, headers });

async function requestCode(id: string): Promise<string> {
  const res = await post('/request-code', { telegram_id: id });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toEqual({ success: true, expires_in: 600 });
  return lastCode(t, id);
}

/**
 * Wrong tries count per requester (the request's address), so each test guesses from addresses of its own:
 * failures of one test never spend another's tries.
 */
let nextAddress = 1;
const address = () => `10.0.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

const verify = (id: string, code: string, from: string) => verifyCode(t, id, code, from);
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('login codes', () => {
  it('a burst of parallel wrong guesses from one address counts one by one: at most ten reach the codes', async () => {
    const from = address();
    const ids = Array.from({ length: 12 }, () => telegramId());
    const codes = await Promise.all(ids.map((id) => requestCode(id)));
    const answers = await Promise.all(
      ids.flatMap((id, i) => Array.from({ length: 5 }, () => verify(id, wrong(codes[i]!), from))),
    );
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(10);
    expect(answers.filter((a) => a.statusCode === 429)).toHaveLength(50);
  });

  it('the right code gives a token once; the code is stored only as a digest', async () => {
    const id = telegramId();
    const from = address();
    const code = await requestCode(id);
    const stored = await t.deps.db
      .selectFrom('verification_codes')
      .select('code_hash')
      .where('telegram_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored.code_hash).not.toContain(code);
    const first = await verify(id, code, from);
    expect(first.json()).toMatchObject({ success: true, verified: true, token: expect.any(String) });
    expect((await verify(id, code, from)).json()).toEqual({ success: true, verified: false });
    // Spent for everybody, not only for the requester who used it.
    expect((await verify(id, code, address())).json()).toEqual({ success: true, verified: false });
  });

  it('five wrong tries from one requester spend that requester’s tries at the code', async () => {
    const id = telegramId();
    const guesser = address();
    const code = await requestCode(id);
    for (let i = 0; i < 5; i++) expect((await verify(id, wrong(code), guesser)).json().verified).toBe(false);
    // Even the right code is refused to that requester now …
    expect((await verify(id, code, guesser)).json()).toEqual({ success: true, verified: false });
    // … while the owner, asking from their own address, still gets in with it.
    expect((await verify(id, code, address())).json()).toMatchObject({ verified: true });
  });

  it('twenty wrong guesses from other addresses do not stop the owner’s fresh code from verifying', async () => {
    const id = telegramId();
    const stale = await requestCode(id);
    // Four guessers spend all their tries at the code, and each makes no more than that.
    for (let guesser = 0; guesser < 4; guesser++) {
      const from = address();
      for (let i = 0; i < 5; i++) {
        const res = await verify(id, wrong(stale), from);
        expect(res.statusCode).toBe(200);
        expect(res.json().verified).toBe(false);
      }
    }
    const failures = await t.deps.db
      .selectFrom('verification_failures')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('telegram_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(Number(failures.count)).toBe(20);
    // The owner asks for a new code from their own chat (the bot's /code, or request-code) …
    t.clock.advance(61_000);
    const fresh = await requestCode(id);
    // … and it verifies from their own address: the strangers' failures never counted against the id.
    const owner = await verify(id, fresh, address());
    expect(owner.statusCode, owner.body).toBe(200);
    expect(owner.json()).toMatchObject({ success: true, verified: true, token: expect.any(String) });
  });

  it('a code expires after 10 minutes', async () => {
    const id = telegramId();
    const code = await requestCode(id);
    t.clock.advance(10 * 60_000 + 1);
    try {
      expect((await verify(id, code, address())).json().verified).toBe(false);
    } finally {
      t.clock.advance(-(10 * 60_000 + 1));
    }
  });

  it('a new code replaces the old one, but not within a minute of it', async () => {
    const id = telegramId();
    const first = await requestCode(id);
    await post('/request-code', { telegram_id: id });
    expect(await outboxTo(t, id)).toHaveLength(1);
    t.clock.advance(61_000);
    const second = await requestCode(id);
    expect(await outboxTo(t, id)).toHaveLength(2);
    const from = address();
    if (first !== second) expect((await verify(id, first, from)).json().verified).toBe(false);
    expect((await verify(id, second, from)).json().verified).toBe(true);
  });

  it('answers the same for a chat nobody knows (no enumeration)', async () => {
    const res = await post('/request-code', { telegram_id: telegramId() });
    expect(res.json()).toEqual({ success: true, expires_in: 600 });
  });

  it('ten failed tries from one requester within an hour → 429 with Retry-After, even for the right code', async () => {
    const id = telegramId();
    const guesser = address();
    let code = await requestCode(id);
    for (let i = 0; i < 10; i++) {
      if (i === 5) {
        t.clock.advance(61_000);
        code = await requestCode(id);
      }
      expect((await verify(id, wrong(code), guesser)).statusCode).toBe(200);
    }
    const blocked = await verify(id, code, guesser);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(3600);
    // Whichever Telegram id that requester names next.
    const elsewhere = telegramId();
    const otherCode = await requestCode(elsewhere);
    expect((await verify(elsewhere, otherCode, guesser)).statusCode).toBe(429);
    // The limit is the requester's, not the id's: the owner, from their own address, gets in.
    expect((await verify(id, code, address())).json()).toMatchObject({ verified: true });
    // An hour after those failures the requester may try again.
    t.clock.advance(3_600_000);
    const later = await requestCode(elsewhere);
    expect((await verify(elsewhere, later, guesser)).json()).toMatchObject({ verified: true });
  });

  it('the right code raced by parallel requests gives exactly one token', async () => {
    const id = telegramId();
    const from = address();
    const code = await requestCode(id);
    const answers = await Promise.all(Array.from({ length: 8 }, () => verify(id, code, from)));
    expect(answers.filter((a) => a.json().verified === true)).toHaveLength(1);
  });

  it('bad input is a 400 naming the field', async () => {
    const res = await post('/verify-code', { telegram_id: '12ab', code: '123456' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('telegram_id');
    expect((await post('/verify-code', { telegram_id: '1', code: '12345' })).statusCode).toBe(400);
  });
});

describe('tokens: a proven identity opens the whole client, a submission only its ticket', () => {
  it('a verified token reads every ticket of that person and nobody else’s', async () => {
    const id = telegramId();
    // Two tickets of one person: one tied to their Telegram account through the bot link, one submitted
    // with the whole-client token the login code gave.
    const a = await submitApplication(t, { contact: { type: 'phone', value: '+7 900 100-00-01' } });
    await post(
      '/process-link',
      { user_id: id, ticket_id: a.ticket_id },
      { 'x-api-key': 'test-api-key-0123456789abcdef' },
    );
    const token = (await verify(id, await requestCode(id), address())).json().token as string;
    const submittedB = await post(
      '/submit-application',
      { name: 'Мария', age: 30, contact: { type: 'telegram', value: id }, selected_slots: [] },
      bearer(token),
    );
    expect(submittedB.statusCode, submittedB.body).toBe(200);
    const b = submittedB.json() as { ticket_id: string; lead_number: string; client_token: string };
    expect(b.lead_number).toBe(a.lead_number);
    // Typing the person's Telegram id into a form without the token proves nothing: a record of its own.
    const typed = await submitApplication(t, { contact: { type: 'telegram', value: id } });
    expect(typed.lead_number).not.toBe(a.lead_number);
    const other = await submitApplication(t);

    const read = (ticketId: string, auth: string) =>
      t.app.inject({ method: 'GET', url: `/get-ticket-info?ticket_id=${ticketId}`, headers: bearer(auth) });
    expect((await read(a.ticket_id, token)).statusCode).toBe(200);
    expect((await read(b.ticket_id, token)).statusCode).toBe(200);
    expect((await read(other.ticket_id, token)).statusCode).toBe(403);
    expect((await read(typed.ticket_id, token)).statusCode).toBe(403);
    expect((await read(a.ticket_id, typed.client_token)).statusCode).toBe(403);
    // The submission's own token stays on its ticket.
    expect((await read(b.ticket_id, a.client_token)).statusCode).toBe(403);
    const cancel = await post(
      '/cancel-session',
      { ticket_id: other.ticket_id, cancellation_reason: 'x' },
      bearer(token),
    );
    expect(cancel.statusCode).toBe(403);
  });
});

const SERVICE = { 'x-api-key': 'test-api-key-0123456789abcdef' };

describe('registration and process-link', () => {
  it('client-registration creates once', async () => {
    const id = telegramId();
    const first = await post(
      '/client-registration',
      { user_id: id, username: '@reg_user', first_name: 'Ольга' },
      SERVICE,
    );
    expect(first.json()).toMatchObject({
      success: true,
      is_new: true,
      lead_number: expect.stringMatching(/^[a-z]{2}\d{4}$/),
    });
    const again = await post('/client-registration', { user_id: id }, SERVICE);
    expect(again.json()).toMatchObject({ is_new: false, lead_number: first.json().lead_number });
    expect((await post('/client-registration', { user_id: id })).statusCode).toBe(401);
  });

  it('process-link: 404 unknown, idempotent for the same account, 409 for another', async () => {
    const submitted = await submitApplication(t);
    const owner = telegramId();
    expect((await post('/process-link', { user_id: owner, ticket_id: '1234567' }, SERVICE)).statusCode).toBe(
      404,
    );
    const first = await post('/process-link', { user_id: owner, ticket_id: submitted.ticket_id }, SERVICE);
    expect(first.json()).toMatchObject({ success: true, ticket_id: submitted.ticket_id });
    const again = await post('/process-link', { user_id: owner, ticket_id: submitted.ticket_id }, SERVICE);
    expect(again.statusCode).toBe(200);
    expect(await outboxTo(t, owner)).toHaveLength(1);
    const other = await post(
      '/process-link',
      { user_id: telegramId(), ticket_id: submitted.ticket_id },
      SERVICE,
    );
    expect(other.statusCode).toBe(409);
    expect(other.json().error.type).toBe('ticket_linked_elsewhere');
  });

  it('get-telegram-id by ticket, lead, username and psychologist; 404 when none', async () => {
    const id = telegramId();
    const submitted = await submitApplication(t);
    await post(
      '/process-link',
      { user_id: id, ticket_id: submitted.ticket_id, username: 'tg_lookup' },
      SERVICE,
    );
    const get = (query: string) =>
      t.app.inject({ method: 'GET', url: `/get-telegram-id?${query}`, headers: SERVICE });
    for (const query of [
      `ticket_id=${submitted.ticket_id}`,
      `lead_number=${submitted.lead_number}`,
      'username=@TG_Lookup',
    ])
      expect((await get(query)).json()).toEqual({ success: true, telegram_id: id });
    // A username only typed into a form stands for no account.
    await submitApplication(t, { contact: { type: 'telegram', value: '@typed_lookup' } });
    expect((await get('username=typed_lookup')).statusCode).toBe(404);
    const psychologist = await t.admin({
      method: 'POST',
      url: '/admin/psychologists',
      payload: { name: 'Тимур Телеграмов', sex: 'male', min_price: 1, max_price: 2, telegram_id: '777111' },
    });
    expect(psychologist.statusCode).toBe(201);
    expect((await get('psychologist=тимур  телеграмов')).json().telegram_id).toBe('777111');
    expect((await get('username=@nobody_here')).statusCode).toBe(404);
    expect((await get('')).statusCode).toBe(400);
  });
});

describe('the relay endpoints', () => {
  it('send_user_message_to_admin relays under the lead code (from a Telegram message object too)', async () => {
    const id = telegramId();
    const res = await post(
      '/send_user_message_to_admin',
      {
        message: { text: 'Здравствуйте', from: { id: Number(id), username: 'msg_obj', first_name: 'Лена' } },
      },
      SERVICE,
    );
    expect(res.statusCode, res.body).toBe(200);
    const lead = res.json().lead_number as string;
    const admin = await outboxTo(t, '-100500');
    expect(admin.at(-1)!.text).toBe(`${lead} (Лена, @msg_obj):\n┃ Здравствуйте`);
  });

  it('send_admin_message_to_user: 400 unparsable, 404 unknown lead, 409 no chat, else queued', async () => {
    const send = (command: string) => post('/send_admin_message_to_user', { command }, SERVICE);
    expect((await send('без кода')).statusCode).toBe(400);
    expect((await send('br0722:   ')).statusCode).toBe(400);
    expect((await send('zz0000: привет')).statusCode).toBe(404);
    const noChat = await submitApplication(t, { contact: { type: 'phone', value: '+7 900 300-30-30' } });
    const res = await send(`${noChat.lead_number}: привет`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.type).toBe('client_has_no_chat');
    const id = telegramId();
    const registered = await post('/client-registration', { user_id: id }, SERVICE);
    const ok = await send(`${registered.json().lead_number} : Добрый день!\nКак вы?`);
    expect(ok.json()).toEqual({ success: true, delivered: false });
    expect((await outboxTo(t, id)).map((r) => r.text)).toEqual([
      'Сообщение от администратора:\n┃ Добрый день!\n┃ Как вы?',
    ]);
  });

  it('send-ticket-data-to-admin: lists must agree; the message groups offered times by psychologist', async () => {
    const psychologist = await t.admin({
      method: 'POST',
      url: '/admin/psychologists',
      payload: { name: 'Нина Сводкова', sex: 'female', min_price: 1, max_price: 2 },
    });
    const slots = await t.admin({
      method: 'POST',
      url: '/admin/slots',
      payload: { psychologist_id: psychologist.json().psychologist.id, slots: ['11.12 15:00'] },
    });
    const slotId = slots.json().created[0].id as string;
    const body = {
      psychologists: 'Нина Сводкова;Пётр Безслотов',
      slots: '11.12 15:00;12.12 16:00',
      slots_id: `${slotId};00000000-0000-4000-8000-000000000000`,
      tiket_info: { ticket_id: '7654321', request_text: 'тревога по ночам' },
      client_info: { name: 'Светлана', age: 33, contact_value: '@svetlana' },
    };
    const bad = await post('/send-ticket-data-to-admin', { ...body, slots_id: slotId }, SERVICE);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('slots_id');
    const res = await post('/send-ticket-data-to-admin', body, SERVICE);
    expect(res.statusCode, res.body).toBe(200);
    const row = (await outboxTo(t, '-100500')).find((r) => String(r.id) === res.json().message_id)!;
    expect(row.text).toBe(
      'Заявка 7654321\nИмя: Светлана, 33\nКонтакт: @svetlana\n\nПредложены:\n' +
        '• Нина Сводкова: 11.12 15:00\n• Пётр Безслотов\n• время без психолога в базе: 12.12 16:00\n\n' +
        'Запрос:\n┃ тревога по ночам',
    );
  });

  it('the relay endpoints retried with an Idempotency-Key write their message once', async () => {
    const id = telegramId();
    const relay = () =>
      post(
        '/send_user_message_to_admin',
        { telegram_id: id, text: 'Можно перенести?' },
        { ...SERVICE, 'idempotency-key': `relay-${id}` },
      );
    const [first, second] = [await relay(), await relay()];
    expect(second.json()).toEqual(first.json());
    const relayed = (await outboxTo(t, '-100500')).filter((r) => r.text.endsWith(':\n┃ Можно перенести?'));
    expect(relayed).toHaveLength(1);

    const summary = () =>
      post(
        '/send-ticket-data-to-admin',
        {
          psychologists: 'Пётр Безслотов',
          slots: '12.12 16:00',
          slots_id: '00000000-0000-4000-8000-000000000000',
          tiket_info: { ticket_id: '7650001' },
        },
        { ...SERVICE, 'idempotency-key': 'summary-7650001' },
      );
    const [a, b] = [await summary(), await summary()];
    expect(a.statusCode, a.body).toBe(200);
    expect(b.json()).toEqual(a.json());
    expect((await outboxTo(t, '-100500')).filter((r) => r.text.startsWith('Заявка 7650001'))).toHaveLength(1);
    const long = await post(
      '/send_user_message_to_admin',
      { telegram_id: id, text: 'ещё' },
      { ...SERVICE, 'idempotency-key': 'k'.repeat(201) },
    );
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('Idempotency-Key');
  });
});
