// The relay between a client's Telegram chat and the operators' chat: a client's message goes to the
// admin chat under their lead code; an operator answers with "br0722: текст" or by replying to the
// relayed message. Everything goes through the outbox.
import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { Client } from '../db/types.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { conflict, notFound } from '../errors.ts';
import { adminThreadsRepository } from '../repositories/admin-threads.repository.ts';
import { clientsRepository } from '../repositories/clients.repository.ts';
import { slotsRepository } from '../repositories/slots.repository.ts';
import { ticketsRepository } from '../repositories/tickets.repository.ts';
import { messages } from '../texts/messages.ts';
import { formatDateTime } from '../domain/time.ts';
import { adminMessage, notify } from './session-processes.ts';
import { inTransaction } from './transaction.ts';
import type { TelegramUser } from './telegram-identity.ts';

/**
 * send_user_message_to_admin: the client's text to the admin chat under "<lead> (<name>, @username):", quoted.
 * With `acknowledge` (the bot) the client is told it was passed on. `updateKey` makes a retried update
 * a no-op.
 */
export async function relayClientMessage(
  deps: Deps,
  actor: Actor,
  input: TelegramUser & { text: string; updateKey?: string; acknowledge?: boolean },
): Promise<{ client: Client; ids: number[] }> {
  requireService(actor);
  const key = `relay-in:${input.telegramId}:${input.updateKey ?? randomUUID()}`;
  const result = await inTransaction(deps, async (trx) => {
    const now = deps.clock.now();
    const { client } = await clientsRepository.findOrCreateByTelegramId(trx, input, now);
    const username = input.username?.replace(/^@/, '') ?? client.telegram_username;
    const ids = await notify(deps, trx, [
      adminMessage(
        deps,
        `${key}:admin`,
        messages.adminChat.fromClient(
          client.lead_number,
          client.name ?? input.firstName ?? null,
          username,
          input.text,
        ),
        // A client's words go before routine messages waiting for the operators' chat.
        { clientId: client.id, lane: 'relay' },
      ),
      ...(input.acknowledge
        ? [
            {
              dedupeKey: `${key}:ack`,
              recipient: 'client' as const,
              chatId: input.telegramId,
              text: messages.bot.relayed,
              clientId: client.id,
            },
          ]
        : []),
    ]);
    return { client, ids };
  });
  deps.outbox.wake();
  return result;
}

/** send_admin_message_to_user: an operator's text to the client's chat. */
export async function relayAdminMessage(
  deps: Deps,
  actor: Actor,
  input: { leadNumber: string; text: string; updateKey?: string },
): Promise<{ ids: number[] }> {
  requireService(actor);
  const client = await clientsRepository.findByLeadNumber(deps.db, input.leadNumber);
  if (!client) throw notFound('client', `клиент ${input.leadNumber} не найден`);
  return sendToClient(deps, client, input.text, input.updateKey);
}

/** An operator's reply (Telegram "reply to") to a relayed client message. */
export async function replyToRelayed(
  deps: Deps,
  actor: Actor,
  input: { adminMessageId: string; text: string; updateKey?: string },
): Promise<{ ids: number[] }> {
  requireService(actor);
  const clientId = await adminThreadsRepository.clientOf(deps.db, input.adminMessageId);
  const client = clientId ? await clientsRepository.findById(deps.db, clientId) : undefined;
  if (!client) throw notFound('client', 'не нашли клиента этого сообщения');
  return sendToClient(deps, client, input.text, input.updateKey);
}

async function sendToClient(deps: Deps, client: Client, text: string, updateKey?: string) {
  if (!client.telegram_id) {
    throw conflict('client_has_no_chat', `у клиента ${client.lead_number} нет чата с ботом`);
  }
  const ids = await inTransaction(deps, (trx) =>
    notify(deps, trx, [
      {
        dedupeKey: `relay-out:${client.id}:${updateKey ?? randomUUID()}`,
        recipient: 'client',
        chatId: client.telegram_id,
        text: messages.bot.fromAdmin(text),
        clientId: client.id,
      },
    ]),
  );
  deps.outbox.wake();
  return { ids };
}

export interface TicketDataInput {
  /** A retry with the same key writes the message once (the HTTP Idempotency-Key). */
  updateKey?: string;
  psychologists: string[];
  slots: string[];
  slotIds: string[];
  /** A tickets row and a clients row as the caller has them (any columns). */
  ticket: object;
  client: object;
}

/**
 * send-ticket-data-to-admin: one message to the admin chat with the ticket, the client and what was
 * offered — each psychologist with the offered times that are theirs (by slot id), then any times whose
 * slot is not known here.
 */
export async function sendTicketDataToAdmin(
  deps: Deps,
  actor: Actor,
  input: TicketDataInput,
): Promise<{ outboxId: number | null }> {
  requireService(actor);
  const known = await slotsRepository.namesOf(deps.db, input.slotIds);
  const offers = new Map<string, string[]>(input.psychologists.map((name) => [name, []]));
  const unplaced: string[] = [];
  input.slotIds.forEach((id, i) => {
    const slot = known.get(id);
    const label = slot ? formatDateTime(slot.startAt) : input.slots[i]!;
    if (!slot) return unplaced.push(label);
    const list = offers.get(slot.psychologistName) ?? [];
    list.push(label);
    offers.set(slot.psychologistName, list);
  });
  if (unplaced.length) offers.set('время без психолога в базе', unplaced);
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim()
      ? value.trim()
      : typeof value === 'number'
        ? String(value)
        : null;
  const t = input.ticket as Record<string, unknown>;
  const c = input.client as Record<string, unknown>;
  const ticketId = text(t.ticket_id) ?? text(t.id) ?? '—';
  // The message is tied to the ticket it names, so erasing that person also stops it if still unsent.
  const named = await ticketsRepository.findByRef(deps.db, ticketId);
  const refs = named ? { ticketId: named.ticket_id, clientId: named.client_id } : {};
  const ids = await inTransaction(deps, (trx) =>
    notify(deps, trx, [
      adminMessage(
        deps,
        `ticket-data:${ticketId}:${input.updateKey ?? randomUUID()}`,
        messages.adminChat.ticketData({
          ticketId,
          name: text(c.name) ?? text(t.client_name) ?? text(t.name),
          age: text(c.age) ?? text(t.age),
          contact:
            text(c.contact_value) ??
            text(t.client_telegram) ??
            text(t.client_phone) ??
            text(c.telegram_username),
          request: text(t.request_text) ?? text(t.request),
          offers: [...offers].map(([name, slots]) => ({ name, slots })),
        }),
        refs,
      ),
    ]),
  );
  deps.outbox.wake();
  return { outboxId: ids[0] ?? null };
}
