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

const messagesOf = (sessionId: string) =>
  t.deps.db.selectFrom('outbox').select(['dedupe_key', 'text']).where('session_id', '=', sessionId).execute();

describe('bookSlotFor', () => {
  it('asks the video provider with no transaction open and no slot locked', async () => {
    const [slot] = await addSlots(t, psychologistId, ['10.12 10:00']);
    const { clientId, ticketId } = await clientOf('@cmd_booking_one');
    let lockedDuringCall: boolean | undefined;
    t.deps.video = {
      async create(request) {
        // If the booking transaction were still open, this lock would fail (PostgreSQL: NOWAIT) or wait
        // forever for the single PGlite session.
        lockedDuringCall = await t.deps.db
          .transaction()
          .execute((trx) =>
            trx
              .selectFrom('hraniteli_slots')
              .select('id')
              .where('id', '=', slot!.id)
              .forUpdate()
              .noWait()
              .execute(),
          )
          .then(() => false)
          .catch(() => true);
        return original.create(request);
      },
    };
    try {
      const { session } = await bookSlotFor(t.deps, SERVICE, {
        slotId: slot!.id,
        clientId,
        ticketId,
        kind: 'diagnostic',
      });
      expect(lockedDuringCall).toBe(false);
      expect(session.meeting_link).toMatch(/^https:\/\/meet\.jit\.si\//);
      const keys = (await messagesOf(session.id)).map((m) => m.dedupe_key.split(':').pop());
      expect(keys.sort()).toEqual(['admin', 'client', 'psychologist']);
    } finally {
      t.deps.video = original;
    }
  });

  it('leaves a session without a link when every provider fails, and the sweep completes it once', async () => {
    const [slot] = await addSlots(t, psychologistId, ['10.12 12:00']);
    const { clientId, ticketId } = await clientOf('@cmd_booking_two');
    t.deps.video = {
      async create() {
        throw new Error('provider down');
      },
    };
    let sessionId: string;
    try {
      const { session } = await bookSlotFor(t.deps, SERVICE, {
        slotId: slot!.id,
        clientId,
        ticketId,
        kind: 'diagnostic',
      });
      sessionId = session.id;
      // The booking holds: the slot is taken and the operators know; the client's message waits for the link.
      expect(session.meeting_link).toBeNull();
      expect((await messagesOf(session.id)).map((m) => m.dedupe_key.split(':').pop())).toEqual(['admin']);
    } finally {
      t.deps.video = original;
    }
    expect(await attachMissingMeetingLinks(t.deps)).toBe(1);
    expect(await attachMissingMeetingLinks(t.deps)).toBe(0);
    const messages = await messagesOf(sessionId);
    expect(messages).toHaveLength(3);
    const client = messages.find((m) => m.dedupe_key.endsWith(':client'));
    expect(client?.text).toContain('https://meet.jit.si/');
  });
});
