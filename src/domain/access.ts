// Who is acting, and which tickets and clients they may touch (SPEC §3 Access). Every command that
// reads or changes a person's data checks it here on its first lines, whatever door it came through.
import { forbidden, unauthorized, type AppError } from '../errors.ts';

/**
 * What a client token opens. A proven identity (the Telegram login code, a signed link sent to the
 * person's own chat) opens the whole client: every ticket, session and the history. A public
 * submission opens only the ticket it created — anyone can type a contact into a form.
 */
export type ClientGrant = { clientId: string; ticketId?: string };

export type Actor = { kind: 'anonymous' } | { kind: 'service' } | ({ kind: 'client' } & ClientGrant);

export const SERVICE: Actor = { kind: 'service' };
export const ANONYMOUS: Actor = { kind: 'anonymous' };

/** True when the actor may see and act on this ticket of this client. */
export function mayAccessTicket(actor: Actor, ticket: { client_id: string; ticket_id: string }): boolean {
  if (actor.kind === 'service') return true;
  if (actor.kind !== 'client' || actor.clientId !== ticket.client_id) return false;
  return actor.ticketId === undefined || actor.ticketId === ticket.ticket_id;
}

/** True when the actor may see the client as a whole (every ticket, the history). */
export function mayAccessClient(actor: Actor, clientId: string): boolean {
  if (actor.kind === 'service') return true;
  return actor.kind === 'client' && actor.clientId === clientId && actor.ticketId === undefined;
}

/** The ownership rule of a ticket: the service, or a token of that ticket's own client (else 401/403). */
export function requireTicketAccess(actor: Actor, ticket: { client_id: string; ticket_id: string }): void {
  if (actor.kind === 'anonymous') throw unauthorized();
  if (!mayAccessTicket(actor, ticket)) throw forbidden();
}

/** The ownership rule of a whole client: the service, or a whole-client token of that person. */
export function requireClientAccess(actor: Actor, clientId: string): void {
  if (actor.kind === 'anonymous') throw unauthorized();
  if (!mayAccessClient(actor, clientId)) throw forbidden();
}

/** Operator-only actions. */
export function requireService(actor: Actor): void {
  if (actor.kind !== 'service') throw actor.kind === 'anonymous' ? unauthorized() : forbidden();
}

/**
 * The answer about a ticket or person that does not exist. The service learns it (404); anybody else gets
 * what they would get for someone else's (401 anonymous, 403 a client token), so ids cannot be probed.
 */
export function unknownTo(actor: Actor, missing: AppError): AppError {
  if (actor.kind === 'service') return missing;
  return actor.kind === 'anonymous' ? unauthorized() : forbidden();
}
