// Allow-list presenters of the operator API: what an admin answer shows of a row. Operators see a
// person's data, but a column added to a table still shows nowhere until it is listed here.
import { Type } from 'typebox';
import type { Client, Psychologist, Session, Ticket } from '../../../db/types.ts';
import { formatDate, formatTime } from '../../../domain/time.ts';
import { TicketRecord, ticketRecord } from '../../presenters.ts';
import { Iso, Nullable } from '../../schemas.ts';
import { MAX_PAGE } from '../../../domain/limits.ts';

const AnyJson = Type.Unknown();
const iso = (value: Date) => value.toISOString();
const isoOrNull = (value: Date | null) => (value ? value.toISOString() : null);

export const PsychologistOut = Type.Object({
  id: Type.String(),
  name: Type.String(),
  sex: Type.String(),
  telegram_id: Nullable(Type.String()),
  telegram_username: Nullable(Type.String()),
  min_price: Type.Integer(),
  max_price: Type.Integer(),
  // The input's caps (psychologists.ts, psychologist-profile.ts).
  queries: Type.Array(Type.String(), { maxItems: 100 }),
  works_with: Type.Array(Type.String(), { maxItems: 100 }),
  description: Nullable(Type.String()),
  experience_years: Nullable(Type.Integer()),
  link_photo: Nullable(Type.String()),
  link_video: Nullable(Type.String()),
  is_active: Type.Boolean(),
  help_hand: Type.Boolean(),
  debt: Type.Integer(),
  number_of_clients_provided: Type.Integer(),
  zoom_account: Nullable(Type.String()),
  // The catalog profile (/cards, /edu-keys-pipeline-batch).
  group: Type.String(),
  age: Nullable(Type.Integer()),
  experience: Nullable(Type.String()),
  verified: Type.Boolean(),
  main_modal: Nullable(Type.String()),
  additional_modals: Type.Array(Type.String(), { maxItems: 50 }),
  vk: Nullable(Type.String()),
  site: Nullable(Type.String()),
  telegram: Nullable(Type.String()),
  personal_therapy_duration: Nullable(Type.String()),
  is_married: Nullable(Type.Boolean()),
  has_children: Nullable(Type.Boolean()),
  takes_diagnostic: Type.Boolean(),
  education: Type.Array(
    Type.Object({
      program_title: Type.String(),
      year: Type.Integer(),
      title: Type.String(),
      doc_type: Type.String(),
    }),
    { maxItems: 100 },
  ),
  created_at: Iso,
  updated_at: Iso,
});

export function presentPsychologist(p: Psychologist) {
  return {
    id: p.id,
    name: p.name,
    sex: p.sex,
    telegram_id: p.telegram_id,
    telegram_username: p.telegram_username,
    min_price: p.min_price,
    max_price: p.max_price,
    queries: p.queries,
    works_with: p.works_with,
    description: p.description,
    experience_years: p.experience_years,
    link_photo: p.link_photo,
    link_video: p.link_video,
    is_active: p.is_active,
    help_hand: p.help_hand,
    debt: p.debt,
    number_of_clients_provided: p.number_of_clients_provided,
    zoom_account: p.zoom_account,
    group: p.group,
    age: p.age,
    experience: p.experience,
    verified: p.verified,
    main_modal: p.main_modal,
    additional_modals: p.additional_modals,
    vk: p.vk,
    site: p.site,
    telegram: p.telegram,
    personal_therapy_duration: p.personal_therapy_duration,
    is_married: p.is_married,
    has_children: p.has_children,
    takes_diagnostic: p.takes_diagnostic,
    education: p.education,
    created_at: iso(p.created_at),
    updated_at: iso(p.updated_at),
  };
}

/** A slot's start as the API gives times everywhere: ISO UTC and Moscow date and time. */
export const SlotTimes = {
  start_iso: Type.String(),
  date: Type.String(),
  time: Type.String(),
};

export function slotTimes(startAt: Date) {
  return { start_iso: iso(startAt), date: formatDate(startAt), time: formatTime(startAt) };
}

export const ClientOut = Type.Object({
  id: Type.String(),
  lead_number: Type.String(),
  name: Nullable(Type.String()),
  age: Nullable(Type.Integer()),
  phone: Nullable(Type.String()),
  email: Nullable(Type.String()),
  telegram_id: Nullable(Type.String()),
  telegram_username: Nullable(Type.String()),
  contact_type: Nullable(Type.String()),
  contact_value: Nullable(Type.String()),
  utm: AnyJson,
  lead_codes: Type.Array(Type.String(), { maxItems: MAX_PAGE }),
  erased_at: Nullable(Iso),
  created_at: Iso,
  updated_at: Iso,
});

