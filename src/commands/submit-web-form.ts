// A person submits the web front end's application (tilda-zayavka) or diagnostic form
// (tilda-zayavka-diagnostic-v2), spec/web-form.md A and B.1. The ticket is kept under the form's own id
// (its form_ticket_id): the Telegram deep link, the tracking steps and the step answers all use it. The
// time chosen on the slot step is booked as a pending session through the one booking command; when it
// was taken meanwhile the application is still stored (the front end needs a 200), the ticket stays
// matched and the operators are asked to offer another time. A repeated form id answers the first
// result and writes nothing; its token comes back only for the very same body (a genuine retry), since
// a form id also travels in links. The helping-hand form (register-ticket-for-help-hand, web-form.md C.1)
// sends the same body without a slot: its ticket is a help_hand one at the price the person named, asked
// about by the confirm-help-hand job until an operator allots a psychologist (help-hand.ts).
import type { Deps } from '../deps.ts';
import { provenClient, provenClientOf } from './proven-client.ts';
import type { Actor } from '../domain/access.ts';
import { bodyHash } from '../domain/body-hash.ts';
import { wantedSex } from '../domain/matching.ts';
import { normalizeName } from '../domain/names.ts';
import { formatDate, formatTime, parseSlotTime } from '../domain/time.ts';
import {
  FORM_ID,
  formImportance,
  formOffsetHours,
  formPromocode,
  formRowId,
  formText,
  formTexts,
  hasPsychiatricDiagnosis,
} from '../domain/web-form.ts';
import { AppError, badRequest } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { formsRepository } from '../repositories/forms.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { researchRepository } from '../repositories/research.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { messages } from '../texts/messages.ts';
import { helpHandTexts, webFormTexts, type NotBookedReason } from '../texts/web-forms.ts';
import { bookSlot } from './book-slot.ts';
import { webFormContact } from './contact.ts';
import { CONTACTS_WINDOW_MS } from './research.ts';
import { adminMessage, newTicketMessage, notify } from './session-processes.ts';
import { collectUtm, typedContact } from './submit-application.ts';
import { helpHandPrice } from './help-hand.ts';
import { botLink, linkCheckFields, recordTicketDueTimes } from './ticket-links.ts';
import { inTransaction } from './transaction.ts';

export interface WebFormInput {
  /** application: /tilda-zayavka; diagnostic: /tilda-zayavka-diagnostic(-v2); help_hand: its form. */
  kind: 'application' | 'diagnostic' | 'help_hand';
  /** The body as the form sent it (its quirks are read here); stored as the raw payload. */
  body: Record<string, unknown>;
}

export interface WebFormSession {
  date: string;
  time: string;
  start_iso: string;
  psychologist: string;
}

export interface WebFormResult {
  success: true;
  ticket_id: string;
  form_ticket_id: string | null;
  lead_number: string | null;
  bot_link: string | null;
  booked: boolean;
  reason?: NotBookedReason;
  session: WebFormSession | null;
  client_token: string | null;
}

/** The answer as stored for repeats, with the client it belongs to and without a token. */
type StoredAnswer = Omit<WebFormResult, 'client_token'> & { client_id: string };

/** Thrown inside the transaction to roll it back when the form id was submitted already. */
class AlreadySubmitted extends Error {}

/** What the booking command may refuse a chosen time for, and how the answer names it. */
const REFUSALS: Partial<Record<string, NotBookedReason>> = {
  slot_taken: 'slot_taken',
  slot_unavailable: 'slot_unavailable',
  slot_not_found: 'slot_not_found',
};

const objectOf = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};

