// SQL for clients: find-or-create by contact (race-free through the unique contact key), lookups.
import type { Executor } from '../deps.ts';
import type { Client } from '../db/types.ts';
import type { ContactType } from '../domain/vocabulary.ts';
import { newLeadNumber } from '../domain/ids.ts';
import { isUuid } from './psychologists.repository.ts';

/** A normalized contact: the key that identifies a person across submissions, and its columns. */
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

/** A new client's row for `contact`, under a freshly drawn lead number. */
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
    telegram_id: contact.telegramId ?? null,
    telegram_username: contact.telegramUsername ?? null,
    utm: details.utm === undefined ? null : JSON.stringify(details.utm),
    created_at: now,
    updated_at: now,
  };
}

export const clientsRepository = {
  /**
   * The client known by this contact, as stored, or a new client with a fresh lead number. A known
   * person's details are never changed here: whoever typed the contact proved nothing (the submission's
   * own values stay on its ticket). A concurrent submission with the same contact waits on the unique
   * key, gets the conflict once the first commits, and then finds the row.
   */
  async findOrCreate(
    db: Executor,
    contact: ContactIdentity,
    details: ClientDetails,
    now: Date,
  ): Promise<{ client: Client; created: boolean }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      // Insert first: a new person (the common case of a form) then costs one statement.
      const inserted = await db
        .insertInto('hraniteli_clients')
        .values(newClientRow(contact, details, now))
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { client: inserted, created: true };
      // A conflict: the person is known by this contact (or Telegram id), or the random lead number
      // collided (a new one is drawn on the next round).
      const existing = await this.findByContact(db, contact);
      if (existing) return { client: existing, created: false };
    }
    throw new Error('could not create a client record');
  },

  async findByContact(db: Executor, contact: ContactIdentity): Promise<Client | undefined> {
    return db
      .selectFrom('hraniteli_clients')
      .selectAll()
      .where((eb) => {
        const conditions = [eb('contact_key', '=', contact.key)];
        if (contact.telegramId) conditions.push(eb('telegram_id', '=', contact.telegramId));
        return eb.or(conditions);
      })
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
  },

  async findById(db: Executor, id: string): Promise<Client | undefined> {
    if (!isUuid(id)) return undefined;
    return db.selectFrom('hraniteli_clients').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** The client row locked for the rest of the transaction. */
  async lock(db: Executor, id: string): Promise<Client | undefined> {
    return db.selectFrom('hraniteli_clients').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  async findByLeadNumber(db: Executor, leadNumber: string): Promise<Client | undefined> {
    return db
      .selectFrom('hraniteli_clients')
      .selectAll()
      .where('lead_number', '=', leadNumber.trim().toLowerCase())
      .executeTakeFirst();
  },

  /** A client by lead number or UUID (`client_id` in the seed means either). */
  async findByLeadOrId(db: Executor, value: string): Promise<Client | undefined> {
    return isUuid(value) ? this.findById(db, value) : this.findByLeadNumber(db, value);
  },

  /** By Telegram numeric id or username (with or without @). */
  async findByTelegram(db: Executor, value: string): Promise<Client | undefined> {
    const text = value.trim().replace(/^@/, '');
    if (/^\d+$/.test(text)) {
      return db
        .selectFrom('hraniteli_clients')
        .selectAll()
        .where('telegram_id', '=', text)
        .executeTakeFirst();
    }
    return db
      .selectFrom('hraniteli_clients')
      .selectAll()
      .where('telegram_username', '=', text.toLowerCase())
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
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

  async findByTelegramId(db: Executor, telegramId: string): Promise<Client | undefined> {
    return db
      .selectFrom('hraniteli_clients')
      .selectAll()
      .where('telegram_id', '=', telegramId)
      .executeTakeFirst();
  },

  /** Gives a client without a Telegram account this one (the person proved it by opening the bot). */
  async attachTelegram(
    db: Executor,
    clientId: string,
    user: { telegramId: string; username?: string | null },
    now: Date,
  ): Promise<Client> {
    return db
      .updateTable('hraniteli_clients')
      .set({
        telegram_id: user.telegramId,
        telegram_username: user.username ? user.username.replace(/^@/, '').toLowerCase() : null,
        updated_at: now,
      })
      .where('id', '=', clientId)
      .where('telegram_id', 'is', null)
      .returningAll()
      .executeTakeFirstOrThrow();
  },
};
