// The web forms' analytics (spec/endpoints.md, Analytics; spec/web-form.md B.5, B.8): a tracking record
// per form id and form type with the history of its steps, the latest value per form id of each step
// answer, and the snapshot of the answers given before slots are shown. Anyone may write these: the
// forms send them from the browser before any ticket exists. Operators read them joined to the ticket
// by its form id.
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { HELP_HAND_LINK_PATTERN } from '../domain/ids.ts';
import { FIRST_STEP } from '../domain/web-form.ts';
import { badRequest, notFound } from '../errors.ts';
import { formsRepository } from '../repositories/forms.repository.ts';
import { researchRepository } from '../repositories/research.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { inTransaction } from './transaction.ts';
import { MAX_PAGE, MAX_STEP_FIELDS, MAX_TRACKED_STEPS } from '../domain/limits.ts';

/** The largest step answer kept (its JSON text). */
export const MAX_STEP_VALUE_BYTES = 10 * 1024;

/** POST /init-form-tracking: the record of this form id and type; a second init changes nothing. */
export async function initFormTracking(
  deps: Deps,
  _actor: Actor,
  input: { ticketId: string; formType: string; step?: string },
): Promise<{ success: true }> {
  await formsRepository.startTracking(
    deps.db,
    { ticketId: input.ticketId, formType: input.formType, step: input.step ?? FIRST_STEP },
    deps.clock.now(),
  );
  return { success: true };
}

/**
 * PUT /update-tracking-step: the step joins the history of the form id's latest record (its first
 * MAX_TRACKED_STEPS steps are kept) and becomes its current step; a form id nobody initialized gets a
 * record of type "unknown".
 */
export async function updateTrackingStep(
  deps: Deps,
  _actor: Actor,
  input: { ticketId: string; step: string },
): Promise<{ success: true }> {
  // The helping-hand confirm page tracks under its link's ticket_id: the steps join the form's own record,
  // and the link (a capability) is never written down; a link that names nothing stores nothing.
  let formId = input.ticketId;
  if (HELP_HAND_LINK_PATTERN.test(formId)) {
    const ticket = await ticketsRepository.findByHelpHandLink(deps.db, formId);
    if (!ticket) return { success: true };
    formId = ticket.form_ticket_id ?? ticket.ticket_id;
  }
  await inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const record = await formsRepository.latestTrackingForUpdate(trx, formId, now, input.step);
    await formsRepository.addStep(trx, record.id, input.step, now, MAX_TRACKED_STEPS);
  });
  return { success: true };
}

/** Records which psychologists a form was offered, best first, on its latest tracking record. */
export async function recordOffered(deps: Deps, ticketId: string, names: string[]): Promise<void> {
  await inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const record = await formsRepository.latestTrackingForUpdate(trx, ticketId, now, FIRST_STEP);
    // The names of a schedule answer, in its order: the first MAX_PAGE are what an operator needs.
    await formsRepository.setOffered(trx, record.id, names.slice(0, MAX_PAGE), now);
  });
}

/** PUT /update-analytics-before-slots: the answers before slots are shown, latest wins per form id. */
export async function saveAnalyticsSnapshot(
  deps: Deps,
  _actor: Actor,
  input: { ticketId: string; payload: Record<string, unknown> },
): Promise<{ success: true }> {
  await formsRepository.saveSnapshot(deps.db, input.ticketId, input.payload, deps.clock.now());
  return { success: true };
}

/** PUT /step-analytics: the latest value of one answer of a form; unknown field names are kept too. */
export async function saveStepAnswer(
  deps: Deps,
  _actor: Actor,
  input: { ticketId: string; field: string; value: unknown },
): Promise<{ success: true }> {
  if (Buffer.byteLength(JSON.stringify(input.value)) > MAX_STEP_VALUE_BYTES)
    throw badRequest('value', `must be at most ${MAX_STEP_VALUE_BYTES} bytes as JSON`);
  const saved = await formsRepository.saveStepAnswer(
    deps.db,
    input.ticketId,
    input.field,
    input.value,
    deps.clock.now(),
    MAX_STEP_FIELDS,
  );
  if (!saved) throw badRequest('field', `a form keeps at most ${MAX_STEP_FIELDS} different fields`);
  return { success: true };
}

export interface TicketTracking {
  ticket_id: string;
  form_ticket_id: string | null;
  tracking: {
    form_type: string;
    current_step: string;
    offered_psychologists: string[] | null;
    started_at: string;
    steps: { step: string; at: string }[];
  }[];
  step_answers: { field: string; value: unknown; updated_at: string }[];
  before_slots: unknown;
  research_rows: { row: number; baserow_id: number; created_at: string }[];
}

/**
 * What the web form recorded about a ticket (its id or its form id), for the operators' ticket view:
 * the tracking records with their step history, the step answers, the before-slots snapshot and the
 * linked research rows.
 */
export async function ticketTracking(
  deps: Deps,
  actor: Actor,
  input: { ticketRef: string },
): Promise<TicketTracking> {
  requireService(actor);
  const ticket = await ticketsRepository.findByRef(deps.db, input.ticketRef);
  if (!ticket) throw notFound('ticket', `заявка ${input.ticketRef} не найдена`);
  const ids = [ticket.ticket_id, ...(ticket.form_ticket_id ? [ticket.form_ticket_id] : [])];
  const formId = ticket.form_ticket_id ?? ticket.ticket_id;
  const [records, steps, answers, snapshot, research] = await Promise.all([
    formsRepository.trackingRecords(deps.db, ids, MAX_PAGE),
    formsRepository.trackingStepsById(deps.db, ids, MAX_PAGE),
    formsRepository.stepAnswers(deps.db, ids, MAX_PAGE),
    formsRepository.snapshot(deps.db, formId),
    researchRepository.ofTicket(deps.db, ticket.ticket_id, MAX_PAGE),
  ]);
  return {
    ticket_id: ticket.ticket_id,
    form_ticket_id: ticket.form_ticket_id,
    tracking: records.map((r) => ({
      form_type: r.form_type,
      current_step: r.current_step,
      offered_psychologists: r.offered_psychologists,
      started_at: r.created_at.toISOString(),
      steps: steps
        .filter((s) => s.tracking_id === r.id)
        .map((s) => ({ step: s.step, at: s.at.toISOString() })),
    })),
    step_answers: answers.map((a) => ({
      field: a.field,
      value: a.value,
      updated_at: a.updated_at.toISOString(),
    })),
    before_slots: snapshot?.payload ?? null,
    research_rows: research.map((r) => ({
      row: r.row_number,
      baserow_id: r.id,
      created_at: r.created_at.toISOString(),
    })),
  };
}
