// Allow-list presenters: what an answer may show of a row. A column added to a table shows nowhere until
// it is listed here, and personal columns are listed as such.
import { Type } from 'typebox';
import type { Ticket } from '../db/types.ts';
import { MAX_PAGE, MAX_SLOTS } from '../domain/limits.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const AnyJson = Type.Unknown();

/** The ticket row of get-ticket-info's stored-record form; personal columns are null without access. */
export const TicketRecord = Type.Object({
  ticket_id: Type.String(),
  form_ticket_id: Nullable(Type.String()),
  client_id: Nullable(Type.String()),
  type: Type.String(),
  status: Type.String(),
  request_text: Nullable(Type.String()),
  preferences: AnyJson,
  // As many as the submissions may carry (their arrays are capped), and the matches found for them.
  selected_slots: Type.Union([Type.Array(Type.String(), { maxItems: MAX_PAGE }), Type.Null()]),
  matched_psychologists: Type.Array(Type.String(), { maxItems: MAX_PAGE }),
  candidate_slot_ids: Type.Array(Type.String(), { maxItems: MAX_SLOTS }),
  psychologist_id: Nullable(Type.String()),
  utm: AnyJson,
  raw_payload: AnyJson,
  promocode: Nullable(Type.String()),
  price_session: Nullable(Type.String()),
  typed_contact: AnyJson,
  note: Nullable(Type.String()),
  bot_link: Nullable(Type.String()),
  link_opened_at: Nullable(Type.String()),
  parent_ticket_id: Nullable(Type.String()),
  help_hand_stage: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export function ticketRecord(ticket: Ticket, personal: boolean) {
  const secret = <T>(value: T) => (personal ? (value ?? null) : null);
  return {
    ticket_id: ticket.ticket_id,
    form_ticket_id: secret(ticket.form_ticket_id),
    client_id: secret(ticket.client_id),
    type: ticket.type,
    status: ticket.status,
    request_text: secret(ticket.request_text),
    preferences: secret(ticket.preferences),
    selected_slots: secret(ticket.selected_slots),
    matched_psychologists: ticket.matched_psychologists,
    candidate_slot_ids: ticket.candidate_slot_ids,
    psychologist_id: ticket.psychologist_id,
    utm: secret(ticket.utm),
    raw_payload: secret(ticket.raw_payload),
    promocode: secret(ticket.promocode),
    price_session: secret(ticket.price_session),
    typed_contact: secret(ticket.typed_contact),
    note: secret(ticket.note),
    bot_link: secret(ticket.bot_link),
    link_opened_at: iso(ticket.link_opened_at),
    parent_ticket_id: ticket.parent_ticket_id,
    help_hand_stage: ticket.help_hand_stage,
    created_at: ticket.created_at.toISOString(),
    updated_at: ticket.updated_at.toISOString(),
  };
}

export const TicketInfo = Type.Object({
  id: Type.String(),
  client_name: Nullable(Type.String()),
  client_phone: Nullable(Type.String()),
  client_telegram: Nullable(Type.String()),
  client_email: Nullable(Type.String()),
  request_text: Nullable(Type.String()),
  status: Type.String(),
  session_status: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
  psychologist_name: Nullable(Type.String()),
  slot_time: Nullable(Type.String()),
  slot_time_iso: Nullable(Type.String()),
  price: Type.Union([Type.Number(), Type.Null()]),
  price_session: Type.Union([
    Type.String({ description: 'a helping-hand ticket: "free", "300" … "3000"' }),
    Type.Null(),
  ]),
});
