// A person submits the application form (or the helping-hand form): a record of its own for the person
// (typing a contact proves nothing, so it is never filed under someone found by that contact — only a
// whole-client token, a proof, files it under its holder's record), the ticket, matched psychologists
// and candidate slots, a token for this ticket and the bot link, and the operators' message.
// With an Idempotency-Key a retried submission (same route, same body, within 24 h) returns the first
// answer; the key with another body is refused.
import type { Deps } from '../deps.ts';
import type { Ticket } from '../db/types.ts';
import type { ContactType, TicketStatus, TicketType } from '../domain/vocabulary.ts';
import { slotTimeFields } from '../domain/time.ts';
import {
  clientsRepository,
  newClientRow,
  type ClientDetails,
  type ContactIdentity,
} from '../repositories/clients.repository.ts';
import type { OutgoingMessage } from '../repositories/outbox.repository.ts';
import { submissionsRepository } from '../repositories/submissions.repository.ts';
import { ticketIds, ticketsRepository } from '../repositories/tickets.repository.ts';
import { messages } from '../texts/messages.ts';
import { contactIdentity } from './contact.ts';
import { botLink, linkCheckFields, recordTicketDueTimes } from './ticket-links.ts';
import { findMatches, type Match, type MatchRequest } from './find-matches.ts';
import { idempotencyRepository } from '../repositories/idempotency.repository.ts';
import { bodyHash } from '../domain/body-hash.ts';
import { AppError, forbidden } from '../errors.ts';
import type { Actor } from '../domain/access.ts';
import { provenClient, provenClientOf } from './proven-client.ts';
import { newTicketMessage, notify } from './session-processes.ts';
import { inTransaction, isUniqueViolation } from './transaction.ts';
import { EventLog } from '../effects/events.ts';
import { MAX_SLOTS } from '../domain/limits.ts';

export interface ApplicationInput {
  kind: 'application' | 'help_hand';
  name: string;
  age?: number;
  contact: { type: ContactType; value: string };
  selectedSlots: string[];
  preferences: { gender?: string; price_max?: number; specializations?: string[] };
  formTicketId?: string;
  requestText?: string;
  promocode?: string;
  priceSession?: string;
  utm?: Record<string, unknown>;
  userTimeOffsetMsk?: number;
  raw: Record<string, unknown>;
  idempotencyKey?: string;
}

export interface ApplicationResult {
  success: true;
  ticket_id: string;
  lead_number: string;
  client_token: string;
  bot_link: string | null;
  matched_psychologists: {
    id: string;
    name: string;
    price: number;
    slots: { id: string; date: string; time: string; start_iso: string }[];
  }[];
}

/** The UTM marks of a form: a `utm` object and/or flat `utm_*` fields ("null" means absent). */
export function collectUtm(raw: Record<string, unknown>): Record<string, unknown> | undefined {
  const utm: Record<string, unknown> = {};
  if (raw.utm && typeof raw.utm === 'object') Object.assign(utm, raw.utm);
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('utm_') && value !== 'null' && value !== undefined) utm[key.slice(4)] = value;
  }
  return Object.keys(utm).length ? utm : undefined;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;

/** Thrown inside the transaction to roll it back when the key was already used. */
class KeyAlreadyUsed extends Error {}

/** The answer as stored for replays: without a token (issued anew), with the client it belongs to. */
type Answer = Omit<ApplicationResult, 'client_token'> & { client_id: string };

/** What the submission typed about the person: shown to this ticket's token and to operators. */
export function typedContact(name: string, age: number | undefined, contact: ContactIdentity) {
  return {
    name,
    age: age ?? null,
    type: contact.type,
    value: contact.value,
    phone: contact.phone ?? null,
    email: contact.email ?? null,
    telegram: contact.telegramUsername ? `@${contact.telegramUsername}` : (contact.telegramId ?? null),
  };
}

