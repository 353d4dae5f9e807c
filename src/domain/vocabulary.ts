// The service's vocabularies: every status, type and kind a row or an API field can take. The table
// types (db/types.ts), the request schemas and the rules all derive from these lists.

export const SESSION_STATUSES = ['pending', 'confirmed', 'cancelled', 'completed', 'missed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** A session holds its slot while it is pending or confirmed (the partial unique indexes say the same). */
export const ACTIVE_SESSION_STATUSES = ['pending', 'confirmed'] as const satisfies readonly SessionStatus[];
export type ActiveSessionStatus = (typeof ACTIVE_SESSION_STATUSES)[number];

export const TICKET_STATUSES = ['new', 'matched', 'booked', 'closed', 'cancelled'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_TYPES = ['application', 'diagnostic', 'help_hand', 'reassignment'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

export const SLOT_STATES = ['free', 'booked'] as const;
export type SlotState = (typeof SLOT_STATES)[number];

export const CONTACT_TYPES = ['telegram', 'whatsapp', 'phone', 'vk', 'max', 'email'] as const;
export type ContactType = (typeof CONTACT_TYPES)[number];

export const SESSION_KINDS = ['diagnostic', 'regular'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

export const PAYMENT_STATUSES = ['pending', 'completed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** `digested`: one of several new-ticket messages of a minute, sent as part of one digest message instead. */
export const OUTBOX_STATUSES = ['pending', 'sent', 'failed', 'skipped', 'digested'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * How a message waits its turn in its chat. `relay`: a client's own words to the operators, sent before
 * anything else waiting for that chat; `digest`: a new ticket's message, held until its minute is
 * gathered (src/commands/new-ticket-digest.ts); `normal`: everything else.
 */
export const OUTBOX_LANES = ['relay', 'normal', 'digest'] as const;
export type OutboxLane = (typeof OUTBOX_LANES)[number];

export const RECIPIENTS = ['client', 'psychologist', 'admin'] as const;
export type Recipient = (typeof RECIPIENTS)[number];

export const CANCELLED_BY = ['client', 'psychologist', 'operator', 'slot_freed'] as const;
export type CancelledBy = (typeof CANCELLED_BY)[number];

export const isActive = (status: SessionStatus): status is ActiveSessionStatus =>
  (ACTIVE_SESSION_STATUSES as readonly SessionStatus[]).includes(status);
