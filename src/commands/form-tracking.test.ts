// What the operators' ticket view shows of a web form (ticketTracking), without HTTP: the tracking
// records with their step history, the step answers, the before-slots snapshot and the research rows,
// found from the ticket's own id or its form id — and only for the service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/app.ts';
import { ANONYMOUS, SERVICE } from '../domain/access.ts';
import { AppError } from '../errors.ts';
import {
  initFormTracking,
  saveAnalyticsSnapshot,
  saveStepAnswer,
  ticketTracking,
  updateTrackingStep,
} from './form-tracking.ts';
import { submitResearch } from './research.ts';
import { submitWebForm } from './submit-web-form.ts';

let t: TestApp;
let ticketId: string;

beforeAll(async () => {
  t = await createTestApp();
  const deps = t.deps;
  await initFormTracking(deps, ANONYMOUS, { ticketId: 'view1', formType: 'Исследовательская анкета' });
  t.clock.advance(5_000);
  await updateTrackingStep(deps, ANONYMOUS, { ticketId: 'view1', step: 'Город клиента' });
  await saveStepAnswer(deps, ANONYMOUS, { ticketId: 'view1', field: 'client_age', value: '44' });
  await saveStepAnswer(deps, ANONYMOUS, {
    ticketId: 'view1',
    field: 'diagnose',
    value: ['Нет диагноза'],
  });
  await saveAnalyticsSnapshot(deps, ANONYMOUS, {
    ticketId: 'view1',
    payload: { ticket_id: 'view1', age: '44' },
  });
  // Another form's answers must not show.
  await saveStepAnswer(deps, ANONYMOUS, { ticketId: 'view2', field: 'client_age', value: '19' });
  const row = await submitResearch(deps, ANONYMOUS, {
    payload: { city: 'Самара' },
    requester: { ip: '127.0.0.9', userAgent: 'x' },
  });
  t.clock.advance(5_000);
  await updateTrackingStep(deps, ANONYMOUS, { ticketId: 'view1', step: 'Заявка отправлена' });
  const submitted = await submitWebForm(deps, ANONYMOUS, {
    kind: 'application',
    body: {
      ticket_id: 'view1',
      contact: '@view_one',
      contactType: 'Telegram',
      rid: row.rowId,
      bid: row.baserowId,
    },
  });
  ticketId = submitted.ticket_id;
});
afterAll(async () => t.close());

describe('ticketTracking', () => {
  it('shows the form’s steps with times, its answers, the snapshot and the research row', async () => {
    const view = await ticketTracking(t.deps, SERVICE, { ticketRef: ticketId });
    expect(view).toMatchObject({ ticket_id: ticketId, form_ticket_id: 'view1' });
    expect(view.tracking).toHaveLength(1);
    expect(view.tracking[0]).toMatchObject({
      form_type: 'Исследовательская анкета',
      current_step: 'Заявка отправлена',
      started_at: '2026-12-07T09:00:00.000Z',
    });
    expect(view.tracking[0]!.steps).toEqual([
      { step: 'Начало', at: '2026-12-07T09:00:00.000Z' },
      { step: 'Город клиента', at: '2026-12-07T09:00:05.000Z' },
      { step: 'Заявка отправлена', at: '2026-12-07T09:00:10.000Z' },
    ]);
    expect(view.step_answers.map((a) => [a.field, a.value])).toEqual([
      ['client_age', '44'],
      ['diagnose', ['Нет диагноза']],
    ]);
    expect(view.before_slots).toEqual({ ticket_id: 'view1', age: '44' });
    expect(view.research_rows).toHaveLength(1);
    expect(view.research_rows[0]!.row).toBe(2);
  });

  it('finds the same ticket by its form id', async () => {
    const byForm = await ticketTracking(t.deps, SERVICE, { ticketRef: 'view1' });
    expect(byForm.ticket_id).toBe(ticketId);
    expect(byForm.tracking[0]!.steps).toHaveLength(3);
  });

  it('is for the service only, and 404 for an unknown ticket', async () => {
    await expect(ticketTracking(t.deps, ANONYMOUS, { ticketRef: ticketId })).rejects.toMatchObject({
      code: 'unauthorized',
    });
    const client = { kind: 'client' as const, clientId: '00000000-0000-0000-0000-000000000000' };
    await expect(ticketTracking(t.deps, client, { ticketRef: ticketId })).rejects.toBeInstanceOf(AppError);
    await expect(ticketTracking(t.deps, SERVICE, { ticketRef: 'nope42' })).rejects.toMatchObject({
      code: 'ticket_not_found',
    });
  });
});
