// Schedules, the assignment coefficient, reassignment and the post-session questionnaire, through HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_API_KEY, TEST_NOW, type TestApp } from '../support/app.ts';
import { addSlots, bearer, createPsychologist, submitApplication } from '../support/fixtures.ts';
import { outboxTo } from '../support/telegram.ts';

let t: TestApp;
const SERVICE = { 'x-api-key': TEST_API_KEY };
let anna: { id: string; name: string };
let boris: { id: string; name: string };
let vera: { id: string; name: string };

beforeAll(async () => {
  t = await createTestApp();
  // Three psychologists the same application matches; Анна is the one the client books.
  anna = await createPsychologist(t, { name: 'Анна Графикова', queries: ['Переназначение'] });
  boris = await createPsychologist(t, { name: 'Борис Запасов', queries: ['Переназначение'] });
  vera = await createPsychologist(t, { name: 'Вера Резервова', queries: ['Переназначение'] });
  await addSlots(t, anna.id, ['08.12 10:00', '09.12 11:00', '10.12 12:00']);
  await addSlots(t, boris.id, ['08.12 15:00', '11.12 16:00']);
  await addSlots(t, vera.id, ['12.12 09:00']);
});
afterAll(async () => t.close());

const get = (url: string, headers: Record<string, string> = SERVICE) =>
  t.app.inject({ method: 'GET', url, headers });
const post = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = SERVICE) =>
  t.app.inject({ method: 'POST', url, payload, headers });

let nextHour = 8;

/** A client matched with all three, a session booked with Анна (a time of its own), a whole-client token. */
async function clientWithSession(telegramId: string) {
  const submitted = await submitApplication(t, {
    preferences: { gender: 'any', price_max: 5000, specializations: ['Переназначение'] },
  });
  await post('/process-link', { user_id: telegramId, ticket_id: submitted.ticket_id });
  const time = `21.12 ${String(nextHour++).padStart(2, '0')}:00`;
  const [slot] = await addSlots(t, anna.id, [time]);
  const booked = await t.admin({
    method: 'POST',
    url: '/admin/sessions',
    payload: { slot_id: slot!.id, lead_number: submitted.lead_number, ticket_id: submitted.ticket_id },
  });
  expect(booked.statusCode, booked.body).toBe(201);
  const client = await t.deps.db
    .selectFrom('hraniteli_clients')
    .select('id')
    .where('lead_number', '=', submitted.lead_number)
    .executeTakeFirstOrThrow();
  const token = await t.deps.tokens.issue({ clientId: client.id }, t.clock.now());
  return { ...submitted, client_id: client.id, time, token, sessionId: booked.json().session.id as string };
}