export async function submitApplication(
  deps: Deps,
  actor: Actor,
  input: ApplicationInput,
): Promise<ApplicationResult> {
  const proven = provenClientOf(actor);
  const contact = contactIdentity(input.contact.type, input.contact.value);
  const key = input.idempotencyKey ? `${input.kind}:${input.idempotencyKey}` : undefined;
  const hash = bodyHash(input.raw);
  const details = {
    name: input.name,
    ...(input.age !== undefined ? { age: input.age } : {}),
    utm: input.utm,
  };
  const wishes: MatchRequest = {
    ...(input.preferences.gender !== undefined ? { gender: input.preferences.gender } : {}),
    ...(input.preferences.price_max !== undefined ? { priceMax: input.preferences.price_max } : {}),
    specializations: input.preferences.specializations ?? [],
    selectedSlots: input.selectedSlots,
    helpHand: input.kind === 'help_hand',
  };
  // Without an Idempotency-Key or a proven person, the submission is written in one statement; a key
  // (claimed first) or a whole-client token takes the transaction below.
  let matches: Match[] | undefined;
  let answer: Answer | undefined;
  if (!key && !proven) {
    matches = await findMatches(deps, deps.db, wishes);
    answer = await submitNewPerson(deps, input, contact, details, matches);
  }
  try {
    answer ??= await inTransaction(deps, async (trx, events) => {
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
      if (key && !(await idempotencyRepository.claim(trx, key, hash, now, expiresAt)))
        throw new KeyAlreadyUsed();
      const client = proven
        ? await provenClient(trx, proven)
        : await clientsRepository.create(trx, contact, details, now);
      const matched = matches ?? (await findMatches(deps, trx, wishes));
      const ticket = await ticketsRepository.insert(
        trx,
        { client_id: client.id, ...ticketValues(input, contact, matched, now) },
        input.formTicketId,
        (ticketId) => ({ bot_link: botLink(deps, ticketId) }),
      );
      recordTicketDueTimes(events, ticket);
      await notify(deps, trx, [
        {
          ...operatorsMessage(deps, ticket.ticket_id, client.lead_number, contact, input, matched),
          clientId: client.id,
        },
      ]);
      const result = answerOf(client.id, client.lead_number, ticket, matched);
      if (key) await idempotencyRepository.storeAnswer(trx, key, result, now);
      return result;
    });
  } catch (error) {
    if (!(error instanceof KeyAlreadyUsed) || !key) throw error;
    const stored = await idempotencyRepository.find(deps.db, key);
    if (!stored || stored.bodyHash !== hash || !stored.response) {
      throw new AppError(
        'idempotency_key_reused',
        'Idempotency-Key: this key was already used for another request; send a new key for a new submission',
        [{ field: 'Idempotency-Key', message: 'was already used for another request' }],
      );
    }
    answer = stored.response as Answer;
  }
  const { client_id: clientId, ...result } = answer;
  // A public submission's token opens the ticket it created, never the person as a whole.
  const grant = { clientId, ticketId: result.ticket_id };
  if (proven && clientId !== proven) throw forbidden();
  return { ...result, client_token: await deps.tokens.issue(grant, deps.clock.now()) };
}

