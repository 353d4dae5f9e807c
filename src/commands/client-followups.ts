// Client follow-ups (schedule_client_action_after_5_days / _3_weeks): a due time on the client's row of
// that kind (a later request wins), then the psychologist's free times sent as buttons; a press books a
// regular session through the one booking command.
import type { Deps } from '../deps.ts';
import type { Client } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { formatDateTime } from '../domain/time.ts';
import type { EventLog } from '../effects/events.ts';
import { AppError, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { followupsRepository, type FollowupKind } from '../repositories/followups.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { slotButtons } from '../texts/callback-data.ts';
import { freeWeeks } from '../texts/schedule.ts';
import { messages } from '../texts/messages.ts';
import { bookSlotFor } from './book-slot.ts';
import { notify } from './session-processes.ts';
import { sweepDue } from './sweep.ts';
import { inTransaction } from './transaction.ts';
import type { Executor } from '../deps.ts';

const DAY_MS = 24 * 3_600_000;
const FOLLOWUP_DAYS: Record<FollowupKind, number> = { after_5_days: 5, after_3_weeks: 21 };
const OFFERED_SLOTS = 8;
const OFFER_WINDOW_DAYS = 21;

export type ClientRef = { telegramId: string } | { leadNumber: string } | { ticketId: string };

async function findClient(deps: Deps, ref: ClientRef): Promise<Client | undefined> {
  if ('telegramId' in ref) return clientsRepository.findByTelegramId(deps.db, ref.telegramId);
  if ('leadNumber' in ref) return clientsRepository.findByLeadNumber(deps.db, ref.leadNumber);
  const ticket = await ticketsRepository.find(deps.db, ref.ticketId);
  return ticket ? clientsRepository.findById(deps.db, ticket.client_id) : undefined;
}

/** Plans (or moves) the client's follow-up of this kind to now + 5 days / 3 weeks. */
export async function planFollowup(
  deps: Deps,
  actor: Actor,
  input: { client: ClientRef; kind: FollowupKind; psychologistName?: string },
): Promise<{ scheduledAt: Date; jobId: string }> {
  requireService(actor);
  const client = await findClient(deps, input.client);
  if (!client) throw notFound('client', 'клиент не найден');
  let psychologistId: string | null = null;
  if (input.psychologistName) {
    const psychologist = await psychologistsRepository.findByName(deps.db, input.psychologistName);
    if (!psychologist) throw notFound('psychologist', `психолог «${input.psychologistName}» не найден`);
    psychologistId = psychologist.id;
  }
  const now = deps.clock.now();
  const dueAt = new Date(now.getTime() + FOLLOWUP_DAYS[input.kind] * DAY_MS);
  const jobId = await inTransaction(deps, async (trx, events) => {
    const id = await followupsRepository.plan(
      trx,
      { clientId: client.id, kind: input.kind, psychologistId, dueAt },
      now,
    );
    events.record({ type: 'job-due', job: 'client-followups', at: dueAt, key: `followup:${id}` });
    return id;
  });
  return { scheduledAt: dueAt, jobId };
}

/** The psychologist's free times of the coming weeks: the first ones become "book" buttons. */
async function freeTimes(deps: Deps, db: Executor, psychologistId: string, now: Date) {
  const from = new Date(now.getTime() + deps.config.minLeadMinutes * 60_000);
  const rows = await slotsRepository.listFree(db, {
    from,
    to: new Date(now.getTime() + OFFER_WINDOW_DAYS * DAY_MS),
    psychologistIds: [psychologistId],
  });
  return {
    starts: rows.map((r) => new Date(r.start_ms)),
    buttons: rows
      .slice(0, OFFERED_SLOTS)
      .map((r) => ({ id: r.id, label: formatDateTime(new Date(r.start_ms)) })),
  };
}

export async function offeredSlots(deps: Deps, db: Executor, psychologistId: string, now: Date) {
  return (await freeTimes(deps, db, psychologistId, now)).buttons;
}

/** Sends every due follow-up: the psychologist's free times with buttons. */
export async function sendDueFollowups(deps: Deps, actor: Actor): Promise<{ sent: number }> {
  requireService(actor);
  const now = deps.clock.now();
  const sent = await sweepDue(
    deps,
    (limit) => followupsRepository.due(deps.db, now, limit),
    async (trx, _events: EventLog, { id }) => {
      const followup = await followupsRepository.claim(trx, id, now);
      if (!followup) return false;
      const client = await clientsRepository.findById(trx, followup.client_id);
      const psychologistId =
        followup.psychologist_id ??
        (await sessionsRepository.latestPsychologistOfClient(trx, followup.client_id));
      const psychologist = psychologistId
        ? await psychologistsRepository.findById(trx, psychologistId)
        : undefined;
      if (!client || !psychologist) return true;
      const { starts, buttons: slots } = await freeTimes(deps, trx, psychologist.id, now);
      await notify(deps, trx, [
        {
          dedupeKey: `followup:${followup.id}:${followup.due_at.toISOString()}`,
          recipient: 'client',
          chatId: client.telegram_id,
          text: messages.jobs.followupSlots(psychologist.name, slots.length > 0, freeWeeks(now, starts)),
          ...(slots.length ? { buttons: slotButtons(deps.callbacks, slots) } : {}),
          clientId: client.id,
        },
      ]);
      return true;
    },
  );
  if (sent) deps.outbox.wake();
  return { sent };
}

/**
 * A press on an offered time: a regular session for the pressing client, through the one booking
 * command. A time taken meanwhile → the psychologist's fresh free times, with buttons.
 */
export async function bookOfferedSlot(
  deps: Deps,
  actor: Actor,
  input: { slotId: string; chatId: string; updateKey: string },
): Promise<{ message: string; booked: boolean }> {
  if (actor.kind !== 'client') throw new AppError('forbidden', messages.bot.notYours);
  try {
    await bookSlotFor(deps, actor, { slotId: input.slotId, clientId: actor.clientId, kind: 'regular' });
    deps.outbox.wake();
    return { message: messages.jobs.slotBooked, booked: true };
  } catch (error) {
    if (!(error instanceof AppError) || error.kind !== 'conflict') throw error;
    const slot = await slotsRepository.findById(deps.db, input.slotId);
    const slots = slot ? await offeredSlots(deps, deps.db, slot.psychologist_id, deps.clock.now()) : [];
    await inTransaction(deps, (trx) =>
      notify(deps, trx, [
        {
          dedupeKey: `slot-taken:${input.slotId}:${input.updateKey}`,
          recipient: 'client',
          chatId: input.chatId,
          text: slots.length ? messages.jobs.slotTakenRetry : messages.bot.staleButton,
          ...(slots.length ? { buttons: slotButtons(deps.callbacks, slots) } : {}),
          clientId: actor.clientId,
        },
      ]),
    );
    deps.outbox.wake();
    return { message: messages.jobs.slotTakenRetry, booked: false };
  }
}
