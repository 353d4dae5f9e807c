// What the bot's handlers do, as commands: who a Telegram account is, its buttons, its replies. The
// account in an update is proven by Telegram, so its client acts with a whole-client grant — on its own
// tickets only, through the same commands and ownership checks as the HTTP endpoints.
import type { Deps } from '../deps.ts';
import { ANONYMOUS, requireTicketAccess, SERVICE, type Actor } from '../domain/access.ts';
import { AppError, conflict, forbidden, notFound } from '../errors.ts';
import { isActive, type Recipient } from '../domain/vocabulary.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import type { InlineKeyboard, ReplyKeyboard } from '../repositories/outbox.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import {
  CANCEL_REASONS,
  cancelReasonButtons,
  slotButtons,
  type Callback,
  type CancelReasonAction,
  type RatingCallback,
  type SessionCallback,
} from '../texts/callback-data.ts';
import { messages } from '../texts/messages.ts';
import { cancelSession } from './cancel-session.ts';
import { bookOfferedSlot, offeredSlots } from './client-followups.ts';
import { rescheduleSession } from './reschedule-session.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { answerHelpHand } from './help-hand-checks.ts';
import { confirmSession } from './confirm-session.ts';
import { rateSession } from './rate-session.ts';
import { adminMessage, factsOf, loadParties, notify } from './session-processes.ts';
import { setSessionStatus } from './set-session-status.ts';
import { scheduleMessages } from './schedules.ts';
import { inTransaction } from './transaction.ts';

/** The actor of a Telegram account: its client with a whole-client grant, or nobody known. */
export async function telegramActor(deps: Deps, telegramId: string): Promise<Actor> {
  const client = await clientsRepository.findByTelegramId(deps.db, telegramId);
  return client ? { kind: 'client', clientId: client.id } : ANONYMOUS;
}

export interface ChatMessage {
  chatId: string;
  text: string;
  dedupeKey: string;
  recipient?: Recipient;
  buttons?: InlineKeyboard | ReplyKeyboard;
  clientId?: string | null;
}

/** A reply of the bot, written to the outbox like every message, then delivered promptly. */
export async function sendChatMessage(deps: Deps, message: ChatMessage): Promise<void> {
  await inTransaction(deps, (trx) => notify(deps, trx, [{ recipient: 'client', ...message }]));
  deps.outbox.wake();
}

export interface ButtonOutcome {
  /** The short notice on the pressed button. */
  notice: string;
  /** The pressed message's buttons have done their job. */
  done: boolean;
}

/**
 * A press of a button by a Telegram account: a session's, the helping-hand question's or an offered
 * time's. Client buttons act through the client's own
 * commands (confirm, cancel with a reason); the psychologist's mark attendance. `updateKey` makes a
 * retried update send nothing twice.
 */
export async function pressButton(
  deps: Deps,
  telegramId: string,
  press: Callback,
  updateKey: string,
): Promise<ButtonOutcome> {
  if ('ticketId' in press) {
    const actor = await telegramActor(deps, telegramId);
    const { message } = await answerHelpHand(deps, actor, {
      ticketId: press.ticketId,
      stillWanted: press.action === 'hhyes',
    });
    return { notice: message, done: true };
  }
  if ('slotId' in press && press.action === 'move') {
    return moveToOfferedSlot(deps, telegramId, press.slotId, updateKey);
  }
  if ('slotId' in press) {
    const actor = await telegramActor(deps, telegramId);
    const { message, booked } = await bookOfferedSlot(deps, actor, {
      slotId: press.slotId,
      chatId: telegramId,
      updateKey,
    });
    return { notice: message, done: booked };
  }
  if (press.action === 'rate') return pressRating(deps, telegramId, press);
  return pressSessionButton(deps, telegramId, press, updateKey);
}

/** A mark 1–5 under the feedback request: rated through the client's own rate-session command. */
async function pressRating(deps: Deps, telegramId: string, press: RatingCallback): Promise<ButtonOutcome> {
  const session = await sessionsRepository.findById(deps.db, press.sessionId);
  if (!session) throw notFound('session');
  const actor = await telegramActor(deps, telegramId);
  if (actor.kind !== 'client') throw forbidden();
  const { message } = await rateSession(deps, actor, {
    ticketId: session.ticket_id,
    sessionId: session.id,
    rating: press.rating,
    feedback: null,
  });
  deps.outbox.wake();
  return { notice: message, done: true };
}

