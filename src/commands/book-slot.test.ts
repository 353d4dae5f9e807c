// The booking command without HTTP: the video link is made after the commit, never while the slot is
// locked, and a session left without one (provider down, crash after commit) gets it from the sweep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/app.ts';
import { addSlots, createPsychologist, submitApplication } from '../../test/support/fixtures.ts';
import { SERVICE } from '../domain/access.ts';
import type { VideoLinks } from '../integrations/video.ts';
import { attachMissingMeetingLinks } from './attach-meeting-link.ts';
import { bookSlotFor } from './book-slot.ts';

let t: TestApp;
let psychologistId: string;
let original: VideoLinks;

beforeAll(async () => {
  t = await createTestApp();
  psychologistId = (await createPsychologist(t, { name: 'Лидия Командная' })).id;
  original = t.deps.video;
});
afterAll(async () => t.close());

async function clientOf(handle: string) {
  const submitted = await submitApplication(t, { contact: { type: 'telegram', value: handle } });
  const client = await t.deps.db
    .selectFrom('hraniteli_clients')
    .select('id')
    .where('lead_number', '=', submitted.lead_number)
    .executeTakeFirstOrThrow();
  return { clientId: client.id, ticketId: submitted.ticket_id };
}

/** The recipients (client, psychologist, admin) of the outbox rows about a session. */
async function recipientsOf(sessionId: string): Promise<string[]> {
  const rows = await t.deps.db
    .selectFrom('outbox')
    .select('dedupe_key')
    .where('session_id', '=', sessionId)
    .execute();
  return rows.map((m) => m.dedupe_key.split(':').pop()!).sort();
}

/** Books a new slot at `time` for a new client while `video(slotId)` stands in for the video providers. */
async function bookWith(video: (slotId: string) => VideoLinks, time: string, handle: string) {
  const [slot] = await addSlots(t, psychologistId, [time]);
  const { clientId, ticketId } = await clientOf(handle);
  t.deps.video = video(slot!.id);
  try {
    const { session } = await bookSlotFor(t.deps, SERVICE, {
      slotId: slot!.id,
      clientId,
      ticketId,
      kind: 'diagnostic',
    });
    return session;
  } finally {
    t.deps.video = original;
  }
}

describe('bookSlotFor', () => {
  it('with Jitsi asked first, commits the link and all three messages with the booking and calls nobody', async () => {
    let calls = 0;
    const session = await bookWith(
      () => ({
        ...original,
        async create(request) {
          calls++;
          return original.create(request);
        },
      }),
      '10.12 09:00',
      '@cmd_booking_local',
    );
    expect(calls).toBe(0);
    expect(session.meeting_link).toMatch(/^https:\/\/meet\.jit\.si\//);
    expect(session.meeting_platform).toBe('jitsi');
    expect(await recipientsOf(session.id)).toEqual(['admin', 'client', 'psychologist']);
    const client = await t.deps.db
      .selectFrom('outbox')
      .select('text')
      .where('session_id', '=', session.id)
      .where('recipient', '=', 'client')
      .executeTakeFirstOrThrow();
    expect(client.text).toContain(session.meeting_link!);
  });

  it('asks the video provider with no transaction open and no slot locked', async () => {
    let lockedDuringCall: boolean | undefined;
    const session = await bookWith(
      (slotId) => ({
        ...original,
        // A provider that is called (as Zoom and Google are), not a link made locally.
        local: () => null,
        async create(request) {
          // If the booking transaction were still open, this lock would fail (PostgreSQL: NOWAIT) or wait
          // forever for the single PGlite session.
          lockedDuringCall = await t.deps.db
            .transaction()
            .execute((trx) =>
              trx
                .selectFrom('hraniteli_slots')
                .select('id')
                .where('id', '=', slotId)
                .forUpdate()
                .noWait()
                .execute(),
            )
            .then(() => false)
            .catch(() => true);
          return original.create(request);
        },
      }),
      '10.12 10:00',
      '@cmd_booking_one',
    );
    expect(lockedDuringCall).toBe(false);
    expect(session.meeting_link).toMatch(/^https:\/\/meet\.jit\.si\//);
    expect(await recipientsOf(session.id)).toEqual(['admin', 'client', 'psychologist']);
  });

  it('leaves a session without a link when every provider fails, and the sweep completes it once', async () => {
    const session = await bookWith(
      () => ({
        ...original,
        local: () => null,
        create: async () => Promise.reject(new Error('provider down')),
      }),
      '10.12 12:00',
      '@cmd_booking_two',
    );
    // The booking holds: the slot is taken and the operators know; the client's message waits for the link.
    expect(session.meeting_link).toBeNull();
    expect(await recipientsOf(session.id)).toEqual(['admin']);
    expect(await attachMissingMeetingLinks(t.deps)).toBe(1);
    expect(await attachMissingMeetingLinks(t.deps)).toBe(0);
    expect(await recipientsOf(session.id)).toEqual(['admin', 'client', 'psychologist']);
    const client = await t.deps.db
      .selectFrom('outbox')
      .select('text')
      .where('session_id', '=', session.id)
      .where('recipient', '=', 'client')
      .executeTakeFirstOrThrow();
    expect(client.text).toContain('https://meet.jit.si/');
  });
});
