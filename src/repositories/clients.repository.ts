// SQL for clients: a record per public submission, records of Telegram accounts (the proofs), lookups.
import type { Executor } from '../deps.ts';
import type { Client } from '../db/types.ts';
import type { ContactType } from '../domain/vocabulary.ts';
import { newLeadNumber } from '../domain/ids.ts';
import { isUuid } from './psychologists.repository.ts';

/**
 * A normalized contact as a form typed it. It is a claim, never a proof: `key` only lets operators see
 * "possibly the same person", and a typed Telegram id or @username never becomes the record's account.
 */
export interface ContactIdentity {
  key: string;
  type: ContactType;
  value: string;
  phone?: string;
  email?: string;
  telegramId?: string;
  telegramUsername?: string;
}

export interface ClientDetails {
  name?: string;
  age?: number;
  utm?: unknown;
}

/**
 * A new record for a public submission, under a freshly drawn lead number. It holds what the submission
 * typed (the person's own claim) and no Telegram account: only Telegram can vouch for one.
 */
export function newClientRow(contact: ContactIdentity, details: ClientDetails, now: Date) {
  return {
    lead_number: newLeadNumber(),
    contact_key: contact.key,
    contact_type: contact.type,
    contact_value: contact.value,
    name: details.name ?? null,
    age: details.age ?? null,
    phone: contact.phone ?? null,
    email: contact.email ?? null,
    utm: details.utm === undefined ? null : JSON.stringify(details.utm),
    created_at: now,
    updated_at: now,
  };
}

export const clientsRepository = {
  /**
   * A record of its own for a public submission. Typing a contact proves nothing, so a submission is
   * never filed under a record found by that contact (SPEC §3 Identity); a drawn lead number that is
   * taken is drawn again.
   */
  async create(db: Executor, contact: ContactIdentity, details: ClientDetails, now: Date): Promise<Client> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const inserted = await db
        .insertInto('hraniteli_clients')
        .values(newClientRow(contact, details, now))
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return inserted;
    }
    throw new Error('could not create a client record');
  },

  async findById(db: Executor, id: string): Promise<Client | undefined> {
    if (!isUuid(id)) return undefined;
    return db.selectFrom('hraniteli_clients').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** The client row locked for the rest of the transaction. */
  async lock(db: Executor, id: string): Promise<Client | undefined> {
    return db.selectFrom('hraniteli_clients').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  /** A client by lead number; a submission's record whose ticket moved to an account names that record. */
  async findByLeadNumber(db: Executor, leadNumber: string): Promise<Client | undefined> {
    const found = await db
      .selectFrom('hraniteli_clients')
      .selectAll()
      .where('lead_number', '=', leadNumber.trim().toLowerCase())
      .executeTakeFirst();
    return found?.merged_into ? ((await this.findById(db, found.merged_into)) ?? found) : found;
  },

  /** Marks a record whose tickets all moved to `into` (a proof showed both are one person). */
  async markMerged(db: Executor, clientId: string, into: string, now: Date): Promise<void> {
    await db
      .updateTable('hraniteli_clients')
      .set({ merged_into: into, updated_at: now })
      .where('id', '=', clientId)
      .execute();
  },

  /** A client by lead number or UUID (`client_id` in the seed means either). */
  async findByLeadOrId(db: Executor, value: string): Promise<Client | undefined> {
    return isUuid(value) ? this.findById(db, value) : this.findByLeadNumber(db, value);
  },

  /** By a proven Telegram numeric id or username (with or without @). */
  async findByTelegram(db: Executor, value: string): Promise<Client | undefined> {
    const text = value.trim().replace(/^@/, '');
    if (/^\d+$/.test(text)) {
      return db
        .selectFrom('hraniteli_clients')
        .selectAll()
        .where('telegram_id', '=', text)
        .executeTakeFirst();
    }
    return (
      db
        .selectFrom('hraniteli_clients')
        .selectAll()
        .where('telegram_username', '=', text.toLowerCase())
        .where('telegram_id', 'is not', null)
        // Usernames move between accounts; the latest account Telegram showed with it holds it now.
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirst()
    );
  },

  /**
   * The client of a Telegram account, created with a fresh lead number when the account is new. Only
   * Telegram vouches for these values (they come from its signed-in user), so the username is kept
   * current; a name already on record is never replaced.
   */
  async findOrCreateByTelegramId(
    db: Executor,
    user: { telegramId: string; username?: string | null; firstName?: string | null },
    now: Date,
  ): Promise<{ client: Client; created: boolean }> {
    const username = user.username ? user.username.replace(/^@/, '').toLowerCase() : null;
    for (let attempt = 0; attempt < 20; attempt++) {
      const inserted = await db
        .insertInto('hraniteli_clients')
        .values({
          lead_number: newLeadNumber(),
          contact_type: 'telegram',
          contact_value: username ? `@${username}` : user.telegramId,
          name: user.firstName ?? null,
          telegram_id: user.telegramId,
          telegram_username: username,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { client: inserted, created: true };
      const existing = await db
        .selectFrom('hraniteli_clients')
        .selectAll()
        .where('telegram_id', '=', user.telegramId)
        .executeTakeFirst();
      if (existing) {
        if (username && existing.telegram_username !== username) {
          const updated = await db
            .updateTable('hraniteli_clients')
            .set({ telegram_username: username, updated_at: now })
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          return { client: updated, created: false };
        }
        return { client: existing, created: false };
      }
    }
    throw new Error('could not create a client record');
  },

  /** Keeps the phone an account shared with Telegram's own button (it proves tickets that typed it). */
  async setProvenPhone(db: Executor, clientId: string, phone: string, now: Date): Promise<Client> {
    return db
      .updateTable('hraniteli_clients')
      .set({ proven_phone: phone, updated_at: now })
      .where('id', '=', clientId)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async findByTelegramId(db: Executor, telegramId: string): Promise<Client | undefined> {
    return db
      .selectFrom('hraniteli_clients')
      .selectAll()
      .where('telegram_id', '=', telegramId)
      .executeTakeFirst();
  },

  /**
   * Gives a client without a Telegram account this one (proven by the bot, or vouched for by the service
   * key). A username left out keeps the one on record: nothing known is wiped by a call that omits it.
   */
  async attachTelegram(
    db: Executor,
    clientId: string,
    user: { telegramId: string; username?: string | null },
    now: Date,
  ): Promise<Client> {
    const username = user.username ? user.username.replace(/^@/, '').toLowerCase() : null;
    return db
      .updateTable('hraniteli_clients')
      .set((eb) => ({
        telegram_id: user.telegramId,
        telegram_username: username ?? eb.ref('telegram_username'),
        updated_at: now,
      }))
      .where('id', '=', clientId)
      .where('telegram_id', 'is', null)
      .returningAll()
      .executeTakeFirstOrThrow();
  },
};
