// The operator API: psychologists, slots, tickets, outbox, and the answers when the database is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { addSlots, createPsychologist, submitApplication } from '../support/fixtures.ts';
import { onPostgres } from '../support/database.ts';
import { openPostgres } from '../../src/db/database.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

describe('psychologists', () => {
  it('creates, lists, updates; names are unique ignoring case, spaces and ё', async () => {
    const created = await t.admin({
      method: 'POST',
      url: '/admin/psychologists',
      payload: {
        name: '  Пётр   Админов ',
        sex: 'male',
        min_price: 2000,
        max_price: 3000,
        telegram_username: '@petr_admin',
        queries: ['Тревога'],
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().psychologist).toMatchObject({
      name: 'Пётр Админов',
      telegram_username: 'petr_admin',
      is_active: true,
      help_hand: false,
    });
    const dup = await t.admin({
      method: 'POST',
      url: '/admin/psychologists',
      payload: { name: 'петр админов', sex: 'male', min_price: 1, max_price: 2 },
    });
    expect(dup.statusCode).toBe(409);
    const id = created.json().psychologist.id;
    const patched = await t.admin({
      method: 'PATCH',
      url: `/admin/psychologists/${id}`,
      payload: { is_active: false, debt: 4 },
    });
    expect(patched.json().psychologist).toMatchObject({ is_active: false, debt: 4 });
    const active = await t.admin({ url: '/admin/psychologists?active=true' });
    expect(active.json().psychologists.map((p: { id: string }) => p.id)).not.toContain(id);
    const all = await t.admin({ url: '/admin/psychologists' });
    expect(all.json().psychologists.map((p: { id: string }) => p.id)).toContain(id);
    const badPrice = await t.admin({
      method: 'PATCH',
      url: `/admin/psychologists/${id}`,
      payload: { min_price: 9000 },
    });
    expect(badPrice.statusCode).toBe(400);
    expect(badPrice.json().error.details[0].field).toBe('max_price');
    expect(
      (
        await t.admin({
          method: 'PATCH',
          url: '/admin/psychologists/00000000-0000-4000-8000-000000000000',
          payload: { debt: 1 },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await t.admin({ method: 'PATCH', url: `/admin/psychologists/${id}`, payload: {} })).statusCode,
    ).toBe(400);
  });
  it('answers a rename to a name already taken with 409, also when two renames race', async () => {
    const first = await createPsychologist(t, { name: 'Ирина Первая' });
    const second = await createPsychologist(t, { name: 'Ольга Вторая' });
    const rename = (id: string, name: string) =>
      t.admin({ method: 'PATCH', url: `/admin/psychologists/${id}`, payload: { name } });

    const taken = await rename(second.id, '  ирина   пёрвая ');
    expect(taken.statusCode, taken.body).toBe(409);
    expect(taken.json().error.type).toBe('duplicate_name');
    const list = (await t.admin({ url: '/admin/psychologists' })).json().psychologists as {
      id: string;
      name: string;
    }[];
    expect(list.find((p) => p.id === second.id)?.name).toBe('Ольга Вторая');
    // Its own name in another spelling is no duplicate.
    const own = await rename(first.id, 'Ирина  ПЕРВАЯ');
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json().psychologist.name).toBe('Ирина ПЕРВАЯ');

    const raced = await Promise.all([rename(first.id, 'Алла Третья'), rename(second.id, 'алла третья')]);
    expect(raced.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(raced.find((r) => r.statusCode === 409)?.json().error.type).toBe('duplicate_name');
  });
});

describe('slots', () => {
  it('adds slots in any time format, skipping duplicates, and lists them with state and session', async () => {
    const p = await createPsychologist(t, { name: 'Слот Админский' });
    const res = await t.admin({
      method: 'POST',
      url: '/admin/slots',
      payload: {
        psychologist: 'слот админский',
        slots: ['08.12 10:00', '2026-12-08 11:00', '2026-12-08T09:00:00+03:00', '08.12 11:00'],
        price: 2500,
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().created.map((s: { time: string }) => s.time)).toEqual(['09:00', '10:00', '11:00']);
    expect(res.json().skipped).toBe(1);
    const again = await t.admin({
      method: 'POST',
      url: '/admin/slots',
      payload: { psychologist_id: p.id, slots: ['08.12 10:00', '08.12 12:00'] },
    });
    expect(again.json()).toMatchObject({ skipped: 1, created: [{ time: '12:00' }] });
    const bad = await t.admin({
      method: 'POST',
      url: '/admin/slots',
      payload: { psychologist_id: p.id, slots: ['08.12 10:00', '30.02 10:00'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('slots.1');
    const tooMany = await t.admin({
      method: 'POST',
      url: '/admin/slots',
      payload: { psychologist_id: p.id, slots: Array.from({ length: 5001 }, () => '08.12 10:00') },
    });
    expect(tooMany.statusCode).toBe(400);

    const client = await submitApplication(t);
    const slotId = res.json().created[0].id;
    await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slotId, lead_number: client.lead_number },
    });
    const list = await t.admin({ url: `/admin/slots?psychologist=${p.id}&from=2026-12-08&to=2026-12-08` });
    const slots = list.json().slots;
    expect(slots).toHaveLength(4);
    expect(slots[0]).toMatchObject({
      time: '09:00',
      state: 'booked',
      price: 2500,
      session: { status: 'pending', ticket_id: client.ticket_id },
    });
    expect(
      (await t.admin({ url: `/admin/slots?psychologist=${p.id}&state=free` })).json().slots,
    ).toHaveLength(3);

    expect((await t.admin({ method: 'DELETE', url: `/admin/slots/${slotId}` })).statusCode).toBe(409);
    const freeId = slots[1].id;
    expect((await t.admin({ method: 'DELETE', url: `/admin/slots/${freeId}` })).statusCode).toBe(200);
    expect((await t.admin({ method: 'DELETE', url: `/admin/slots/${freeId}` })).statusCode).toBe(404);
  });
});

describe('tickets and outbox', () => {
  it('pages tickets newest first with a cursor and filters', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1000);
      made.push((await submitApplication(t)).ticket_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.admin({
        url: `/admin/tickets?type=application&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.tickets.length).toBeLessThanOrEqual(2);
      seen.push(...page.tickets.map((x: { ticket_id: string }) => x.ticket_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.slice(0, 5)).toEqual([...made].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    expect((await t.admin({ url: '/admin/tickets?limit=501' })).statusCode).toBe(400);
    expect((await t.admin({ url: '/admin/tickets?cursor=garbage' })).statusCode).toBe(400);
    expect(
      (await t.admin({ url: '/admin/tickets?status=booked' }))
        .json()
        .tickets.every((x: { status: string }) => x.status === 'booked'),
    ).toBe(true);
  });

  it('shows one ticket with its client, sessions and messages', async () => {
    const p = await createPsychologist(t);
    const [slot] = await addSlots(t, p.id, ['09.12 10:00']);
    const app = await submitApplication(t);
    await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: app.lead_number },
    });
    const res = await t.admin({ url: `/admin/tickets/${app.ticket_id}` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.ticket.ticket_id).toBe(app.ticket_id);
    expect(body.client.lead_number).toBe(app.lead_number);
    expect(body.sessions).toHaveLength(1);
    expect(body.messages.length).toBeGreaterThanOrEqual(4);
    expect((await t.admin({ url: '/admin/tickets/1000001' })).statusCode).toBe(404);
    const client = await t.admin({ url: `/admin/clients/${app.lead_number}` });
    expect(client.json()).toMatchObject({
      client: { lead_number: app.lead_number },
      tickets: [{ ticket_id: app.ticket_id }],
    });
  });

  it('lists outbox messages newest first, filtered by chat and status', async () => {
    const res = await t.admin({ url: '/admin/outbox?chat_id=-100500&status=skipped&limit=3' });
    expect(res.statusCode).toBe(200);
    const messages = res.json().messages;
    expect(messages).toHaveLength(3);
    expect(
      messages.every(
        (m: { chat_id: string; status: string }) => m.chat_id === '-100500' && m.status === 'skipped',
      ),
    ).toBe(true);
    expect(messages[0].id).toBeGreaterThan(messages[1].id);
    expect(Object.keys(messages[0])).toEqual(
      expect.arrayContaining([
        'id',
        'chat_id',
        'text',
        'status',
        'attempts',
        'last_error',
        'created_at',
        'sent_at',
      ]),
    );
  });
});

describe('database down', () => {
  it('answers 503 in the error shape, quickly, and /ready says so', async () => {
    const broken = await createTestApp();
    if (onPostgres()) {
      // A server that does not answer: nothing listens on port 1.
      const unreachable = openPostgres('postgres://postgres@127.0.0.1:1/hraniteli', 2);
      await broken.deps.database.close();
      Object.assign(broken.deps, { database: unreachable, db: unreachable.db });
    } else {
      await broken.deps.database.close();
    }
    try {
      const started = Date.now();
      const res = await broken.app.inject({ url: '/get-available-slots' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        success: false,
        error: { code: 503, type: 'database_unavailable' },
      });
      expect(res.headers['retry-after']).toBe('5');
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await broken.app.inject({ url: '/ready' })).statusCode).toBe(503);
      expect((await broken.app.inject({ url: '/health' })).statusCode).toBe(200);
    } finally {
      await broken.app.close();
    }
  });
});
