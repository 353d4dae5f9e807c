// Texts of the web forms' flows that people read: what the operators' chat is told about applications
// from the site, and the names of what went wrong with a chosen time.
import { formatDate, formatTime } from '../domain/time.ts';
import { oneLine, oneLineOr } from './fit.ts';

/** Why the time a person chose on the site was not booked. */
export type NotBookedReason = 'slot_taken' | 'slot_unavailable' | 'slot_not_found' | 'no_slot_chosen';

const REASONS: Record<NotBookedReason, string> = {
  slot_taken: 'это время уже заняли',
  slot_unavailable: 'на это время уже нельзя записаться',
  slot_not_found: 'такого слота в расписании нет',
  no_slot_chosen: 'время не выбрано',
};

export const webFormTexts = {
  kind: (diagnostic: boolean) => (diagnostic ? 'диагностика с сайта' : 'заявка с сайта'),
  slotNotBookedAdmin: (t: {
    ticketId: string;
    lead: string;
    psychologist: string | null;
    startAt: Date | null;
    slotText: string | null;
    reason: NotBookedReason;
  }) => {
    // The psychologist and time may be what the person typed on the site.
    const wanted = t.startAt
      ? `${formatDate(t.startAt)} ${formatTime(t.startAt)}`
      : oneLineOr(t.slotText, '—', 40);
    return (
      `Заявка ${t.ticketId} (${t.lead}): выбранное время не забронировано — ${REASONS[t.reason]}.\n` +
      `Психолог: ${t.psychologist ? oneLine(t.psychologist) : '—'}, время: ${wanted} (МСК).\n` +
      'Предложите, пожалуйста, клиенту другое время.'
    );
  },
};

/** The helping hand after its form: the allotted psychologist and the client's personal confirm link. */
export const helpHandTexts = {
  kind: 'Рука помощи с сайта',
  allottedClient: (psychologist: string, link: string) =>
    `Здравствуйте! Для вас нашёлся психолог проекта «Рука помощи»: ${oneLine(psychologist)}.\n\n` +
    `Выберите удобное время по ссылке:\n${link}\n\n` +
    'Ссылка личная, пожалуйста, не пересылайте её.',
  allottedAdmin: (t: { ticketId: string; lead: string; psychologist: string; sent: boolean }) =>
    `Заявке «Рука помощи» ${t.ticketId} (${t.lead}) назначен психолог ${oneLine(t.psychologist)}. ` +
    (t.sent
      ? 'Ссылка на выбор времени отправлена клиенту в бот.'
      : 'Клиент ещё не в боте: ссылку на выбор времени не отправить. Когда он откроет бота, назначьте психолога ещё раз — придёт новая ссылка.'),
};
