// An operator issues a psychologist's calendar token (POST /admin/psychologists/:id/calendar-secret):
// a new random token replaces the previous one, only its hash is stored, and the link goes to the
// psychologist's own Telegram chat. The operator sees the token once, in the answer.
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { newCalendarSecret, secretHash } from '../domain/calendar.ts';
import { notFound } from '../errors.ts';
import { calendarRepository } from '../repositories/calendar.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { calendarTexts } from '../texts/calendar.ts';
import { notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';

/** The page's address with the token: {WEB_BASE_URL}/calendar?secret=… */
export function calendarUrl(deps: Deps, secret: string): string {
  const url = new URL('/calendar', deps.config.webBaseUrl);
  url.searchParams.set('secret', secret);
  return url.href;
}

export async function issueCalendarSecret(
  deps: Deps,
  actor: Actor,
  psychologistId: string,
): Promise<{ success: true; secret: string; calendar_url: string; queued_for_telegram: boolean }> {
  requireService(actor);
  const secret = newCalendarSecret();
  const url = calendarUrl(deps, secret);
  const sent = await inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const psychologist = await psychologistsRepository.findById(trx, psychologistId, true);
    if (!psychologist) throw notFound('psychologist');
    await calendarRepository.setSecretHash(trx, psychologist.id, secretHash(secret), now);
    // Only to the psychologist's own chat: without one, the operator passes the link on.
    if (!psychologist.telegram_id) return false;
    await notify(deps, trx, [
      {
        dedupeKey: `calendar-link:${psychologist.id}:${now.getTime()}:${secretHash(secret).slice(0, 16)}`,
        recipient: 'psychologist',
        chatId: psychologist.telegram_id,
        text: calendarTexts.calendarLink(url),
      },
    ]);
    return true;
  });
  if (sent) deps.outbox.wake();
  return { success: true, secret, calendar_url: url, queued_for_telegram: sent };
}
