// The psychologists' events calendar (/calendar?secret=, spec/web-form.md A and C.6): the page's own
// requests replayed through test/support/calendar-page.ts, the operators' events API, and the rules of
// joining and leaving — a registration is a booked slot of the psychologist at the event's time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../../src/db/invariants.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import {
  cancelRequest,
  joinRequest,
  loadCalendar,
  readCalendar,
  viewerName,
  type PageEvent,
} from '../support/calendar-page.ts';
import {
  addSlots,
  createPsychologist,
  submitApplication,
  type PsychologistFixture,
} from '../support/fixtures.ts';
import { outboxTo } from '../support/telegram.ts';

let t: TestApp;
let anna: PsychologistFixture;
let boris: PsychologistFixture;
let annaSecret: string;
let borisSecret: string;

async function issueSecret(id: string): Promise<string> {
  const res = await t.admin({ method: 'POST', url: `/admin/psychologists/${id}/calendar-secret` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().secret as string;
}

let eventCounter = 0;
async function createEvent(fields: Record<string, unknown> = {}) {
  eventCounter++;
  const res = await t.admin({
    method: 'POST',
    url: '/admin/events',
    payload: {
      title: `Супервизия ${eventCounter}`,
      event_type: 'супервизия',
      event_modal_type: 'гештальт',
      description: '<p>Описание</p>',
      organizator_name: 'Иванова Мария',
      max_participants: 5,
      date: '2026-12-09',
      time: '19:00',
      ...fields,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().event as PageEvent & { id: string };
}

async function pageEvents(secret: string): Promise<PageEvent[]> {
  const { events, slots } = await loadCalendar(t, secret);
  expect(events.statusCode, events.body).toBe(200);
  expect(slots.statusCode, slots.body).toBe(200);
  return readCalendar(events, slots);
}

beforeAll(async () => {
  t = await createTestApp();
  anna = await createPsychologist(t, { name: 'Анна Календарная', telegram_id: '7001' });
  boris = await createPsychologist(t, { name: 'Борис Календарный', telegram_id: '7002' });
  annaSecret = await issueSecret(anna.id);
  borisSecret = await issueSecret(boris.id);
});
afterAll(async () => {
  expect(await invariantViolations(t.deps.db)).toEqual([]);
  await t.close();
});

describe('the page: load, join, leave (C.6 replayed)', () => {
  it('lists the events of the four weeks as a bare array, marks a join registered through get-slot, and a leave not', async () => {
    const event = await createEvent({
      title: 'Супервизия по средам',
      description:
        '<p onclick="x()">Разбор <b>случаев</b></p><script>alert(1)</script><a href="javascript:alert(1)">x</a>',
      event_link: 'https://meet.example/room',
      event_folder: 'https://drive.example/folder',
      organizator_name: 'Иванова Мария, Календарный Борис',
    });
    // Outside the window (from the Sunday before this week's Monday to 35 days after it): not listed.
    await createEvent({ title: 'Прошлое', date: '2026-12-05' });
    await createEvent({ title: 'Далёкое', date: '2027-01-12' });
    await createEvent({ title: 'Черновик', is_published: false });

    const before = await pageEvents(annaSecret);
    const shown = before.find((e) => e.id === event.id)!;
    expect(shown).toMatchObject({
      title: 'Супервизия по средам',
      event_modal_type: 'гештальт',
      date: '2026-12-09',
      time: '19:00',
      current_participants: 0,
      max_participants: 5,
      is_registered: false,
      slot_id: null,
      is_canceled: false,
      // Links only for registered psychologists and organizers.
      event_link: null,
      event_folder: null,
    });
    expect(shown.description).toBe('<p>Разбор <b>случаев</b></p><a>x</a>');
    const titles = before.map((e) => e.title);
    expect(titles).not.toContain('Прошлое');
    expect(titles).not.toContain('Далёкое');
    expect(titles).not.toContain('Черновик');

    // Boris organizes it ("Календарный Борис" is his name in another order): he sees the links.
    const asOrganizer = (await pageEvents(borisSecret)).find((e) => e.id === event.id)!;
    expect(asOrganizer.event_link).toBe('https://meet.example/room');
    expect(await viewerName(t, borisSecret)).toBe('Борис Календарный');

    const joined = await joinRequest(t, annaSecret, shown);
    expect(joined.statusCode, joined.body).toBe(200);
    const { id } = joined.json() as { success: true; id: string };
    expect(joined.json().success).toBe(true);

    const after = (await pageEvents(annaSecret)).find((e) => e.id === event.id)!;
    expect(after).toMatchObject({
      is_registered: true,
      slot_id: id,
      current_participants: 1,
      event_link: 'https://meet.example/room',
      event_folder: 'https://drive.example/folder',
    });

    // Joining again answers the same slot and counts nothing.
    const again = await joinRequest(t, annaSecret, shown);
    expect(again.json()).toEqual({ success: true, id });

    const left = await cancelRequest(t, annaSecret, id);
    expect(left.statusCode, left.body).toBe(200);
    expect(left.json()).toEqual({ success: true });
    expect(left.headers['cache-control']).toBe('no-store');
    // The same GET twice cancels once.
    expect((await cancelRequest(t, annaSecret, id)).statusCode).toBe(200);
    const gone = (await pageEvents(annaSecret)).find((e) => e.id === event.id)!;
    expect(gone).toMatchObject({ is_registered: false, slot_id: null, current_participants: 0 });
  });

  it('holds a free slot the psychologist had at that time, and gives it back free on leaving', async () => {
    const [slot] = await addSlots(t, anna.id, ['2026-12-10 18:00']);
    const event = await createEvent({ date: '2026-12-10', time: '18:00' });
    const joined = await joinRequest(t, annaSecret, event);
    expect(joined.json().id).toBe(slot!.id);
    const held = await t.admin({ url: `/admin/slots?psychologist=${anna.id}&from=2026-12-10&to=2026-12-10` });
    expect(held.json().slots[0]).toMatchObject({ id: slot!.id, state: 'booked', session: null });
    // No client can book it meanwhile.
    const client = await submitApplication(t, { contact: { type: 'telegram', value: '@cal_client_one' } });
    const booking = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: client.lead_number, ticket_id: client.ticket_id },
    });
    expect(booking.statusCode).toBe(409);

    expect((await cancelRequest(t, annaSecret, slot!.id)).statusCode).toBe(200);
    const freed = await t.admin({
      url: `/admin/slots?psychologist=${anna.id}&from=2026-12-10&to=2026-12-10`,
    });
    expect(freed.json().slots).toHaveLength(1);
    expect(freed.json().slots[0]).toMatchObject({ id: slot!.id, state: 'free' });
  });

  it('removes a slot that existed only for the event when the psychologist leaves', async () => {
    const event = await createEvent({ date: '2026-12-11', time: '20:00' });
    const { id } = (await joinRequest(t, borisSecret, event)).json() as { id: string };
    const days = (await loadCalendar(t, borisSecret)).slots.json() as {
      items: {
        date: string;
        slots: Record<
          string,
          { id: string; status: string; event: string | null; slot_over_event: boolean }[]
        >;
      }[];
    }[];
    const day = days[0]!.items.find((d) => d.date === '2026-12-11')!;
    expect(day.slots['20:00']).toEqual([
      { id, status: 'Забронирован', event: event.title, event_modal_type: 'гештальт', slot_over_event: true },
    ]);
    await cancelRequest(t, borisSecret, id);
    const slots = await t.admin({
      url: `/admin/slots?psychologist=${boris.id}&from=2026-12-11&to=2026-12-11`,
    });
    expect(slots.json().slots).toEqual([]);
  });
});

describe('refusals of join-to-event and cancel-slot', () => {
  it('refuses a join over a client session with 409 slot_busy, and leaving a client session with 409', async () => {
    const [slot] = await addSlots(t, anna.id, ['2026-12-14 11:00']);
    const client = await submitApplication(t, { contact: { type: 'telegram', value: '@cal_client_two' } });
    const booked = await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: slot!.id, lead_number: client.lead_number, ticket_id: client.ticket_id },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    // An event at 11:30 overlaps the 11:00–12:00 session too.
    for (const time of ['11:00', '11:30']) {
      const event = await createEvent({ date: '2026-12-14', time });
      const res = await joinRequest(t, annaSecret, event);
      expect(res.statusCode, time).toBe(409);
      expect(res.json().error.type).toBe('slot_busy');
    }
    const cancel = await cancelRequest(t, annaSecret, slot!.id);
    expect(cancel.statusCode).toBe(409);
    // The session stands; get-slot shows it booked with nothing about the client.
    const days = (await loadCalendar(t, annaSecret)).slots.json() as {
      items: { date: string; slots: Record<string, unknown[]> }[];
    }[];
    const day = days[0]!.items.find((d) => d.date === '2026-12-14')!;
    expect(day.slots['11:00']).toEqual([
      { id: slot!.id, status: 'Забронирован', event: null, event_modal_type: null, slot_over_event: true },
    ]);
    expect(JSON.stringify(days)).not.toContain('cal_client_two');
  });

  it('answers 409 for a full, cancelled or started event and 404 for an unknown one', async () => {
    const full = await createEvent({ max_participants: 1, date: '2026-12-15' });
    expect((await joinRequest(t, annaSecret, full)).statusCode).toBe(200);
    const refused = await joinRequest(t, borisSecret, full);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.type).toBe('event_full');

    const canceled = await createEvent({ date: '2026-12-16' });
    await t.admin({ method: 'DELETE', url: `/admin/events/${canceled.id}` });
    const onCanceled = await joinRequest(t, annaSecret, canceled);
    expect(onCanceled.statusCode).toBe(409);
    expect(onCanceled.json().error.type).toBe('event_canceled');

    const unknown = await joinRequest(t, annaSecret, {
      date: '2026-12-16',
      time: '19:00',
      title: 'Нет такого',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.type).toBe('event_not_found');
    const wrongTime = await joinRequest(t, annaSecret, { ...full, time: '19:01' });
    expect(wrongTime.statusCode).toBe(404);

    const soon = await createEvent({ date: '2026-12-07', time: '13:00' });
    const { id } = (await joinRequest(t, borisSecret, soon)).json() as { id: string };
    t.clock.set('2026-12-07T10:05:00.000Z');
    try {
      const late = await joinRequest(t, annaSecret, soon);
      expect(late.statusCode).toBe(409);
      expect(late.json().error.type).toBe('event_started');
      const leaveLate = await cancelRequest(t, borisSecret, id);
      expect(leaveLate.statusCode).toBe(409);
      expect(leaveLate.json().error.type).toBe('event_started');
    } finally {
      t.clock.set('2026-12-07T09:00:00.000Z');
    }
  });

  it("refuses another psychologist's slot with 403 and changes nothing", async () => {
    const event = await createEvent({ date: '2026-12-17' });
    const { id } = (await joinRequest(t, annaSecret, event)).json() as { id: string };
    const res = await cancelRequest(t, borisSecret, id);
    expect(res.statusCode).toBe(403);
    const regs = await t.admin({ url: `/admin/events/${event.id}/registrations` });
    expect(regs.json().registrations).toEqual([
      expect.objectContaining({ psychologist_id: anna.id, psychologist: anna.name, slot_id: id }),
    ]);
    expect(regs.json().event.current_participants).toBe(1);
  });

  it('answers 400 naming the field for a malformed date, time, title or slot id', async () => {
    const cases: (() => ReturnType<typeof joinRequest>)[] = [
      () => joinRequest(t, annaSecret, { date: '2026-13-40', time: '19:00', title: 'x' }),
      () => joinRequest(t, annaSecret, { date: '09.12.2026', time: '19:00', title: 'x' }),
      () => joinRequest(t, annaSecret, { date: '2026-12-09', time: '25:00', title: 'x' }),
      () => joinRequest(t, annaSecret, { date: '2026-12-09', time: '19:00', title: '' }),
      () => cancelRequest(t, annaSecret, 'not-a-uuid'),
    ];
    const fields = ['date', 'date', 'time', 'event', 'slot'];
    for (const [i, send] of cases.entries()) {
      const res = await send();
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.details[0].field).toBe(fields[i]);
    }
    const range = await t.app.inject({
      url: `/get-slot?startDate=2026-12-01&endDate=2027-03-01&secret=${annaSecret}`,
    });
    expect(range.statusCode).toBe(400);
    expect(range.json().error.details[0].field).toBe('endDate');
  });
});

