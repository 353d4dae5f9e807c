// A person submits the application form (or the helping-hand form): find or create the client by
// contact, create the ticket, match psychologists and candidate slots, hand back a token for this
// ticket and the bot link, tell the operators. Typing a contact proves nothing: the token opens this
// ticket only, the ticket keeps what was typed, and a known person's stored details stay as they were.
// With an Idempotency-Key a retried submission (same route, same body, within 24 h) returns the first
// answer; the key with another body is refused.
import type { Deps, Executor } from '../deps.ts';
import type { Client, Ticket } from '../db/types.ts';
import type { ContactType, TicketType } from '../domain/vocabulary.ts';
import { slotTimeFields } from '../domain/time.ts';
import type { ContactIdentity } from '../repositories/clients.repository.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { messages } from '../texts/messages.ts';
import { contactIdentity } from './contact.ts';
import { botLink, linkCheckFields, recordTicketDueTimes } from './ticket-links.ts';
import { findMatches, type Match } from './find-matches.ts';
import { idempotencyRepository } from '../repositories/idempotency.repository.ts';
import { bodyHash } from '../domain/body-hash.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../domain/access.ts';
import { adminMessage, notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';
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
  _actor: Actor,
  input: ApplicationInput,
): Promise<ApplicationResult> {
  const contact = contactIdentity(input.contact.type, input.contact.value);
  const key = input.idempotencyKey ? `${input.kind}:${input.idempotencyKey}` : undefined;
  const hash = bodyHash(input.raw);
  let answer: Answer;
  try {
    answer = await inTransaction(deps, async (trx, events) => {
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
      if (key && !(await idempotencyRepository.claim(trx, key, hash, now, expiresAt)))
        throw new KeyAlreadyUsed();
      const { client } = await clientsRepository.findOrCreate(
        trx,
        contact,
        { name: input.name, ...(input.age !== undefined ? { age: input.age } : {}), utm: input.utm },
        now,
      );
      const matches = await findMatches(deps, trx, {
        ...(input.preferences.gender !== undefined ? { gender: input.preferences.gender } : {}),
        ...(input.preferences.price_max !== undefined ? { priceMax: input.preferences.price_max } : {}),
        specializations: input.preferences.specializations ?? [],
        selectedSlots: input.selectedSlots,
        helpHand: input.kind === 'help_hand',
      });
      const ticket = await createTicket(deps, trx, input, client, contact, matches, now);
      recordTicketDueTimes(events, ticket);
      await notifyOperators(deps, trx, ticket, client, contact, input, matches);
      const result: Answer = {
        success: true,
        client_id: client.id,
        ticket_id: ticket.ticket_id,
        lead_number: client.lead_number,
        bot_link: ticket.bot_link,
        matched_psychologists: matches.map((m) => ({
          id: m.id,
          name: m.name,
          price: m.price,
          slots: m.slots.map((s) => ({ id: s.id, ...slotTimeFields(s.start_ms) })),
        })),
      };
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
  return { ...result, client_token: await deps.tokens.issue(grant, deps.clock.now()) };
}

async function createTicket(
  deps: Deps,
  trx: Executor,
  input: ApplicationInput,
  client: Client,
  contact: ContactIdentity,
  matches: Match[],
  now: Date,
): Promise<Ticket> {
  const type: TicketType = input.kind;
  return ticketsRepository.insert(
    trx,
    {
      client_id: client.id,
      type,
      status: matches.length ? 'matched' : 'new',
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
    },
    input.formTicketId,
    (ticketId) => ({ bot_link: botLink(deps, ticketId) }),
  );
}

async function notifyOperators(
  deps: Deps,
  trx: Executor,
  ticket: Ticket,
  client: Client,
  contact: ContactIdentity,
  input: ApplicationInput,
  matches: Match[],
): Promise<void> {
  const text = messages.ticketCreatedAdmin({
    ticketId: ticket.ticket_id,
    kind: input.kind === 'help_hand' ? 'Рука помощи' : 'заявка',
    lead: client.lead_number,
    name: input.name,
    age: input.age ?? null,
    contact: `${contact.type}: ${contact.value}`,
    request: input.requestText ?? (input.preferences.specializations ?? []).join(', '),
    offers: matches.map((m) => ({ name: m.name, slots: m.slots.map((s) => new Date(s.start_ms)) })),
  });
  await notify(deps, trx, [
    adminMessage(deps, `ticket-created:${ticket.ticket_id}`, text, {
      clientId: client.id,
      ticketId: ticket.ticket_id,
    }),
  ]);
}
