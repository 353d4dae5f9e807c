// The year of a "DD.MM HH:mm" input is the one that puts the moment closest to now (SPEC §3): around
// New Year, "02.01" means next January and "28.12" means last December.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { addSlots, createPsychologist, submitApplication, postAs } from '../support/fixtures.ts';

let t: TestApp;
beforeAll(async () => {
  // 28.12.2026, 12:00 Moscow.
  t = await createTestApp({}, '2026-12-28T09:00:00.000Z');
});
afterAll(async () => t.close());

describe('year rule on DD.MM HH:mm inputs', () => {
  it('reads "02.01 10:00" on 28.12 as next January in slots, selections and confirmations', async () => {
    const p = await createPsychologist(t, { queries: ['Новый год'] });
    const [slot] = await addSlots(t, p.id, ['02.01 10:00']);
    expect(slot!.start_iso).toBe('2027-01-02T07:00:00.000Z');
    const app = await submitApplication(t, {
      selected_slots: ['02.01 10:00'],
      preferences: { specializations: ['Новый год'] },
    });
    expect(app.matched_psychologists[0]!.slots.map((s) => s.start_iso)).toEqual(['2027-01-02T07:00:00.000Z']);
    const confirm = await postAs(t, app.client_token, '/confirm-session-by-client', {
      ticket_id: app.ticket_id,
      slot_time: '02.01 10:00',
    });
    expect(confirm.statusCode, confirm.body).toBe(200);
    const listed = await t.app.inject({ url: '/get-available-slots?from=2027-01-01&to=2027-01-03' });
    expect(listed.json().slots).toEqual([]);
  });

  it('reads "28.12 10:00" on 02.01 as last December', async () => {
    const p = await createPsychologist(t);
    t.clock.set('2027-01-02T09:00:00.000Z');
    try {
      const [slot] = await addSlots(t, p.id, ['28.12 10:00']);
      expect(slot!.start_iso).toBe('2026-12-28T07:00:00.000Z');
    } finally {
      t.clock.set('2026-12-28T09:00:00.000Z');
    }
  });
});
