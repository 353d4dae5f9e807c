// Who a Telegram account is, and which tickets it may open (SPEC §3 "Identity: proofs and claims").
// Updates reach us signed by Telegram (the webhook's secret header), so the account in them is proven —
// unlike a contact typed into a form. A ticket opened in the bot joins the account only when one of the
// account's proofs (its id, its username, a phone it shared with Telegram's own button) meets what the
// ticket's submission typed; until then the bot shows nothing of it. The service key vouches by itself
// (process-link, client-registration: an operator's own bot or tool).
import type { Deps, Executor } from '../deps.ts';
import type { Client, Ticket } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { claimOf, proofOf, type LinkedBy } from '../domain/claims.ts';
import { normalizePhone } from '../domain/names.ts';
import { conflict, notFound } from '../errors.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { linkRequestsRepository } from '../repositories/link-requests.repository.ts';
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

/** How long an account's request to open a ticket waits for its "share my number" press. */
const LINK_REQUEST_MS = 24 * 3_600_000;

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

/** What the bot may tell the account that sent `/start <ref>`. */
export type BotLinkOutcome =
  | { kind: 'linked'; client: Client; ticketId: string }
  /** Nothing of the ticket — not even whether it exists: the account is asked to prove it. */
  | { kind: 'unproven' };

/**
 * The bot's `/start <ticket id | form id>`. The ticket joins the account when a proof meets its claim
 * (or it is the account's already): the person is welcomed with the ticket's state and buttons, the
 * operators told. Otherwise nothing is shown, and the answer is the same whether the id exists, belongs
 * to another account, or typed a contact this account has not proven: a typed phone waits (a day) for
 * the account's "share my number" press; a claim Telegram cannot prove (an e-mail, a VK page) is left
 * to the operators, who are told once.
 */
export async function openTicketFromBot(
  deps: Deps,
  actor: Actor,
  input: TelegramUser & { ref: string; updateKey?: string },
): Promise<BotLinkOutcome> {
  requireService(actor);
  return retryingParallelStart(() =>
    inTransaction(deps, async (trx) => {
      const now = deps.clock.now();
      const ticket = await ticketsRepository.lockByLinkRef(trx, input.ref);
      if (!ticket) return { kind: 'unproven' } as const;
      const owner = (await clientsRepository.lock(trx, ticket.client_id))!;
      if (owner.telegram_id === input.telegramId) {
        const client = await keepUsernameCurrent(trx, owner, input, now);
        await welcome(deps, trx, ticket, client, input);
        return { kind: 'linked', client, ticketId: ticket.ticket_id } as const;
      }
      if (owner.telegram_id) return { kind: 'unproven' } as const;
      const account = await clientsRepository.findByTelegramId(trx, input.telegramId);
      const claim = claimOf(ticket.typed_contact, owner);
      const by = proofOf(claim, { ...input, provenPhone: account?.proven_phone ?? null });
      if (by) {
        const client = await linkTicket(trx, ticket, owner, account, input, by, now);
        await welcome(deps, trx, ticket, client, input);
        return { kind: 'linked', client, ticketId: ticket.ticket_id } as const;
      }
      if (claim.phone) {
        await linkRequestsRepository.remember(trx, input.telegramId, ticket.ticket_id, now);
      } else {
        await notify(deps, trx, [
          adminMessage(
            deps,
            `link-unproven:${ticket.ticket_id}`,
            messages.bot.linkUnprovenAdmin(owner.lead_number, ticket.ticket_id),
            { clientId: owner.id, ticketId: ticket.ticket_id },
          ),
        ]);
      }
      return { kind: 'unproven' } as const;
    }),
  );
}

/**
 * The account shared a phone number through Telegram's "share my number" button. `contactUserId` is the
 * account the shared contact belongs to: only the sender's own number proves anything. The phone is kept
 * on the account's record, and every ticket the account asked to open in the last day that typed this
 * number joins it (each welcomed). Returns the tickets linked, or null when the contact was not theirs.
 */
export async function proveTelegramPhone(
  deps: Deps,
  actor: Actor,
  input: TelegramUser & { contactUserId: string | null; phone: string; updateKey?: string },
): Promise<{ linked: string[] } | null> {
  requireService(actor);
  const phone = normalizePhone(input.phone.startsWith('+') ? input.phone : `+${input.phone}`);
  if (input.contactUserId !== input.telegramId || !phone) return null;
  return retryingParallelStart(() =>
    inTransaction(deps, async (trx) => {
      const now = deps.clock.now();
      let account = await clientsRepository.findByTelegramId(trx, input.telegramId);
      const asked = await linkRequestsRepository.lockTicketsAskedBy(
        trx,
        input.telegramId,
        new Date(now.getTime() - LINK_REQUEST_MS),
      );
      const linked: string[] = [];
      for (const ticket of asked) {
        const owner = (await clientsRepository.lock(trx, ticket.client_id))!;
        if (owner.telegram_id) continue;
        const by = proofOf(claimOf(ticket.typed_contact, owner), { ...input, provenPhone: phone });
        if (by !== 'phone') continue;
        account = await linkTicket(trx, ticket, owner, account, input, by, now);
        await welcome(deps, trx, ticket, account, input);
        linked.push(ticket.ticket_id);
      }
      account ??= (await clientsRepository.findOrCreateByTelegramId(trx, input, now)).client;
      await clientsRepository.setProvenPhone(trx, account.id, phone, now);
      return { linked };
    }),
  );
}

