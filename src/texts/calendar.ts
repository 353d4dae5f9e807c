// What the bot tells psychologists about the community's events calendar.
import { formatDate, formatTime } from '../domain/time.ts';
import { oneLine } from './fit.ts';

export const calendarTexts = {
  calendarLink: (url: string) =>
    `Ваша личная ссылка на календарь мероприятий сообщества (супервизии, интервизии, лекции):\n${url}\n\n` +
    'Ссылка только для вас: не пересылайте её. Прежняя ссылка больше не работает.',
  eventCanceled: (title: string, startAt: Date) =>
    `Мероприятие «${oneLine(title)}» ${formatDate(startAt)} в ${formatTime(startAt)} (по Москве) отменено. ` +
    'Ваша запись снята, это время снова свободно.',
};