export function presentClient(c: Client) {
  return {
    id: c.id,
    lead_number: c.lead_number,
    name: c.name,
    age: c.age,
    phone: c.phone,
    email: c.email,
    telegram_id: c.telegram_id,
    telegram_username: c.telegram_username,
    contact_type: c.contact_type,
    contact_value: c.contact_value,
    utm: c.utm,
    lead_codes: c.lead_codes,
    erased_at: isoOrNull(c.erased_at),
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
  };
}

/** A ticket as operators see it: the stored record with every personal column, and its due times. */
export const TicketOut = Type.Object({
  ...TicketRecord.properties,
  link_check_due_at: Nullable(Iso),
  link_checked_at: Nullable(Iso),
  help_hand_next_check_at: Nullable(Iso),
  help_hand_confirmed_at: Nullable(Iso),
});

export function presentTicket(t: Ticket) {
  return {
    ...ticketRecord(t, true),
    link_check_due_at: isoOrNull(t.link_check_due_at),
    link_checked_at: isoOrNull(t.link_checked_at),
    help_hand_next_check_at: isoOrNull(t.help_hand_next_check_at),
    help_hand_confirmed_at: isoOrNull(t.help_hand_confirmed_at),
  };
}

export const SessionOut = Type.Object({
  id: Type.String(),
  ticket_id: Type.String(),
  client_id: Type.String(),
  psychologist_id: Type.String(),
  psychologist_name: Type.Optional(Type.String()),
  slot_id: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  start_at: Iso,
  duration_minutes: Type.Integer(),
  payment_amount: Nullable(Type.Number()),
  payment_status: Nullable(Type.String()),
  meeting_link: Nullable(Type.String()),
  meeting_platform: Nullable(Type.String()),
  meeting_id: Nullable(Type.String()),
  cancellation_reason: Nullable(Type.String()),
  cancelled_by: Nullable(Type.String()),
  rating: Nullable(Type.Integer()),
  feedback: Nullable(Type.String()),
  rated_at: Nullable(Iso),
  remind_at: Nullable(Iso),
  reminded_at: Nullable(Iso),
  feedback_due_at: Nullable(Iso),
  feedback_asked_at: Nullable(Iso),
  confirmed_at: Nullable(Iso),
  cancelled_at: Nullable(Iso),
  completed_at: Nullable(Iso),
  missed_at: Nullable(Iso),
  rescheduled_at: Nullable(Iso),
  created_at: Iso,
  updated_at: Iso,
});

export function presentSession(s: Session & { psychologist_name?: string }) {
  return {
    id: s.id,
    ticket_id: s.ticket_id,
    client_id: s.client_id,
    psychologist_id: s.psychologist_id,
    ...(s.psychologist_name !== undefined ? { psychologist_name: s.psychologist_name } : {}),
    slot_id: s.slot_id,
    kind: s.kind,
    status: s.status,
    start_at: iso(s.start_at),
    duration_minutes: s.duration_minutes,
    payment_amount: s.payment_amount,
    payment_status: s.payment_status,
    meeting_link: s.meeting_link,
    meeting_platform: s.meeting_platform,
    meeting_id: s.meeting_id,
    cancellation_reason: s.cancellation_reason,
    cancelled_by: s.cancelled_by,
    rating: s.rating,
    feedback: s.feedback,
    rated_at: isoOrNull(s.rated_at),
    remind_at: isoOrNull(s.remind_at),
    reminded_at: isoOrNull(s.reminded_at),
    feedback_due_at: isoOrNull(s.feedback_due_at),
    feedback_asked_at: isoOrNull(s.feedback_asked_at),
    confirmed_at: isoOrNull(s.confirmed_at),
    cancelled_at: isoOrNull(s.cancelled_at),
    completed_at: isoOrNull(s.completed_at),
    missed_at: isoOrNull(s.missed_at),
    rescheduled_at: isoOrNull(s.rescheduled_at),
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
  };
}

export const OutboxMessageOut = Type.Object({
  id: Type.Integer(),
  chat_id: Nullable(Type.String()),
  recipient: Type.String(),
  text: Type.String(),
  buttons: AnyJson,
  dedupe_key: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  created_at: Iso,
  sent_at: Nullable(Iso),
  ticket_id: Nullable(Type.String()),
  session_id: Nullable(Type.String()),
});

export function presentOutboxMessage(m: {
  id: number;
  chat_id: string | null;
  recipient: string;
  text: string;
  buttons: unknown;
  dedupe_key: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  ticket_id: string | null;
  session_id: string | null;
}) {
  return {
    id: m.id,
    chat_id: m.chat_id,
    recipient: m.recipient,
    text: m.text,
    buttons: m.buttons,
    dedupe_key: m.dedupe_key,
    status: m.status,
    attempts: m.attempts,
    last_error: m.last_error,
    created_at: iso(m.created_at),
    sent_at: isoOrNull(m.sent_at),
    ticket_id: m.ticket_id,
    session_id: m.session_id,
  };
}