async function pressSessionButton(
  deps: Deps,
  telegramId: string,
  press: SessionCallback,
  updateKey: string,
): Promise<ButtonOutcome> {
  const session = await sessionsRepository.findById(deps.db, press.sessionId);
  if (!session) throw notFound('session');

  if (press.action === 'held' || press.action === 'noshow') {
    const psychologist = await psychologistsRepository.findByTelegramId(deps.db, telegramId);
    if (!psychologist || psychologist.id !== session.psychologist_id) throw forbidden();
    const status = press.action === 'held' ? 'completed' : 'missed';
    await setSessionStatus(deps, SERVICE, { sessionId: session.id, status, reason: null });
    return { notice: messages.bot.sessionMarked(status), done: true };
  }

  const actor = await telegramActor(deps, telegramId);
  if (actor.kind !== 'client') throw forbidden();
  requireTicketAccess(actor, session);
  if (!isActive(session.status)) throw conflict('session_not_active', messages.bot.staleButton);

  switch (press.action) {
    case 'confirm': {
      const { message } = await confirmSession(deps, actor, {
        ticketId: session.ticket_id,
        slotTime: session.start_at,
      });
      deps.outbox.wake();
      return { notice: message, done: true };
    }
    case 'cancel':
      await sendChatMessage(deps, {
        chatId: telegramId,
        text: messages.bot.askCancelReason,
        buttons: cancelReasonButtons(deps.callbacks, session.id),
        dedupeKey: `cancel-reason:${session.id}:${updateKey}`,
        clientId: session.client_id,
      });
      return { notice: messages.bot.askCancelReason, done: false };
    case 'keep':
      return { notice: messages.bot.keptSession, done: true };
    case 'reschedule': {
      // The psychologist's free times as buttons; with none free, the operators find one.
      const times = await offeredSlots(deps, deps.db, session.psychologist_id, deps.clock.now());
      if (times.length) {
        await sendChatMessage(deps, {
          chatId: telegramId,
          text: messages.bot.chooseNewTime,
          buttons: slotButtons(deps.callbacks, times, 'move'),
          dedupeKey: `reschedule-offer:${session.id}:${updateKey}`,
          clientId: session.client_id,
        });
        return { notice: messages.bot.chooseNewTime, done: false };
      }
      await inTransaction(deps, async (trx) => {
        const parties = await loadParties(trx, session);
        const refs = { clientId: session.client_id, ticketId: session.ticket_id, sessionId: session.id };
        const key = `reschedule-request:${session.id}:${updateKey}`;
        await notify(deps, trx, [
          {
            dedupeKey: `${key}:client`,
            recipient: 'client',
            chatId: telegramId,
            text: messages.bot.rescheduleRequested,
            ...refs,
          },
          adminMessage(
            deps,
            `${key}:admin`,
            messages.bot.rescheduleRequestedAdmin(parties.client.lead_number, factsOf(parties)),
            refs,
          ),
        ]);
      });
      deps.outbox.wake();
      return { notice: messages.bot.rescheduleRequested, done: false };
    }
    default: {
      const reason = CANCEL_REASONS[press.action as CancelReasonAction].reason;
      const { message } = await cancelSession(deps, actor, {
        ticketId: session.ticket_id,
        reason,
        sessionId: session.id,
      });
      deps.outbox.wake();
      return { notice: message, done: true };
    }
  }
}

/** What a failed button press tells the person: kind, and never the internals. */
export function buttonFailureNotice(error: unknown): string {
  if (!(error instanceof AppError)) return messages.bot.somethingWrong;
  if (error.kind === 'forbidden' || error.kind === 'unauthenticated') return messages.bot.notYours;
  if (error.kind === 'conflict' || error.kind === 'not_found') return messages.bot.staleButton;
  return messages.bot.somethingWrong;
}

/** The psychologist's /schedule: their get-schedule messages (null when the account is no psychologist). */
export async function psychologistScheduleOf(deps: Deps, telegramId: string): Promise<string[] | null> {
  const psychologist = await psychologistsRepository.findByTelegramId(deps.db, telegramId);
  if (!psychologist) return null;
  return scheduleMessages(deps, SERVICE, { psychologist });
}

/** A press on an offered new time: the person's active session with that psychologist moves there. */
async function moveToOfferedSlot(
  deps: Deps,
  telegramId: string,
  slotId: string,
  updateKey: string,
): Promise<ButtonOutcome> {
  const actor = await telegramActor(deps, telegramId);
  if (actor.kind !== 'client') throw forbidden();
  const slot = await slotsRepository.findById(deps.db, slotId);
  if (!slot) throw notFound('slot');
  const session = await sessionsRepository.activeOfClientWithPsychologist(
    deps.db,
    actor.clientId,
    slot.psychologist_id,
  );
  if (!session) throw conflict('no_active_session', messages.bot.staleButton);
  try {
    await rescheduleSession(deps, actor, { ticketId: session.ticket_id, newStart: slot.start_at });
  } catch (error) {
    if (!(error instanceof AppError) || error.kind !== 'conflict') throw error;
    const times = await offeredSlots(deps, deps.db, slot.psychologist_id, deps.clock.now());
    await sendChatMessage(deps, {
      chatId: telegramId,
      text: times.length ? messages.jobs.slotTakenRetry : messages.bot.staleButton,
      ...(times.length ? { buttons: slotButtons(deps.callbacks, times, 'move') } : {}),
      dedupeKey: `move-taken:${slotId}:${updateKey}`,
      clientId: actor.clientId,
    });
    return { notice: messages.jobs.slotTakenRetry, done: false };
  }
  deps.outbox.wake();
  return { notice: messages.bot.sessionMoved, done: true };
}