const unique = (items: string[]) => {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = normalizeName(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/** A person's age as the forms send it ("27"), when it is a plausible one. */
function ageOf(...values: unknown[]): number | undefined {
  for (const value of values) {
    const text = formText(value);
    if (text && /^\d{1,3}$/.test(text) && Number(text) >= 14 && Number(text) <= 120) return Number(text);
  }
  return undefined;
}

/**
 * The form's lists that become look-ups or stored lists (it sends one to three items): more than this is
 * refused, so a body of 70 000 names is a 400, not one query with 70 000 parameters.
 */
export const MAX_FORM_LIST = 50;

/** A helping-hand ticket is first asked whether it is still wanted a week after it was made. */
const HELP_HAND_FIRST_CHECK_MS = 7 * 24 * 60 * 60_000;
const LIST_FIELDS = [
  'slots',
  'selectedPsychologistsNames',
  'top_3_psychologists',
  'filtered_by_automatch_psy_names',
  'diagnoses',
] as const;

export async function submitWebForm(deps: Deps, actor: Actor, input: WebFormInput): Promise<WebFormResult> {
  const body = input.body;
  const proven = provenClientOf(actor);
  for (const field of LIST_FIELDS)
    if (formTexts(body[field]).length > MAX_FORM_LIST)
      throw badRequest(field, `must hold at most ${MAX_FORM_LIST} items`);
  const info = objectOf(body.formPsyClientInfo);
  const formId =
    typeof body.ticket_id === 'string' && FORM_ID.test(body.ticket_id) ? body.ticket_id : undefined;
  const contactValue = formText(body.contact) ?? formText(info.contact);
  if (!contactValue)
    throw badRequest('contact', 'a contact is required: a Telegram, VK or Max handle, or a phone number');
  const contact = webFormContact(formText(body.contactType) ?? formText(info.contactType), contactValue);
  const hash = bodyHash(body);

  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await inTransaction(deps, async (trx, events) => {
        const now = deps.clock.now();
        if (formId && !(await formsRepository.claimSubmission(trx, formId, hash, now)))
          throw new AlreadySubmitted();
        const diagnostic = input.kind === 'diagnostic';
        const helpHand = input.kind === 'help_hand';
        const name = formText(body.name) ?? formText(info.name);
        const age = ageOf(body.age, info.age);
        const utm = collectUtm(body);

        // The time chosen on the slot step: a psychologist's name and "dd.M HH:00" (Moscow).
        // The helping-hand form has no slot step: its time is chosen after an allotment (help-hand.ts).
        const chosenName = helpHand
          ? undefined
          : (formTexts(body.selectedPsychologistsNames)[0] ?? formText(body.shownPsychologists));
        const slotText = helpHand ? undefined : formTexts(body.slots)[0];
        const startAt = slotText ? parseSlotTime(slotText, now) : null;
        const offeredNames = unique(
          helpHand
            ? []
            : [
                ...formTexts(body.top_3_psychologists),
                ...formTexts(body.filtered_by_automatch_psy_names),
                ...(chosenName ? [chosenName] : []),
              ],
        );
        const offered = await psychologistsRepository.idsByNames(trx, offeredNames);
        const chosen = chosenName
          ? offered.find((p) => normalizeName(p.name) === normalizeName(chosenName))
          : undefined;
        const slot =
          chosen && startAt
            ? await slotsRepository.findByPsychologistAndStart(trx, chosen.id, startAt)
            : undefined;

        // The diagnosis answer reaches us only through step-analytics under the same form id.
        const answer = formId ? await formsRepository.stepAnswer(trx, formId, 'diagnose') : undefined;
        const diagnose = formTexts(answer?.value);
        const diagnoses = [...new Set([...formTexts(body.diagnoses), ...diagnose])];
        const sexPsycho = formText(info.sexPsycho);
        const rid = formRowId(body.rid);
        const bid = formRowId(body.bid);
        const questions = formTexts(body.questions);
        const requestText =
          formText(body.question_to_psychologist) ?? (questions.length ? questions.join('; ') : undefined);

        // A record of its own: the typed contact is a claim (SPEC §3 Identity); a whole-client token is a proof.
        const client = proven
          ? await provenClient(trx, proven)
          : await clientsRepository.create(
              trx,
              contact,
              { ...(name ? { name } : {}), ...(age !== undefined ? { age } : {}), utm },
              now,
            );
        const promocode = formPromocode(body.promocode);
        // The price a helping-hand client can pay: the label, else a bare value, else the step answer.
        const price = helpHand
          ? helpHandPrice(
              body.categoryType,
              body.price_session,
              formId
                ? (await formsRepository.stepAnswer(trx, formId, 'psychologist_category'))?.value
                : undefined,
            )
          : undefined;
        const ticket = await ticketsRepository.insert(
          trx,
          {
            client_id: client.id,
            type: helpHand ? 'help_hand' : diagnostic ? 'diagnostic' : 'application',
            status: offered.length ? 'matched' : 'new',
            form_ticket_id: formId ?? null,
            request_text: requestText ?? null,
            preferences: JSON.stringify({
              gender: wantedSex(sexPsycho) ?? 'any',
              psychologist_sex: sexPsycho ?? null,
              importance: formImportance(info.importancePsycho, info.customImportance),
              client_states: formTexts(body.clientStates),
              traumatic_events: formTexts(body.traumaticEvents),
              diagnoses,
              psychiatric_diagnosis: hasPsychiatricDiagnosis(diagnoses),
              medications: formText(body.diagnoseMedicaments) ?? null,
              last_experience: formText(body.lastExperience) ?? null,
              userTimeOffsetMsk: formOffsetHours(body.userTimeOffsetMsk),
              selected_psychologist: chosenName ?? null,
              selected_slot: slotText ?? null,
              offered: offeredNames,
              research: rid !== undefined && bid !== undefined ? { rid, bid } : null,
            }),
            selected_slots: formTexts(body.slots),
            matched_psychologists: offered.map((p) => p.id),
            candidate_slot_ids: slot ? [slot.id] : [],
            utm: utm ? JSON.stringify(utm) : null,
            raw_payload: JSON.stringify(body),
            promocode: promocode ?? null,
            price_session: price ?? null,
            ...(helpHand
              ? {
                  help_hand_stage: 0,
                  help_hand_next_check_at: new Date(now.getTime() + HELP_HAND_FIRST_CHECK_MS),
                }
              : {}),
            typed_contact: JSON.stringify({ ...typedContact(name ?? '', age, contact), name: name ?? null }),
            ...linkCheckFields(now),
          },
          formId,
          (ticketId) => ({ bot_link: botLink(deps, ticketId) }),
        );
        recordTicketDueTimes(events, ticket);

        if (rid !== undefined && bid !== undefined) {
          const row = await researchRepository.findPair(trx, rid, bid);
          if (row && now.getTime() - row.created_at.getTime() <= CONTACTS_WINDOW_MS)
            await researchRepository.link(trx, row.id, client.id, ticket.ticket_id, now);
        }

        await notify(deps, trx, [
          newTicketMessage(
            deps,
            ticket.ticket_id,
            messages.ticketCreatedAdmin({
              ticketId: ticket.ticket_id,
              kind: helpHand ? helpHandTexts.kind : webFormTexts.kind(diagnostic),
              lead: client.lead_number,
              name: name ?? null,
              age: age ?? null,
              contact: `${contact.type}: ${contact.value}`,
              request: requestText ?? null,
              offers: offered.map((p) => ({
                name: p.name,
                slots: p.id === chosen?.id && startAt ? [startAt] : [],
              })),
            }),
            { clientId: client.id, ticketId: ticket.ticket_id },
          ),
        ]);

        // The booking comes last: a refused claim has changed nothing, so the transaction goes on.
        let session: WebFormSession | null = null;
        let reason: NotBookedReason | undefined = slot
          ? undefined
          : helpHand
            ? undefined
            : chosenName && slotText
              ? 'slot_not_found'
              : 'no_slot_chosen';
        if (slot && chosen) {
          try {
            const booked = await bookSlot(deps, trx, events, {
              slotId: slot.id,
              clientId: client.id,
              psychologistId: chosen.id,
              ticketId: ticket.ticket_id,
              kind: diagnostic ? 'diagnostic' : 'regular',
            });
            session = {
              date: formatDate(booked.session.start_at),
              time: formatTime(booked.session.start_at),
              start_iso: booked.session.start_at.toISOString(),
              psychologist: chosen.name,
            };
          } catch (error) {
            const refusal = error instanceof AppError ? REFUSALS[error.code] : undefined;
            if (!refusal) throw error;
            reason = refusal;
          }
        }
        if (reason && reason !== 'no_slot_chosen') {
          await notify(deps, trx, [
            adminMessage(
              deps,
              `web-form-not-booked:${ticket.ticket_id}`,
              webFormTexts.slotNotBookedAdmin({
                ticketId: ticket.ticket_id,
                lead: client.lead_number,
                psychologist: chosen?.name ?? chosenName ?? null,
                startAt,
                slotText: slotText ?? null,
                reason,
              }),
              { clientId: client.id, ticketId: ticket.ticket_id },
            ),
          ]);
        }

        const stored: StoredAnswer = {
          success: true,
          client_id: client.id,
          ticket_id: ticket.ticket_id,
          form_ticket_id: formId ?? null,
          lead_number: client.lead_number,
          bot_link: ticket.bot_link,
          booked: session !== null,
          ...(reason ? { reason } : {}),
          session,
        };
        if (formId) await formsRepository.storeSubmission(trx, formId, ticket.ticket_id, stored, now);
        return stored;
      });
      return await withToken(deps, answer, true);
    } catch (error) {
      if (!(error instanceof AlreadySubmitted) || !formId) throw error;
      const first = await formsRepository.submission(deps.db, formId);
      // The holder of the claim rolled back meanwhile: this submission may go through after all.
      if (!first?.answer) {
        if (attempt < 3) continue;
        throw error;
      }
      return withToken(deps, first.answer as StoredAnswer, first.body_hash === hash);
    }
  }
}

/**
 * The answer with a token for the submitted ticket. A repeat with another body gets neither the token
 * nor the lead number: a form id is no secret (it is in the bot link), so only an identical retry is
 * taken for the person who sent the first.
 */
async function withToken(deps: Deps, answer: StoredAnswer, sameSender: boolean): Promise<WebFormResult> {
  const { client_id: clientId, ...result } = answer;
  if (!sameSender) return { ...result, lead_number: null, client_token: null };
  const grant = { clientId, ticketId: result.ticket_id };
  return { ...result, client_token: await deps.tokens.issue(grant, deps.clock.now()) };
}
