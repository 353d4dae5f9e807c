// POST /client-os: the questionnaire after a session. Stored with the client, psychologist and session;
// a numeric mark is the rating of that session once it took place; the operators get a summary; "another psychologist" offers the
// client the other matched psychologists' free times as buttons; a later second session plans the
// matching follow-up.
import type { Deps } from '../deps.ts';
import { forbidden, notFound } from '../errors.ts';
import { requireService, SERVICE, type Actor } from '../domain/access.ts';
import { tookPlace } from '../domain/session-state.ts';
import { parseSlotTime } from '../domain/time.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { questionnairesRepository } from '../repositories/questionnaires.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { slotButtons } from '../texts/callback-data.ts';
import { messages } from '../texts/messages.ts';
import { planFollowup } from './client-followups.ts';
import { reassignmentSchedule } from './reassignment.ts';
import { adminMessage, notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';

export interface Anketa {
  mark?: string;
  feelings?: string;
  questions?: string;
  needs?: string;
  status?: string;
  wantOtherPschologist?: string;
  secondSessionTime?: string;
}

export interface QuestionnaireInput {
  anketa: Anketa;
  telegramId?: string;
  leadNumber?: string;
  psychologistName?: string;
  psychologistTelegramId?: string;
  sessionDate?: string;
  /** The body as sent, kept with the answers. */
  raw: unknown;
}

const AFFIRMATIVE = /^(да|yes|true|1)$/i;

/** "later" means any answer that is not "now"; three weeks or a month → the 3-week follow-up. */
export function followupOf(secondSessionTime: string | undefined) {
  const text = secondSessionTime?.trim();
  if (!text || /сейчас/i.test(text)) return null;
  return /(3|три)\s*недел|месяц/i.test(text) ? ('after_3_weeks' as const) : ('after_5_days' as const);
}

export async function submitQuestionnaire(
  deps: Deps,
  actor: Actor,
  input: QuestionnaireInput,
): Promise<void> {
  const client =
    (input.telegramId ? await clientsRepository.findByTelegramId(deps.db, input.telegramId) : undefined) ??
    (input.leadNumber ? await clientsRepository.findByLeadNumber(deps.db, input.leadNumber) : undefined);
  // A client token learns nothing of other people: unknown and foreign look the same (403).
  if (!client) throw actor.kind === 'client' ? forbidden() : notFound('client', 'клиент не найден');
  // A token of this person: the whole client's, or a ticket's for that ticket's session (checked below).
  if (actor.kind === 'client' && actor.clientId !== client.id) throw forbidden();
  if (actor.kind !== 'client') requireService(actor);

  const psychologist =
    (input.psychologistName
      ? await psychologistsRepository.findByName(deps.db, input.psychologistName)
      : undefined) ??
    (input.psychologistTelegramId
      ? await psychologistsRepository.findByTelegramId(deps.db, input.psychologistTelegramId)
      : undefined);
  const now = deps.clock.now();
  const sessionAt = input.sessionDate ? parseSlotTime(input.sessionDate, now) : null;
  const session = psychologist
    ? await sessionsRepository.ofClientWithPsychologist(deps.db, client.id, psychologist.id, sessionAt, now)
    : undefined;
  // A ticket's token (a public submission: anyone can type a contact) answers only for a session of
  // that ticket, never rates or reports on the person's other sessions.
  if (actor.kind === 'client' && actor.ticketId !== undefined && session?.ticket_id !== actor.ticketId)
    throw forbidden();
  const a = input.anketa;
  const mark = Number(a.mark?.trim());
  // The mark rates the session only once it has taken place: a session still ahead (a questionnaire
  // sent early, or a session_date naming the next one) keeps no rating it could not have earned.
  const rating =
    Number.isInteger(mark) && mark >= 1 && mark <= 5 && session && tookPlace(session, now) ? mark : null;
  const wantsAnother = AFFIRMATIVE.test(a.wantOtherPschologist?.trim() ?? '');

  // The other matched psychologists' free times, read before the transaction (a read, no lock needed).
  const others = wantsAnother
    ? await reassignmentSchedule(deps, SERVICE, { leadNumber: client.lead_number, mode: 'psychologist' })
    : [];

  await inTransaction(deps, async (trx) => {
    const id = await questionnairesRepository.insert(
      trx,
      {
        clientId: client.id,
        psychologistId: psychologist?.id ?? null,
        sessionId: session?.id ?? null,
        anketa: a,
        payload: input.raw,
      },
      now,
    );
    if (session && rating !== null) {
      await sessionsRepository.update(trx, session.id, { rating, rated_at: now }, now);
      await sessionsRepository.addRating(trx, session.id, rating, a.feelings?.trim() || null, now);
    }
    const refs = {
      clientId: client.id,
      ticketId: session?.ticket_id ?? null,
      sessionId: session?.id ?? null,
    };
    await notify(deps, trx, [
      adminMessage(
        deps,
        `questionnaire:${id}`,
        messages.questionnaire.adminSummary({
          lead: client.lead_number,
          psychologist: psychologist?.name ?? input.psychologistName ?? null,
          sessionAt: session?.start_at ?? sessionAt,
          wantsAnother,
          answers: [
            ['Оценка', a.mark ?? null],
            ['Чувства', a.feelings ?? null],
            ['Вопросы', a.questions ?? null],
            ['Потребности', a.needs ?? null],
            ['Состояние', a.status ?? null],
            ['Другой психолог', a.wantOtherPschologist ?? null],
            ['Вторая сессия', a.secondSessionTime ?? null],
          ],
        }),
        refs,
      ),
      ...(wantsAnother && others.length
        ? [
            {
              dedupeKey: `questionnaire:${id}:another`,
              recipient: 'client' as const,
              chatId: client.telegram_id,
              text: messages.reassignment.anotherWanted,
              buttons: slotButtons(
                deps.callbacks,
                others
                  .slice(0, 8)
                  .map((s) => ({ id: s.id, label: `${s.date} ${s.time} — ${s.psychologist}` })),
              ),
              ...refs,
            },
          ]
        : []),
    ]);
  });
  const followup = followupOf(a.secondSessionTime);
  if (followup) {
    await planFollowup(deps, SERVICE, {
      client: { leadNumber: client.lead_number },
      kind: followup,
      ...(psychologist ? { psychologistName: psychologist.name } : {}),
    });
  }
  deps.outbox.wake();
}
