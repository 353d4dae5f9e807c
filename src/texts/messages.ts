// Every text people read, in one place so wording can be reviewed. The people writing to us are often
// in distress: short sentences, warm tone, no jargon, always a next step. Whatever a person typed is
// shown through fit.ts: quoted when it may span lines, flattened inside our own lines.
import { formatDate, formatTime, clientOffsetMs } from '../domain/time.ts';
import { cutToFit, oneLine, oneLineOr, quoted } from './fit.ts';

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
/** A typed text under its label: the label on a line of ours, the text quoted below it. */
const typedBlock = (label: string, typed: string | null | undefined) =>
  typed?.trim() ? `${label}:\n${quoted(typed)}` : `${label}: —`;

export const messages = {
  sessionBookedClient: (f: SessionFacts) =>
    `Вы записаны на сессию 🌿\n\nКогда: ${when(f)}\nПсихолог: ${oneLine(f.psychologistName)}${link(f.meetingLink)}\n\n` +
    'Пожалуйста, подтвердите запись кнопкой ниже. Если планы изменятся, запись можно перенести или отменить.',
  sessionBookedPsychologist: (
    f: SessionFacts,
    client: { name: string | null; age: number | null; request: string | null },
  ) =>
    `Новый клиент записан на сессию\n\nКогда: ${short(f.startAt)} (МСК)\nКлиент: ${oneLineOr(client.name, 'имя не указано')}` +
    `${client.age ? `, ${client.age}` : ''}${link(f.meetingLink)}\n${typedBlock('Запрос', client.request)}`,
  sessionBookedAdmin: (f: SessionFacts, lead: string, ticketId: string) =>
    `Запись: ${lead} → ${oneLine(f.psychologistName)}, ${short(f.startAt)} (заявка ${ticketId})`,

  sessionConfirmedClient: (f: SessionFacts) =>
    `Спасибо, запись подтверждена. Ждём вас ${when(f)}.${link(f.meetingLink)}`,
  sessionConfirmedPsychologist: (f: SessionFacts) => `Клиент подтвердил сессию ${short(f.startAt)} (МСК).`,

  sessionCancelledClient: (f: SessionFacts) =>
    `Запись на ${short(f.startAt)} (МСК) отменена. Если захотите выбрать другое время, просто напишите нам — мы поможем.`,
  sessionCancelledPsychologist: (f: SessionFacts, reason: string | null) =>
    `Сессия ${short(f.startAt)} (МСК) отменена.${reason ? `\n${typedBlock('Причина', reason)}` : ''}`,
  sessionCancelledAdmin: (f: SessionFacts, lead: string, reason: string | null) =>
    cutToFit(
      `Отмена: ${lead}, ${oneLine(f.psychologistName)}, ${short(f.startAt)}.${reason ? `\n${typedBlock('Причина', reason)}` : ''}`,
    ),

  sessionRescheduledClient: (f: SessionFacts) =>
    `Сессия перенесена. Новое время: ${when(f)}\nПсихолог: ${oneLine(f.psychologistName)}${link(f.meetingLink)}\n\n` +
    'Пожалуйста, подтвердите новое время кнопкой ниже.',
  sessionRescheduledPsychologist: (f: SessionFacts, previous: Date) =>
    `Сессия перенесена: было ${short(previous)}, стало ${short(f.startAt)} (МСК).${link(f.meetingLink)}`,
  sessionRescheduledAdmin: (f: SessionFacts, lead: string, previous: Date) =>
    `Перенос: ${lead}, ${oneLine(f.psychologistName)}, ${short(previous)} → ${short(f.startAt)}`,

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
            .map((o) => `• ${oneLine(o.name)}${o.slots.length ? `: ${o.slots.map(short).join(', ')}` : ''}`)
            .join('\n')
        : 'подходящих психологов не нашлось';
    // The offers go before the request: when a long request is cut, what was offered still shows.
    return cutToFit(
      `Новая заявка ${t.ticketId} (${t.kind})\nЛид: ${t.lead}\nИмя: ${oneLineOr(t.name, '—')}${t.age ? `, ${t.age}` : ''}\n` +
        `Контакт: ${oneLineOr(t.contact, '—')}${offers ? `\n\nПодобраны:\n${offers}` : ''}\n\n${typedBlock('Запрос', t.request)}`,
    );
  },

  lowRatingAdmin: (lead: string, rating: number, psychologistName: string, feedback: string | null) =>
    cutToFit(
      `Низкая оценка ${rating}/5: ${lead}, психолог ${oneLine(psychologistName)}.${feedback ? `\n${typedBlock('Отзыв', feedback)}` : ''}`,
    ),

  slotBookedWithoutSessionAdmin: (psychologistName: string, startAt: Date) =>
    `Слот ${oneLine(psychologistName)} ${short(startAt)} отмечен занятым вручную, но записи клиента на него нет. Проверьте, пожалуйста.`,

  slotFreedReason: 'слот освобождён в расписании',

  /** What the bot says in a person's own chat. */
  bot: {
    greeting: (name: string | null) =>
      `Здравствуйте${name && oneLine(name, 64) ? `, ${oneLine(name, 64)}` : ''}! Это бот проекта «Хранители» 🌿\n\n` +
      'Здесь будут приходить напоминания о сессиях и ссылки на встречи, а записи можно подтвердить, ' +
      'перенести или отменить кнопками. Если хотите что-то спросить — просто напишите сюда, ' +
      'администратор ответит.',
    ticketWelcome: (t: {
      ticketId: string;
      status: string;
      session: SessionFacts | null;
      sessionStatus: string | null;
    }) => {
      const head = `Здравствуйте! Вы перешли в бот по заявке ${t.ticketId} 🌿`;
      if (t.session && t.sessionStatus === 'pending')
        return `${head}\n\nВы записаны на сессию.\nКогда: ${when(t.session)}\nПсихолог: ${oneLine(t.session.psychologistName)}${link(t.session.meetingLink)}\n\nПожалуйста, подтвердите запись кнопкой ниже.`;
      if (t.session && t.sessionStatus === 'confirmed')
        return `${head}\n\nВаша сессия подтверждена.\nКогда: ${when(t.session)}\nПсихолог: ${oneLine(t.session.psychologistName)}${link(t.session.meetingLink)}\n\nНакануне мы напомним о встрече.`;
      if (t.status === 'closed' || t.status === 'cancelled')
        return `${head}\n\nЭта заявка уже закрыта. Если вам снова нужна поддержка, просто напишите сюда — мы поможем.`;
      return `${head}\n\nМы получили вашу заявку и подбираем психолога и время. Администратор напишет вам здесь. Если хотите что-то добавить — просто напишите в этот чат.`;
    },
    proveTicket:
      'Чтобы показать заявку, нам нужно убедиться, что она ваша 🌿\n\n' +
      '• Если в заявке вы указали номер телефона — нажмите кнопку «Поделиться номером» ниже.\n' +
      '• Если указали Telegram — откройте ссылку из этого аккаунта.\n\n' +
      'Если вы оставляли другой контакт, администратор свяжется с вами сам. А если хотите что-то спросить — просто напишите сюда.',
    shareContactButton: 'Поделиться номером',
    shareOwnContact: 'Пожалуйста, поделитесь своим номером — кнопкой «Поделиться номером» ниже.',
    phoneProven: 'Спасибо, номер подтверждён 🌿',
    phoneProvenNoTicket:
      'Спасибо, номер подтверждён. Заявки с этим номером мы не нашли — если вы указывали другой контакт, администратор свяжется с вами.',
    tooManyLinks: 'Слишком много попыток открыть заявку. Попробуйте позже или просто напишите сюда.',
    loginCode: (code: string) =>
      `Ваш код для входа: ${code}\n\nОн действует 10 минут. Никому его не сообщайте — даже если представятся сотрудником.`,
    relayed: 'Спасибо, передали администратору. Он ответит здесь, как только сможет.',
    fromAdmin: (text: string) => `Сообщение от администратора:\n${quoted(text)}`,
    staleButton: 'Эта кнопка уже не действует. Если нужна помощь, напишите сюда — администратор ответит.',
    notYours: 'Эта запись оформлена на другой аккаунт. Напишите сюда, если нужна помощь.',
    askCancelReason: 'Жаль, что так вышло. Подскажите, почему отменяете? Это поможет нам.',
    keptSession: 'Хорошо, запись остаётся в силе 🌿',
    chooseNewTime: 'Выберите новое время — кнопкой ниже. Если ничего не подходит, напишите нам.',
    sessionMoved: 'Готово, сессия перенесена 🌿 Подробности пришлём отдельным сообщением.',
    rescheduleRequested:
      'Поняли, что нужно другое время. Передали администратору — он предложит варианты здесь, в чате.',
    rescheduleRequestedAdmin: (lead: string, f: SessionFacts) =>
      `${lead} просит перенести сессию ${short(f.startAt)} (${oneLine(f.psychologistName)}). Предложите, пожалуйста, другое время.`,
    linkOpenedAdmin: (lead: string, ticketId: string) => `Клиент ${lead} перешёл в бот (заявка ${ticketId}).`,
    linkUnprovenAdmin: (lead: string, ticketId: string) =>
      `Заявку ${ticketId} (${lead}) открыли в боте, но контакт из заявки Telegram подтвердить не может ` +
      '(e-mail или другой контакт). Заявка не связана с аккаунтом — свяжитесь с человеком по контакту из заявки.',
    sessionMarked: (status: string) =>
      status === 'completed'
        ? 'Спасибо! Отметили, что сессия состоялась.'
        : 'Спасибо, отметили, что клиент не пришёл.',
    somethingWrong:
      'Что-то пошло не так. Попробуйте ещё раз чуть позже или напишите сюда — администратор поможет.',
  },

  /** The operators' chat. */
  adminChat: {
    fromClient: (lead: string, name: string | null, username: string | null, text: string) =>
      `${lead} (${oneLineOr(name, 'без имени', 64)}${username ? `, @${oneLine(username, 64)}` : ''}):\n${quoted(text)}`,
    unknownLead: (lead: string) => `Клиент ${lead} не найден.`,
    /**
     * New tickets of one minute gathered into one message when several came at once. Ticket and lead
     * only: the message belongs to nobody in particular, so it carries no one's name or request.
     */
    newTicketsDigest: (minute: Date, tickets: { ticketId: string; lead: string | null }[]) =>
      cutToFit(
        `Новые заявки за ${short(minute)} (МСК): ${tickets.length}\n` +
          tickets.map((t) => `• ${t.ticketId}${t.lead ? ` — ${t.lead}` : ''}`).join('\n') +
          '\n\nПодробности каждой — в консоли.',
      ),
    noChat: (lead: string) => `У клиента ${lead} нет чата с ботом — сообщение не отправить.`,
    unknownThread: 'Не нашли, к какому клиенту относится это сообщение. Напишите так: br0722: текст',
    ticketData: (t: {
      ticketId: string;
      name: string | null;
      age: string | null;
      contact: string | null;
      request: string | null;
      offers: { name: string; slots: string[] }[];
    }) =>
      cutToFit(
        `Заявка ${oneLine(t.ticketId, 40)}\nИмя: ${oneLineOr(t.name, '—')}${t.age ? `, ${oneLine(t.age, 10)}` : ''}\n` +
          `Контакт: ${oneLineOr(t.contact, '—')}\n\nПредложены:\n` +
          (t.offers.length
            ? t.offers
                .map(
                  (o) =>
                    `• ${oneLine(o.name)}${o.slots.length ? `: ${o.slots.map((slot) => oneLine(slot, 40)).join(', ')}` : ''}`,
                )
                .join('\n')
            : '—') +
          `\n\n${typedBlock('Запрос', t.request)}`,
      ),
  },

  /** What the jobs send. */
  jobs: {
    reminderClient: (f: SessionFacts, tipsUrl: string | null) =>
      `Напоминаем: сегодня сессия 🌿\n\nКогда: ${when(f)}\nПсихолог: ${oneLine(f.psychologistName)}${link(f.meetingLink)}` +
      (tipsUrl ? `\n\nКак подготовиться: ${tipsUrl}` : '') +
      '\n\nЕсли планы изменились, напишите нам — перенесём.',
    reminderPsychologist: (f: SessionFacts, lead: string) =>
      `Напоминание: сессия ${short(f.startAt)} (МСК), клиент ${lead}.${link(f.meetingLink)}`,
    feedbackClient: (f: SessionFacts) =>
      `Как прошла встреча с психологом ${oneLine(f.psychologistName)}? Нам важно ваше мнение — оцените сессию, ` +
      'пожалуйста, кнопкой ниже: 1 — совсем не помогла, 5 — очень помогла. Если захотите что-то добавить ' +
      'или продолжить, просто напишите здесь.',
    feedbackPsychologist: (f: SessionFacts, lead: string) =>
      `Сессия ${short(f.startAt)} (МСК) с клиентом ${lead} завершилась. Отметьте, пожалуйста, как она прошла, и заполните форму сессии.`,
    linkNotOpenedAdmin: (ticketId: string, lead: string, contact: string | null) =>
      `Клиент не перешёл по ссылке в бот: заявка ${ticketId}, лид ${lead}, контакт: ${oneLineOr(contact, 'не указан')}.`,
    helpHandStillWanted:
      'Здравствуйте! Вы оставляли заявку на бесплатную поддержку. Мы всё ещё ищем для вас психолога. Заявка ещё актуальна?',
    helpHandYes: 'Спасибо, что ответили. Продолжаем искать психолога — напишем, как только найдём 🌿',
    helpHandNo: 'Поняли, закрываем заявку. Если поддержка снова понадобится — просто напишите нам.',
    helpHandNobodyAdmin: (ticketId: string, lead: string) =>
      `Заявке «Рука помощи» ${ticketId} (лид ${lead}) уже 21 день, а психолог так и не найден.`,
    followupSlots: (psychologistName: string, hasSlots: boolean, schedule: string) =>
      hasSlots
        ? `Здравствуйте! Если хотите продолжить работу с психологом ${oneLine(psychologistName)}, выберите удобное время — кнопкой ниже.\n\n${schedule}`
        : `Здравствуйте! Если хотите продолжить работу с психологом ${oneLine(psychologistName)}, напишите нам — сейчас свободного времени нет, но мы подберём.`,
    slotTakenRetry: 'Это время уже заняли. Вот что свободно сейчас:',
    slotBooked: 'Готово, вы записаны 🌿 Подробности пришлём отдельным сообщением.',
  },

  reassignment: {
    offer: (names: string[], hasSlots: boolean) =>
      `Мы подобрали для вас ${names.length > 1 ? 'психологов' : 'психолога'}: ${names.map((name) => oneLine(name)).join(', ')} 🌿\n\n` +
      (hasSlots ? 'Выберите удобное время кнопкой ниже.' : 'Свободное время уточним и напишем вам здесь.'),
    anotherWanted: 'Понимаем. Вот свободное время других психологов — выберите удобное кнопкой ниже.',
  },

  questionnaire: {
    adminSummary: (q: {
      lead: string;
      psychologist: string | null;
      sessionAt: Date | null;
      answers: [string, string | null][];
      wantsAnother: boolean;
    }) =>
      cutToFit(
        `Анкета после сессии: ${q.lead}, психолог ${oneLineOr(q.psychologist, 'не указан')}` +
          `${q.sessionAt ? `, сессия ${short(q.sessionAt)}` : ''}` +
          (q.wantsAnother ? '\n❗ Клиент просит другого психолога' : '') +
          `\n\n${q.answers
            .filter(([, value]) => value?.trim())
            .map(([label, value]) => typedBlock(label, value))
            .join('\n')}`,
      ),
  },

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
