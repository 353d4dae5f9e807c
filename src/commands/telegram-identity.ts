// Who a Telegram account is. Updates reach us signed by Telegram (the webhook's secret header), so the
// account in them is proven — unlike a contact typed into a form. Opening the bot through a ticket's
// deep link ties that ticket to the account; nothing else of another person joins it.
import type { Deps } from '../deps.ts';
import type { Client } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { conflict, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { psychologistsRepository } from '../repositories/psychologists.repository.ts';
import { sessionsRepository } from '../repositories/sessions.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { sessionButtons } from '../texts/callback-data.ts';
import { messages } from '../texts/messages.ts';
import { adminMessage, factsOf, loadParties, notify } from './session-processes.ts';
import { inTransaction, isUniqueViolation } from './transaction.ts';

export interface TelegramUser {
  telegramId: string;
  username?: string | null;
  firstName?: string | null;
}

/** client-registration: the client of this Telegram account, created on first contact. */
export async function registerTelegramClient(
  deps: Deps,
  actor: Actor,
  user: TelegramUser,
): Promise<{ client: Client; created: boolean }> {
  requireService(actor);
  return inTransaction(deps, (trx) =>
    clientsRepository.findOrCreateByTelegramId(trx, user, deps.clock.now()),
  );
}

/**
 * process-link: the person opened the bot through a ticket's deep link (our ticket id or the web form's
 * own id). The ticket is tied to their Telegram account, its link marked opened, the person told where
 * the ticket stands (with the session's buttons when one awaits confirmation) and the operators told.
 *
 * Which client record the ticket ends up on:
 * - its client already has this account → nothing moves (opening twice is fine);
 * - its client has another account → 409, nothing changes (the link is not a key to someone else);
 * - its client has no account and this ticket is all it has (a record the submission just created) →
 *   that record gets the account, unless the account already has a client: then the ticket moves there;
 * - its client has no account but other tickets too (a person found by a typed phone or handle) → only
 *   this ticket moves to the account's client: typing someone's contact proves nothing, so their other
 *   tickets and details never join whoever opened the link.
 */
export async function openTicketLink(
  deps: Deps,
  actor: Actor,
  input: TelegramUser & { ref: string; updateKey?: string },
): Promise<{ client: Client; ticketId: string; status: string }> {
  requireService(actor);
  for (let attempt = 1; ; attempt++) {
    try {
      return await linkOnce(deps, input);
    } catch (error) {
      // The account got a client from a parallel /start between our look-up and our write: once more.
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

async function linkOnce(deps: Deps, input: TelegramUser & { ref: string; updateKey?: string }) {
  return inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const ticket = await ticketsRepository.lockByLinkRef(trx, input.ref);
    if (!ticket) throw notFound('ticket', 'заявка не найдена');
    const owner = (await clientsRepository.lock(trx, ticket.client_id))!;
    let client: Client = owner;
    if (owner.telegram_id !== input.telegramId) {
      if (owner.telegram_id) {
        throw conflict('ticket_linked_elsewhere', 'заявка уже связана с другим аккаунтом Telegram');
      }
      const known = await clientsRepository.findByTelegramId(trx, input.telegramId);
      const onlyThisTicket = (await ticketsRepository.countOfClient(trx, owner.id)) === 1;
      if (!known && onlyThisTicket) {
        client = await clientsRepository.attachTelegram(trx, owner.id, input, now);
      } else {
        client = known ?? (await clientsRepository.findOrCreateByTelegramId(trx, input, now)).client;
        await ticketsRepository.moveToClient(trx, ticket.ticket_id, client.id, now);
      }
    }
    const firstOpening = !ticket.link_opened_at;
    if (firstOpening) await ticketsRepository.update(trx, ticket.ticket_id, { link_opened_at: now }, now);

    const session =
      (await sessionsRepository.activeOfTicket(trx, ticket.ticket_id)) ??
      (await sessionsRepository.latestOfTicket(trx, ticket.ticket_id));
    const parties = session ? await loadParties(trx, session) : null;
    const refs = { clientId: client.id, ticketId: ticket.ticket_id, sessionId: session?.id ?? null };
    const openedKey = `link-opened:${ticket.ticket_id}:${input.telegramId}`;
    await notify(deps, trx, [
      {
        // Each press of /start is answered once (a webhook retry of the same update is not); a repeated
        // process-link call without an update is answered once in all.
        dedupeKey: `${openedKey}:${input.updateKey ?? 'welcome'}`,
        recipient: 'client',
        chatId: input.telegramId,
        text: messages.bot.ticketWelcome({
          ticketId: ticket.ticket_id,
          status: ticket.status,
          session: parties ? factsOf(parties) : null,
          sessionStatus: session?.status ?? null,
        }),
        ...(session?.status === 'pending' ? { buttons: sessionButtons(deps.callbacks, session.id) } : {}),
        ...refs,
      },
      ...(firstOpening
        ? [
            adminMessage(
              deps,
              `${openedKey}:admin`,
              messages.bot.linkOpenedAdmin(client.lead_number, ticket.ticket_id),
              refs,
            ),
          ]
        : []),
    ]);
    return { client, ticketId: ticket.ticket_id, status: ticket.status };
  });
}

export type TelegramIdQuery =
  { ticketId: string } | { leadNumber: string } | { username: string } | { psychologist: string };

/** get-telegram-id: the Telegram id of a ticket's client, a lead, a username or a psychologist. */
export async function findTelegramId(deps: Deps, actor: Actor, query: TelegramIdQuery): Promise<string> {
  requireService(actor);
  let telegramId: string | null | undefined;
  if ('ticketId' in query) {
    const ticket = await ticketsRepository.find(deps.db, query.ticketId);
    telegramId = ticket && (await clientsRepository.findById(deps.db, ticket.client_id))?.telegram_id;
  } else if ('leadNumber' in query) {
    telegramId = (await clientsRepository.findByLeadNumber(deps.db, query.leadNumber))?.telegram_id;
  } else if ('username' in query) {
    const username = query.username.trim().replace(/^@/, '');
    telegramId = /^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(username)
      ? (await clientsRepository.findByTelegram(deps.db, username))?.telegram_id
      : null;
  } else {
    telegramId = (await psychologistsRepository.findByName(deps.db, query.psychologist))?.telegram_id;
  }
  if (!telegramId) throw notFound('client', 'Telegram id не найден');
  return telegramId;
}
