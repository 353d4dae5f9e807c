// Reassignment: an operator offers a client other psychologists (POST /reassign makes a `reassignment`
// ticket whose parent is the client's latest ticket), looks up what a reassignment needs, and the client
// sees free times of the chosen psychologist (`time`) or of the other matched ones (`psychologist`).
import type { Deps, Executor } from '../deps.ts';
import type { Client, Psychologist, Ticket } from '../db/types.ts';
import { requireClientAccess, requireService, type Actor } from '../domain/access.ts';
import { clientOffsetMs, formatDate, formatTime, parseSlotTime } from '../domain/time.ts';
import { badRequest, forbidden, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { slotButtons } from '../texts/callback-data.ts';
import { messages } from '../texts/messages.ts';
import { newTicketMessage, notify } from './session-processes.ts';
import { botLink, linkCheckFields, recordTicketDueTimes } from './ticket-links.ts';
import { inTransaction } from './transaction.ts';
import { MAX_PAGE } from '../domain/limits.ts';

const DAY_MS = 24 * 3_600_000;
const OFFER_DAYS = 28;

async function clientOfLead(deps: Deps, leadNumber: string): Promise<Client> {
  const client = await clientsRepository.findByLeadNumber(deps.db, leadNumber);
  if (!client) throw notFound('client', `лид ${leadNumber} не найден`);
  return client;
}

/** The psychologist the client chose before (their latest ticket's, else their latest session's). */
async function chosenPsychologist(db: Executor, client: Client, ticket: Ticket | undefined) {
  const id = ticket?.psychologist_id ?? (await sessionsRepository.latestPsychologistOfClient(db, client.id));
  return id ? psychologistsRepository.findById(db, id) : undefined;
}

/** The psychologists offered before: the latest ticket that had any. */
function matchedIds(tickets: Ticket[]): string[] {
  return tickets.find((t) => t.matched_psychologists.length > 0)?.matched_psychologists ?? [];
}

export interface ReassignInput {
  leadNumber: string;
  psychologistNames: string[];
  slotTimes: string[];
  queries: string[];
}

/** POST /reassign. Unknown psychologist names are listed in the 400. */
export async function reassign(
  deps: Deps,
  actor: Actor,
  input: ReassignInput,
): Promise<{ ticketId: string }> {
  requireService(actor);
  const client = await clientOfLead(deps, input.leadNumber);
  const found: Psychologist[] = [];
  const unknown: string[] = [];
  for (const name of input.psychologistNames) {
    const psychologist = await psychologistsRepository.findByName(deps.db, name);
    if (psychologist) found.push(psychologist);
    else unknown.push(name);
  }
  if (unknown.length)
    throw badRequest('filtered_psychologists', `unknown psychologists: ${unknown.join(', ')}`);
  const now = deps.clock.now();
  const times = input.slotTimes.map((text, i) => {
    const at = parseSlotTime(text, now);
    if (!at) throw badRequest('slots', `item ${i + 1} ("${text}") is not a time "DD.MM HH:mm"`);
    return at;
  });
  // The client gets these times as buttons to book, so a time that has passed or is too close for a
  // client to book (MIN_LEAD_MINUTES) is not offered.
  const earliest = now.getTime() + deps.config.minLeadMinutes * 60_000;
  const bookable = times.filter((t) => t.getTime() >= earliest);
  const free = bookable.length
    ? await slotsRepository.listFree(deps.db, {
        from: new Date(Math.min(...bookable.map((t) => t.getTime()))),
        to: new Date(Math.max(...bookable.map((t) => t.getTime())) + 1),
        psychologistIds: found.map((p) => p.id),
        startTimes: bookable,
      })
    : [];
  const parent = (await ticketsRepository.ofClient(deps.db, client.id, MAX_PAGE))[0];
  const ticket = await inTransaction(deps, async (trx, events) => {
    const created = await ticketsRepository.insert(
      trx,
      {
        client_id: client.id,
        type: 'reassignment',
        status: found.length ? 'matched' : 'new',
        parent_ticket_id: parent?.ticket_id ?? null,
        matched_psychologists: found.map((p) => p.id),
        candidate_slot_ids: free.map((s) => s.id),
        preferences: JSON.stringify({ specializations: input.queries }),
        ...linkCheckFields(now),
      },
      undefined,
      (ticketId) => ({ bot_link: botLink(deps, ticketId) }),
    );
    recordTicketDueTimes(events, created);
    const refs = { clientId: client.id, ticketId: created.ticket_id };
    const offers = found.map((p) => ({
      name: p.name,
      slots: free.filter((s) => s.psychologist_id === p.id).map((s) => new Date(s.start_ms)),
    }));
    await notify(deps, trx, [
      newTicketMessage(
        deps,
        created.ticket_id,
        messages.ticketCreatedAdmin({
          ticketId: created.ticket_id,
          kind: 'переназначение',
          lead: client.lead_number,
          name: client.name,
          age: client.age,
          contact: client.contact_value,
          request: input.queries.join(', ') || null,
          offers,
        }),
        refs,
      ),
      {
        dedupeKey: `reassignment-offer:${created.ticket_id}`,
        recipient: 'client',
        chatId: client.telegram_id,
        text: messages.reassignment.offer(
          found.map((p) => p.name),
          free.length > 0,
        ),
        ...(free.length
          ? {
              buttons: slotButtons(
                deps.callbacks,
                free.map((s) => ({
                  id: s.id,
                  label: `${formatDate(new Date(s.start_ms))} ${formatTime(new Date(s.start_ms))} — ${s.psychologist}`,
                })),
              ),
            }
          : {}),
        ...refs,
      },
    ]);
    return created;
  });
  deps.outbox.wake();
  return { ticketId: ticket.ticket_id };
}

/** GET /get-ticket-info-for-reassigment-without-schedule (service). */
export async function reassignmentInfo(deps: Deps, actor: Actor, input: { leadNumber: string }) {
  requireService(actor);
  const client = await clientOfLead(deps, input.leadNumber);
  const tickets = await ticketsRepository.ofClient(deps.db, client.id, MAX_PAGE);
  const ticket = tickets[0];
  const chosen = await chosenPsychologist(deps.db, client, ticket);
  const matched = await psychologistsRepository.namesOf(deps.db, matchedIds(tickets));
  const lastSession = await sessionsRepository.latestOfClient(deps.db, client.id);
  const preferences = (ticket?.preferences ?? {}) as { specializations?: unknown };
  return {
    client,
    ticket: ticket ?? null,
    chosenPsychologist: chosen?.name ?? null,
    matchedPsychologists: matched.slice(0, MAX_PAGE),
    queries: Array.isArray(preferences.specializations) ? preferences.specializations.map(String) : [],
    lastSession,
  };
}

export type ReassignmentMode = 'time' | 'psychologist';

/** GET /get-reassignment-schedule: free times of the chosen psychologist, or of the other matched ones. */
export async function reassignmentSchedule(
  deps: Deps,
  actor: Actor,
  input: { leadNumber: string; mode: ReassignmentMode; userTimeOffsetMsk?: number },
) {
  const client = await clientsRepository.findByLeadNumber(deps.db, input.leadNumber);
  // A client token learns nothing of other lead numbers: unknown and foreign look the same (403).
  if (!client)
    throw actor.kind === 'client' ? forbidden() : notFound('client', `лид ${input.leadNumber} не найден`);
  requireClientAccess(actor, client.id);
  const tickets = await ticketsRepository.ofClient(deps.db, client.id, MAX_PAGE);
  const chosen = await chosenPsychologist(deps.db, client, tickets[0]);
  const ids =
    input.mode === 'time'
      ? chosen
        ? [chosen.id]
        : []
      : matchedIds(tickets).filter((id) => id !== chosen?.id);
  if (!ids.length) return [];
  const now = deps.clock.now();
  const from = new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
  const rows = await slotsRepository.listFree(deps.db, {
    from,
    to: new Date(now.getTime() + OFFER_DAYS * DAY_MS),
    psychologistIds: ids,
  });
  const offset = input.userTimeOffsetMsk === undefined ? undefined : clientOffsetMs(input.userTimeOffsetMsk);
  return rows.map((r) => {
    const start = new Date(r.start_ms);
    return {
      id: r.id,
      date: formatDate(start, offset),
      time: formatTime(start, offset),
      psychologist: r.psychologist,
      start_iso: start.toISOString(),
    };
  });
}
