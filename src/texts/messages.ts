// Every text people read, in one place so wording can be reviewed. The people writing to us are often
// in distress: short sentences, warm tone, no jargon, always a next step.
import { formatDate, formatTime, clientOffsetMs } from '../domain/time.ts';

export interface SessionFacts {
  startAt: Date;
  psychologistName: string;
  meetingLink: string | null;
  clientOffsetHours?: number | null;
}

function when(facts: SessionFacts): string {
  const msk = `${formatDate(facts.startAt)} в ${formatTime(facts.startAt)} (по Москве)`;
  if (
    facts.clientOffsetHours === null ||
    facts.clientOffsetHours === undefined ||
    facts.clientOffsetHours === 0
  ) {
    return msk;
  }
  const local = clientOffsetMs(facts.clientOffsetHours);
  return `${msk}, у вас будет ${formatDate(facts.startAt, local)} ${formatTime(facts.startAt, local)}`;
}

const short = (date: Date) => `${formatDate(date)} ${formatTime(date)}`;
const link = (meetingLink: string | null) => (meetingLink ? `\nСсылка на встречу: ${meetingLink}` : '');

export const messages = {
  sessionBookedClient: (f: SessionFacts) =>
    `Вы записаны на сессию 🌿\n\nКогда: ${when(f)}\nПсихолог: ${f.psychologistName}${link(f.meetingLink)}\n\n` +
    'Пожалуйста, подтвердите запись кнопкой ниже. Если планы изменятся, запись можно перенести или отменить.',
  sessionBookedPsychologist: (
    f: SessionFacts,
    client: { name: string | null; age: number | null; request: string | null },
  ) =>
    `Новый клиент записан на сессию\n\nКогда: ${short(f.startAt)} (МСК)\nКлиент: ${client.name ?? 'имя не указано'}` +
    `${client.age ? `, ${client.age}` : ''}\nЗапрос: ${client.request ?? '—'}${link(f.meetingLink)}`,
  sessionBookedAdmin: (f: SessionFacts, lead: string, ticketId: string) =>
    `Запись: ${lead} → ${f.psychologistName}, ${short(f.startAt)} (заявка ${ticketId})`,

  sessionConfirmedClient: (f: SessionFacts) =>
    `Спасибо, запись подтверждена. Ждём вас ${when(f)}.${link(f.meetingLink)}`,
  sessionConfirmedPsychologist: (f: SessionFacts) => `Клиент подтвердил сессию ${short(f.startAt)} (МСК).`,

  sessionCancelledClient: (f: SessionFacts) =>
    `Запись на ${short(f.startAt)} (МСК) отменена. Если захотите выбрать другое время, просто напишите нам — мы поможем.`,
  sessionCancelledPsychologist: (f: SessionFacts, reason: string | null) =>
    `Сессия ${short(f.startAt)} (МСК) отменена.${reason ? `\nПричина: ${reason}` : ''}`,
  sessionCancelledAdmin: (f: SessionFacts, lead: string, reason: string | null) =>
    `Отмена: ${lead}, ${f.psychologistName}, ${short(f.startAt)}.${reason ? `\nПричина: ${reason}` : ''}`,

  sessionRescheduledClient: (f: SessionFacts) =>
    `Сессия перенесена. Новое время: ${when(f)}\nПсихолог: ${f.psychologistName}${link(f.meetingLink)}\n\n` +
    'Пожалуйста, подтвердите новое время кнопкой ниже.',
  sessionRescheduledPsychologist: (f: SessionFacts, previous: Date) =>
    `Сессия перенесена: было ${short(previous)}, стало ${short(f.startAt)} (МСК).${link(f.meetingLink)}`,
  sessionRescheduledAdmin: (f: SessionFacts, lead: string, previous: Date) =>
    `Перенос: ${lead}, ${f.psychologistName}, ${short(previous)} → ${short(f.startAt)}`,

  ticketCreatedAdmin: (t: {
    ticketId: string;
    kind: string;
    lead: string;
    name: string | null;
    age: number | null;
    contact: string | null;
    request: string | null;
    offers?: { name: string; slots: Date[] }[];
  }) => {
    const offers = !t.offers
      ? null
      : t.offers.length
        ? t.offers
            .map((o) => `• ${o.name}${o.slots.length ? `: ${o.slots.map(short).join(', ')}` : ''}`)
            .join('\n')
        : 'подходящих психологов не нашлось';
    return (
      `Новая заявка ${t.ticketId} (${t.kind})\nЛид: ${t.lead}\nИмя: ${t.name ?? '—'}${t.age ? `, ${t.age}` : ''}\n` +
      `Контакт: ${t.contact ?? '—'}\nЗапрос: ${t.request ?? '—'}${offers ? `\n\nПодобраны:\n${offers}` : ''}`
    );
  },

  lowRatingAdmin: (lead: string, rating: number, psychologistName: string, feedback: string | null) =>
    `Низкая оценка ${rating}/5: ${lead}, психолог ${psychologistName}.${feedback ? `\nОтзыв: ${feedback}` : ''}`,

  slotBookedWithoutSessionAdmin: (psychologistName: string, startAt: Date) =>
    `Слот ${psychologistName} ${short(startAt)} отмечен занятым вручную, но записи клиента на него нет. Проверьте, пожалуйста.`,

  slotFreedReason: 'слот освобождён в расписании',

  /** Short answers returned to the caller (the old clients showed them to people). */
  reply: {
    diagnosticRequestReceived:
      'Спасибо, заявка принята. Мы свяжемся с вами в ближайшее время — а чтобы не потеряться, откройте нашего бота по ссылке.',
    sessionConfirmed: 'Сессия подтверждена',
    sessionAlreadyConfirmed: 'Сессия уже подтверждена',
    sessionBookedAndConfirmed: 'Время забронировано и подтверждено',
    sessionCancelled: 'Сессия отменена',
    sessionRescheduled: 'Сессия перенесена',
    sessionRated: 'Спасибо за оценку',
  },
};