describe('GET /get-schedule', () => {
  it('answers the four weekly messages of the seed, character for character', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/get-schedule?psychologist=${encodeURIComponent('борис  запасов')}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const [{ res: weeks }] = res.json();
    expect(weeks).toHaveLength(4);
    expect(weeks[0]).toBe(
      'Расписание на первую неделю (07.12-13.12)\n\n🟩 Свободно:\n\n08.12 Вт: 15:00\n11.12 Пт: 16:00\n\n✅Забронировано\n\n—',
    );
    expect(weeks[1]).toBe(
      'Расписание на вторую неделю (14.12-20.12)\n\n🟩 Свободно:\n\n—\n\n✅Забронировано\n\n—',
    );
  });

  it('shows a slot added or booked since the last answer at once (the cache is dropped by the write)', async () => {
    const p = await createPsychologist(t, { name: 'Глеб Свежий' });
    const read = async () =>
      (
        await t.app.inject({ method: 'GET', url: `/get-schedule?psychologist=${encodeURIComponent(p.name)}` })
      ).json()[0].res[0] as string;
    expect(await read()).toContain('🟩 Свободно:\n\n—');
    const [slot] = await addSlots(t, p.id, ['10.12 14:00']);
    expect(await read()).toContain('🟩 Свободно:\n\n10.12 Чт: 14:00\n\n✅Забронировано\n\n—');
    const client = await submitApplication(t);
    await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: client.lead_number, ticket_id: client.ticket_id },
    });
    expect(await read()).toContain('🟩 Свободно:\n\n—\n\n✅Забронировано\n\n10.12 Чт: 14:00');
  });

  it('no longer offers a free slot that has started; booked ones stay', async () => {
    const p = await createPsychologist(t, { name: 'Дарья Прошедшая' });
    // Now is 07.12 12:00 Moscow.
    const [, booked] = await addSlots(t, p.id, ['07.12 10:00', '07.12 11:00', '07.12 12:00', '07.12 12:30']);
    await t.deps.db
      .updateTable('hraniteli_slots')
      .set({ state: 'booked' })
      .where('id', '=', booked!.id)
      .execute();
    const read = async () =>
      (
        await t.app.inject({ method: 'GET', url: `/get-schedule?psychologist=${encodeURIComponent(p.name)}` })
      ).json()[0].res[0] as string;
    expect(await read()).toContain('🟩 Свободно:\n\n07.12 Пн: 12:30\n\n✅Забронировано\n\n07.12 Пн: 11:00');
    try {
      t.clock.advance(31 * 60_000);
      expect(await read()).toContain('🟩 Свободно:\n\n—\n\n✅Забронировано\n\n07.12 Пн: 11:00');
    } finally {
      t.clock.set(TEST_NOW);
    }
  });

  it('404 for an unknown psychologist, 400 without one', async () => {
    expect(
      (await t.app.inject({ method: 'GET', url: '/get-schedule?psychologist=Никто%20Никакой' })).statusCode,
    ).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/get-schedule' })).statusCode).toBe(400);
  });
});

describe('GET /get-assigment-coeff', () => {
  it('debt − clients provided − active sessions after today until the month’s end', async () => {
    const p = await createPsychologist(t, { name: 'Карина Коэффициентова', debt: 10 });
    const slots = await addSlots(t, p.id, [
      '07.12 18:00',
      '08.12 10:00',
      '09.12 10:00',
      '30.12 10:00',
      '04.01.2027 10:00',
    ]);
    const book = async (slotId: string) => {
      const client = await submitApplication(t);
      const res = await t.admin({
        method: 'POST',
        url: '/admin/sessions',
        payload: { slot_id: slotId, lead_number: client.lead_number, ticket_id: client.ticket_id },
      });
      expect(res.statusCode, res.body).toBe(201);
      return { ...client, sessionId: res.json().session.id as string };
    };
    await book(slots[0]!.id); // today: not counted
    await book(slots[1]!.id); // tomorrow: counted
    const cancelled = await book(slots[2]!.id);
    await t.admin({
      method: 'POST',
      url: '/cancel-session',
      payload: { ticket_id: cancelled.ticket_id, cancellation_reason: 'передумал' },
    });
    await book(slots[3]!.id); // 30.12: counted
    await book(slots[4]!.id); // next month: not counted
    const res = await get(`/get-assigment-coeff?psychologist_name=${encodeURIComponent(p.name)}`);
    expect(res.json()).toEqual({
      success: true,
      psychologist: p.name,
      coefficient: 8,
      debt: 10,
      number_of_clients_provided: 0,
      assigned_until_month_end: 2,
    });

    // On the month's last day nothing after today is left in the month.
    t.clock.set(new Date('2026-12-31T09:00:00.000Z'));
    try {
      const end = await get(`/get-assigment-coeff?psychologist_name=${encodeURIComponent(p.name)}`);
      expect(end.json()).toMatchObject({ assigned_until_month_end: 0, coefficient: 10 });
    } finally {
      t.clock.set(new Date('2026-12-07T09:00:00.000Z'));
    }
    expect((await get('/get-assigment-coeff?psychologist_name=Нет%20Такой')).statusCode).toBe(404);
    expect((await get('/get-assigment-coeff?psychologist_name=x', {})).statusCode).toBe(401);
  });

  it('a completed session moves from "assigned" to "clients provided"', async () => {
    const p = await createPsychologist(t, { name: 'Лев Завершённый', debt: 5 });
    const [slot] = await addSlots(t, p.id, ['08.12 12:00']);
    const client = await submitApplication(t);
    const booked = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: client.lead_number, ticket_id: client.ticket_id },
    });
    const coeff = async () =>
      (await get(`/get-assigment-coeff?psychologist_name=${encodeURIComponent(p.name)}`)).json();
    expect(await coeff()).toMatchObject({
      assigned_until_month_end: 1,
      number_of_clients_provided: 0,
      coefficient: 4,
    });
    t.clock.set(new Date('2026-12-08T12:00:00.000Z'));
    try {
      const done = await t.admin({
        method: 'POST',
        url: `/admin/sessions/${booked.json().session.id}/status`,
        payload: { status: 'completed' },
      });
      expect(done.statusCode, done.body).toBe(200);
      expect(await coeff()).toMatchObject({
        assigned_until_month_end: 0,
        number_of_clients_provided: 1,
        coefficient: 4,
      });
    } finally {
      t.clock.set(new Date('2026-12-07T09:00:00.000Z'));
    }
  });
});