/**
 * process-link with the service key: the caller (an operator's own bot or tool) vouches that this account
 * is the ticket's person, so the ticket is linked as asked — never away from another account (409) — and
 * what the ticket typed stays as it was. A typed @username the caller does not contradict becomes the
 * account's, as the caller vouched for the whole ticket.
 */
export async function vouchTicketLink(
  deps: Deps,
  actor: Actor,
  input: TelegramUser & { ref: string },
): Promise<{ client: Client; ticketId: string; status: string }> {
  requireService(actor);
  return retryingParallelStart(() =>
    inTransaction(deps, async (trx) => {
      const now = deps.clock.now();
      const ticket = await ticketsRepository.lockByLinkRef(trx, input.ref);
      if (!ticket) throw notFound('ticket', 'заявка не найдена');
      const owner = (await clientsRepository.lock(trx, ticket.client_id))!;
      let client = owner;
      if (owner.telegram_id !== input.telegramId) {
        if (owner.telegram_id)
          throw conflict('ticket_linked_elsewhere', 'заявка уже связана с другим аккаунтом Telegram');
        const claimed = claimOf(ticket.typed_contact, owner).telegram;
        const username = input.username ?? (claimed?.startsWith('@') ? claimed.slice(1) : null);
        const account = await clientsRepository.findByTelegramId(trx, input.telegramId);
        client = await linkTicket(trx, ticket, owner, account, { ...input, username }, 'service', now);
      }
      await welcome(deps, trx, ticket, client, input);
      return { client, ticketId: ticket.ticket_id, status: ticket.status };
    }),
  );
}

/**
 * Ties the ticket to the account. A record that is this ticket's alone and has no account becomes the
 * account's record when the account has none yet; otherwise the ticket moves (with its sessions and
 * messages) to the account's record, and its first record stays behind as `origin_client_id`, so an
 * erasure of either finds both; left empty, that record's lead number then names the account's record.
 */
async function linkTicket(
  trx: Executor,
  ticket: Ticket,
  owner: Client,
  account: Client | undefined,
  user: TelegramUser,
  by: LinkedBy,
  now: Date,
): Promise<Client> {
  let client: Client;
  const alone = (await ticketsRepository.countOfClient(trx, owner.id)) === 1;
  if (!account && alone) {
    client = await clientsRepository.attachTelegram(trx, owner.id, user, now);
  } else {
    client = account ?? (await clientsRepository.findOrCreateByTelegramId(trx, user, now)).client;
    await ticketsRepository.moveToClient(trx, ticket.ticket_id, client.id, now);
    if (alone) await clientsRepository.markMerged(trx, owner.id, client.id, now);
  }
  await ticketsRepository.update(trx, ticket.ticket_id, { linked_by: by }, now);
  await linkRequestsRepository.forgetTicket(trx, ticket.ticket_id);
  return client;
}

/** Telegram shows the account's current username; the record follows it. */
async function keepUsernameCurrent(trx: Executor, client: Client, user: TelegramUser, now: Date) {
  const username = user.username?.replace(/^@/, '').toLowerCase();
  if (!username || client.telegram_username === username) return client;
  return (await clientsRepository.findOrCreateByTelegramId(trx, { ...user, username }, now)).client;
}

/**
 * The person's welcome with the ticket's state (and the session's buttons when one awaits confirmation),
 * and, on the ticket's first opening, the operators' line.
 */
async function welcome(
  deps: Deps,
  trx: Executor,
  ticket: Ticket,
  client: Client,
  input: TelegramUser & { updateKey?: string },
): Promise<void> {
  const now = deps.clock.now();
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
}

/** A parallel first contact of the same account made its record between our look-up and our write. */
async function retryingParallelStart<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

export type TelegramIdQuery =
  { ticketId: string } | { leadNumber: string } | { username: string } | { psychologist: string };

/**
 * get-telegram-id: the Telegram id of a ticket's client, a lead, a username or a psychologist. Only
 * accounts Telegram proved are answered: a typed @username or numeric id never stands for an account.
 */
export async function findTelegramId(deps: Deps, actor: Actor, query: TelegramIdQuery): Promise<string> {
  requireService(actor);
  let telegramId: string | null | undefined;
  if ('ticketId' in query) {
    const ticket = await ticketsRepository.findByRef(deps.db, query.ticketId);
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