describe('operators: events and registrations', () => {
  it('creates events with sanitized descriptions, refuses a second one of the same title at the same time, and bad links', async () => {
    const event = await createEvent({
      date: '2026-12-18',
      description: '<img src=x onerror=alert(1)><p>Текст <a href="https://ok.example/">ссылка</a></p>',
    });
    expect(event.description).toBe(
      '<p>Текст <a href="https://ok.example/" target="_blank" rel="noopener noreferrer nofollow">ссылка</a></p>',
    );
    const stored = await t.deps.db
      .selectFrom('calendar_events')
      .select('description')
      .where('id', '=', event.id)
      .executeTakeFirstOrThrow();
    expect(stored.description).not.toContain('onerror');

    const twice = await t.admin({
      method: 'POST',
      url: '/admin/events',
      payload: {
        title: event.title,
        event_type: 'лекция',
        event_modal_type: 'общие',
        max_participants: 3,
        date: '2026-12-18',
        time: '19:00',
      },
    });
    expect(twice.statusCode).toBe(409);
    for (const [field, value] of [
      ['event_link', 'javascript:alert(1)'],
      ['organizator_link', 'data:text/html,x'],
      ['event_modal_type', 'КПТ-2'],
      ['max_participants', 0],
    ] as const) {
      const res = await t.admin({
        method: 'POST',
        url: '/admin/events',
        payload: {
          title: 'Плохое',
          event_type: 'лекция',
          event_modal_type: 'общие',
          max_participants: 3,
          date: '2026-12-18',
          time: '10:00',
          [field]: value,
        },
      });
      expect(res.statusCode, field).toBe(400);
      expect(res.json().error.details[0].field).toBe(field);
    }
  });

  it('changes an event, keeps the time of one with registrations, and cancels it: slots freed, psychologists told', async () => {
    const event = await createEvent({ date: '2026-12-21', time: '18:00', max_participants: 3 });
    const patched = await t.admin({
      method: 'PATCH',
      url: `/admin/events/${event.id}`,
      payload: { time: '18:30', description: '<p>Новое <script>x</script></p>' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().event).toMatchObject({ time: '18:30', description: '<p>Новое </p>' });
    const moved = { ...event, time: '18:30' };
    const a = (await joinRequest(t, annaSecret, moved)).json() as { id: string };
    await joinRequest(t, borisSecret, moved);
    const moveAgain = await t.admin({
      method: 'PATCH',
      url: `/admin/events/${event.id}`,
      payload: { time: '19:00' },
    });
    expect(moveAgain.statusCode).toBe(409);
    const shrink = await t.admin({
      method: 'PATCH',
      url: `/admin/events/${event.id}`,
      payload: { max_participants: 1 },
    });
    expect(shrink.statusCode).toBe(409);

    const canceled = await t.admin({ method: 'DELETE', url: `/admin/events/${event.id}` });
    expect(canceled.statusCode, canceled.body).toBe(200);
    expect(canceled.json()).toMatchObject({
      released: 2,
      event: { is_canceled: true, current_participants: 0 },
    });
    const page = (await pageEvents(annaSecret)).find((e) => e.id === event.id)!;
    expect(page).toMatchObject({ is_canceled: true, is_registered: false });
    const told = await outboxTo(t, '7001');
    expect(told.some((m) => m.text.includes(event.title) && m.text.includes('отменено'))).toBe(true);
    expect((await outboxTo(t, '7002')).some((m) => m.text.includes(event.title))).toBe(true);
    // Anna's slot was made for the event: it is gone; leaving it now is a no-op.
    expect((await cancelRequest(t, annaSecret, a.id)).statusCode).toBe(200);
    const regs = await t.admin({ url: `/admin/events/${event.id}/registrations` });
    expect(regs.json().registrations).toEqual([]);
    expect(
      (await t.admin({ url: '/admin/events/00000000-0000-4000-8000-000000000000/registrations' })).statusCode,
    ).toBe(404);
  });

  it('keeps the events API to the service key', async () => {
    for (const [method, url] of [
      ['POST', '/admin/events'],
      ['GET', '/admin/events'],
      ['POST', `/admin/psychologists/${anna.id}/calendar-secret`],
    ] as const) {
      const res = await t.app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
      expect(res.statusCode, url).toBe(401);
    }
  });
});