describe('reassignment', () => {
  it('reassign: unknown names are listed in the 400, nothing is created', async () => {
    const client = await clientWithSession('8800001');
    const res = await post('/reassign', {
      lead_number: client.lead_number,
      filtered_psychologists: 'Борис Запасов, Несуществующий Один, Второй Нет',
      slots: '11.12 16:00',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Несуществующий Один, Второй Нет');
    expect(
      (await post('/reassign', { lead_number: 'zz0000', filtered_psychologists: 'Борис Запасов' }))
        .statusCode,
    ).toBe(404);
  });

  it('reassign makes a child ticket with the named psychologists and their free times among those given', async () => {
    const client = await clientWithSession('8800002');
    const res = await post('/reassign', {
      lead_number: client.lead_number,
      filtered_psychologists: 'Борис Запасов, вера резервова',
      slots: '11.12 16:00;12.12 09:00;13.12 09:00',
      _queries: 'Тревога;Сон',
    });
    expect(res.statusCode, res.body).toBe(200);
    const ticket = await t.deps.db
      .selectFrom('hraniteli_tickets')
      .selectAll()
      .where('ticket_id', '=', res.json().ticket_id)
      .executeTakeFirstOrThrow();
    expect(ticket.type).toBe('reassignment');
    expect(ticket.parent_ticket_id).toBe(client.ticket_id);
    expect([...ticket.matched_psychologists].sort()).toEqual([boris.id, vera.id].sort());
    expect(ticket.candidate_slot_ids).toHaveLength(2);
    const offer = (await outboxTo(t, '8800002')).at(-1)!;
    expect(offer.text).toContain('Борис Запасов, Вера Резервова');
    const labels = (offer.buttons as { text: string }[][]).flat().map((b) => b.text);
    expect(labels).toEqual(['11.12 16:00 — Борис Запасов', '12.12 09:00 — Вера Резервова']);
  });

  it('reassign never offers a free time that has passed or is too close to book', async () => {
    const client = await clientWithSession('8800011');
    // Now is 07.12 12:00: 11:00 has passed, 12:30 is within MIN_LEAD_MINUTES, 15:00 can be booked.
    await addSlots(t, vera.id, ['07.12 11:00', '07.12 12:30', '07.12 15:00']);
    const res = await post('/reassign', {
      lead_number: client.lead_number,
      filtered_psychologists: 'Вера Резервова',
      slots: '07.12 11:00;07.12 12:30;07.12 15:00',
    });
    expect(res.statusCode, res.body).toBe(200);
    const offer = (await outboxTo(t, '8800011')).at(-1)!;
    const labels = (offer.buttons as { text: string }[][]).flat().map((b) => b.text);
    expect(labels).toEqual(['07.12 15:00 — Вера Резервова']);
  });

  it('ticket info for reassignment names the chosen and matched psychologists and the last session', async () => {
    const client = await clientWithSession('8800003');
    const res = await get(
      `/get-ticket-info-for-reassigment-without-schedule?lead_number=${client.lead_number}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.chosen_psychologist).toBe(anna.name);
    expect([...body.matched_psychologists].sort()).toEqual([anna.name, boris.name, vera.name].sort());
    expect(body.queries).toEqual(['Переназначение']);
    expect(body.last_session).toMatchObject({ psychologist: anna.name, status: 'pending' });
    expect(body.ticket.ticket_id).toBe(client.ticket_id);
  });

  it('schedule: "time" is the chosen psychologist only, "psychologist" the other matched ones', async () => {
    const client = await clientWithSession('8800004');
    const read = (mode: string, token = client.token) =>
      get(
        `/get-reassignment-schedule?lead_number=${client.lead_number}&mode=${mode}&userTimeOffsetMsk=2`,
        bearer(token),
      );
    const time = (await read('time')).json();
    expect(time.available_slots.length).toBeGreaterThan(0);
    expect(new Set(time.available_slots.map((s: { psychologist: string }) => s.psychologist))).toEqual(
      new Set([anna.name]),
    );
    const other = (await read('psychologist')).json();
    const names = new Set(other.available_slots.map((s: { psychologist: string }) => s.psychologist));
    expect(names.has(anna.name)).toBe(false);
    expect(names).toEqual(new Set([boris.name, vera.name]));
    // The client's offset: 11.12 16:00 Moscow is 18:00 at +2.
    expect(other.available_slots).toContainEqual(
      expect.objectContaining({
        psychologist: boris.name,
        date: '11.12',
        time: '18:00',
        start_iso: '2026-12-11T13:00:00.000Z',
      }),
    );

    expect((await read('both')).statusCode).toBe(400);
    expect((await get(`/get-reassignment-schedule?lead_number=zz0000&mode=time`)).statusCode).toBe(404);
    // A client token cannot tell an unknown lead from another person's.
    const unknown = await get(
      `/get-reassignment-schedule?lead_number=zz0000&mode=time`,
      bearer(client.token),
    );
    expect(unknown.statusCode).toBe(403);
    const stranger = await clientWithSession('8800005');
    expect((await read('time', stranger.token)).statusCode).toBe(403);
    // A submission's ticket token is not the whole client.
    expect((await read('time', client.client_token)).statusCode).toBe(403);
  });
});

describe('POST /client-os', () => {
  it('stores the answers with client, psychologist and session; a numeric mark rates; later → a follow-up', async () => {
    const client = await clientWithSession('8800006');
    // The questionnaire comes after the session (21.12, an hour long).
    t.clock.set(new Date('2026-12-21T21:00:00.000Z'));
    const res = await post(
      '/client-os',
      {
        anketa: {
          mark: '2',
          feelings: 'тяжело',
          needs: 'поддержка',
          wantOtherPschologist: 'Нет',
          secondSessionTime: 'через 3 недели',
        },
        telegram_id: '8800006',
        psychologist_name: anna.name,
        session_date: client.time,
      },
      bearer(client.token),
    );
    expect(res.statusCode, res.body).toBe(200);
    const stored = await t.deps.db
      .selectFrom('client_questionnaires')
      .selectAll()
      .where('client_id', '=', client.client_id)
      .executeTakeFirstOrThrow();
    expect(stored.psychologist_id).toBe(anna.id);
    expect(stored.session_id).toBe(client.sessionId);
    expect(stored.anketa).toMatchObject({ mark: '2', feelings: 'тяжело' });
    const session = await t.deps.db
      .selectFrom('hraniteli_sessions')
      .select('rating')
      .where('id', '=', client.sessionId)
      .executeTakeFirstOrThrow();
    expect(session.rating).toBe(2);
    const followups = await t.deps.db
      .selectFrom('client_followups')
      .select(['kind', 'psychologist_id'])
      .where('client_id', '=', client.client_id)
      .execute();
    expect(followups).toEqual([{ kind: 'after_3_weeks', psychologist_id: anna.id }]);
    const summary = (await outboxTo(t, '-100500')).at(-1)!.text;
    expect(summary).toContain(`Анкета после сессии: ${client.lead_number}, психолог ${anna.name}`);
    expect(summary).toContain('Чувства:\n┃ тяжело');
    expect(summary).not.toContain('просит другого психолога');
    t.clock.set(TEST_NOW);
  });

  it('a mark rates the latest session that took place — never one still ahead', async () => {
    const client = await clientWithSession('8800010');
    const rated = async () =>
      (
        await t.deps.db
          .selectFrom('hraniteli_sessions')
          .select(['id', 'rating'])
          .where('client_id', '=', client.client_id)
          .orderBy('start_at')
          .execute()
      ).map((s) => [s.id, s.rating]);
    const answer = async (mark: string, sessionDate?: string) => {
      const res = await post(
        '/client-os',
        {
          anketa: { mark },
          telegram_id: '8800010',
          psychologist_name: anna.name,
          ...(sessionDate ? { session_date: sessionDate } : {}),
        },
        bearer(client.token),
      );
      expect(res.statusCode, res.body).toBe(200);
      // Each answer a minute after the one before, so the newest is known by its time.
      t.clock.advance(60_000);
    };
    const linkedTo = async () =>
      (
        await t.deps.db
          .selectFrom('client_questionnaires')
          .select('session_id')
          .where('client_id', '=', client.client_id)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow()
      ).session_id;
    // Before the session: stored (about the coming session), nothing rated.
    await answer('1');
    expect(await linkedTo()).toBe(client.sessionId);
    expect(await rated()).toEqual([[client.sessionId, null]]);
    try {
      // After it ended (still pending: the feedback sweep has not run) the next session is booked.
      t.clock.set(new Date('2026-12-22T09:00:00.000Z'));
      const [next] = await addSlots(t, anna.id, ['28.12 10:00']);
      const booked = await t.admin({
        method: 'POST',
        url: '/admin/sessions',
        payload: { slot_id: next!.id, lead_number: client.lead_number },
      });
      expect(booked.statusCode, booked.body).toBe(201);
      const nextId = booked.json().session.id as string;
      // The mark goes to the session that took place, not to the later one ahead.
      await answer('4');
      expect(await linkedTo()).toBe(client.sessionId);
      expect(await rated()).toEqual([
        [client.sessionId, 4],
        [nextId, null],
      ]);
      // A session_date naming the session ahead stores the answers with it but rates nothing.
      await answer('2', '28.12 10:00');
      expect(await linkedTo()).toBe(nextId);
      expect(await rated()).toEqual([
        [client.sessionId, 4],
        [nextId, null],
      ]);
    } finally {
      t.clock.set(TEST_NOW);
    }
  });

  it('"wants another psychologist" alerts the operators and offers the other matched psychologists’ times', async () => {
    const client = await clientWithSession('8800007');
    const res = await post(
      '/client-os',
      {
        anketa: { mark: 'хорошо', wantOtherPschologist: 'Да', secondSessionTime: 'сейчас' },
        utm_client: client.lead_number,
        psychologist_name: anna.name,
      },
      bearer(client.token),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect((await outboxTo(t, '-100500')).at(-1)!.text).toContain('Клиент просит другого психолога');
    const offer = (await outboxTo(t, '8800007')).at(-1)!;
    const labels = (offer.buttons as { text: string }[][]).flat().map((b) => b.text);
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.every((l) => !l.includes(anna.name))).toBe(true);
    const followups = await t.deps.db
      .selectFrom('client_followups')
      .select('id')
      .where('client_id', '=', client.client_id)
      .execute();
    expect(followups).toHaveLength(0);
  });

  it('another person’s token → 403, nothing stored; no client reference → 400', async () => {
    const owner = await clientWithSession('8800008');
    const stranger = await clientWithSession('8800009');
    const res = await post(
      '/client-os',
      { anketa: { mark: '5' }, telegram_id: '8800008' },
      bearer(stranger.token),
    );
    expect(res.statusCode).toBe(403);
    const stored = await t.deps.db
      .selectFrom('client_questionnaires')
      .select('id')
      .where('client_id', '=', owner.client_id)
      .execute();
    expect(stored).toHaveLength(0);
    expect((await post('/client-os', { anketa: {} }, bearer(owner.token))).statusCode).toBe(400);
    // Unknown and foreign look the same to a client token.
    const unknown = await post(
      '/client-os',
      { anketa: { mark: '5' }, telegram_id: '8899999' },
      bearer(owner.token),
    );
    expect(unknown.statusCode).toBe(403);
  });
});