/** A new person's submission as one statement (submissionsRepository), its effects run after it. */
async function submitNewPerson(
  deps: Deps,
  input: ApplicationInput,
  contact: ContactIdentity,
  details: ClientDetails,
  matches: Match[],
): Promise<Answer> {
  const now = deps.clock.now();
  const values = ticketValues(input, contact, matches, now);
  const ids = ticketIds(values.type, input.formTicketId);
  for (let attempt = 0; attempt < 20; attempt++) {
    const client = newClientRow(contact, details, now);
    const ticketId = ids();
    const ticket = { ...values, ticket_id: ticketId, bot_link: botLink(deps, ticketId) };
    let written: { client_id: string } | undefined;
    try {
      written = await submissionsRepository.insertNewPerson(
        deps.db,
        client,
        ticket,
        operatorsMessage(deps, ticket.ticket_id, client.lead_number, contact, input, matches),
        Boolean(deps.config.telegram.botToken),
        now,
      );
    } catch (error) {
      // The ticket id is taken (a form's own id, or a rare random collision): another one.
      if (isUniqueViolation(error, 'hraniteli_tickets_pkey')) continue;
      // The form id names another ticket already (the first submitted under it keeps it): this one is
      // stored without it, so it can never take over that ticket's bot link.
      if (isUniqueViolation(error, 'tickets_form_ticket_id_unique')) {
        values.form_ticket_id = null;
        continue;
      }
      throw error;
    }
    // Nothing written: the drawn lead number was taken; another one.
    if (!written) continue;
    const events = new EventLog();
    recordTicketDueTimes(events, {
      ...ticket,
      help_hand_next_check_at: ticket.help_hand_next_check_at ?? null,
    });
    await deps.effects.run(events.events);
    return answerOf(written.client_id, client.lead_number, ticket, matches);
  }
  throw new Error('could not find a free ticket id and lead number after 20 attempts');
}

/** The ticket of a submission, but for its id, its client and the bot link (which depends on the id). */
function ticketValues(input: ApplicationInput, contact: ContactIdentity, matches: Match[], now: Date) {
  const type: TicketType = input.kind;
  return {
    type,
    status: (matches.length ? 'matched' : 'new') as TicketStatus,
    form_ticket_id: input.formTicketId ?? null,
    request_text: input.requestText ?? null,
    preferences: JSON.stringify({
      ...input.preferences,
      userTimeOffsetMsk: input.userTimeOffsetMsk ?? null,
    }),
    selected_slots: input.selectedSlots,
    matched_psychologists: matches.map((m) => m.id),
    candidate_slot_ids: matches.flatMap((m) => m.slots.map((s) => s.id)).slice(0, MAX_SLOTS),
    utm: input.utm ? JSON.stringify(input.utm) : null,
    raw_payload: JSON.stringify(input.raw),
    promocode: input.promocode ?? null,
    price_session: input.priceSession ?? null,
    typed_contact: JSON.stringify(typedContact(input.name, input.age, contact)),
    ...(type === 'help_hand'
      ? { help_hand_stage: 0, help_hand_next_check_at: new Date(now.getTime() + 7 * 24 * 60 * 60_000) }
      : {}),
    ...linkCheckFields(now),
  };
}

/** The operators' message about a new ticket (its client id is added by whoever knows it). */
function operatorsMessage(
  deps: Deps,
  ticketId: string,
  leadNumber: string,
  contact: ContactIdentity,
  input: ApplicationInput,
  matches: Match[],
): OutgoingMessage {
  const text = messages.ticketCreatedAdmin({
    ticketId,
    kind: input.kind === 'help_hand' ? 'Рука помощи' : 'заявка',
    lead: leadNumber,
    name: input.name,
    age: input.age ?? null,
    contact: `${contact.type}: ${contact.value}`,
    request: input.requestText ?? (input.preferences.specializations ?? []).join(', '),
    offers: matches.map((m) => ({ name: m.name, slots: m.slots.map((s) => new Date(s.start_ms)) })),
  });
  return newTicketMessage(deps, ticketId, text);
}

function answerOf(
  clientId: string,
  leadNumber: string,
  ticket: Pick<Ticket, 'ticket_id' | 'bot_link'>,
  matches: Match[],
): Answer {
  return {
    success: true,
    client_id: clientId,
    ticket_id: ticket.ticket_id,
    lead_number: leadNumber,
    bot_link: ticket.bot_link,
    matched_psychologists: matches.map((m) => ({
      id: m.id,
      name: m.name,
      price: m.price,
      slots: m.slots.map((s) => ({ id: s.id, ...slotTimeFields(s.start_ms) })),
    })),
  };
}
