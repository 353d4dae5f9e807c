// SQL for the research questionnaire's rows (the old Google Sheet): sequential row numbers, random
// database ids, who posted a row (a keyed hash), its contacts and the client it was linked to.
import type { Executor } from '../deps.ts';
import { newResearchRowId, withFreshId } from '../domain/ids.ts';

const MAX_ROW_NUMBER = 2_147_483_647;

export interface ResearchRowIds {
  row_number: number;
  id: number;
}

export const researchRepository = {
  async insert(
    db: Executor,
    row: {
      payload: unknown;
      requester: string;
      name?: string;
      contact?: string;
      contactType?: string;
      age?: string;
    },
    now: Date,
  ): Promise<ResearchRowIds> {
    return withFreshId(
      () => String(newResearchRowId()),
      async (id) =>
        (await db
          .insertInto('research_responses')
          .values({
            id: Number(id),
            payload: JSON.stringify(row.payload),
            requester: row.requester,
            name: row.name ?? null,
            contact: row.contact ?? null,
            contact_type: row.contactType ?? null,
            age: row.age ?? null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning(['row_number', 'id'])
          .executeTakeFirst()) ?? null,
    );
  },

  /** The newest row this requester created since `since`. */
  async latestOfRequester(db: Executor, requester: string, since: Date): Promise<ResearchRowIds | undefined> {
    return db
      .selectFrom('research_responses')
      .select(['row_number', 'id'])
      .where('requester', '=', requester)
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .orderBy('row_number', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  async maxRowNumber(db: Executor): Promise<number | null> {
    const row = await db
      .selectFrom('research_responses')
      .select((eb) => eb.fn.max('row_number').as('max'))
      .executeTakeFirst();
    return row?.max ?? null;
  },

  /** The row both ids name, locked, or undefined when they name none (or different rows). */
  async findPair(db: Executor, rowNumber: number, id: number) {
    // Row numbers are an integer column: a larger number names no row (and must not reach the cast).
    if (rowNumber > MAX_ROW_NUMBER) return undefined;
    return db
      .selectFrom('research_responses')
      .select(['id', 'row_number', 'client_id', 'ticket_id', 'created_at'])
      .where('row_number', '=', rowNumber)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  },

  async updateContacts(
    db: Executor,
    id: number,
    contacts: {
      name: string | null;
      contact: string | null;
      contactType: string | null;
      age: string | null;
      formPsyClientInfo: unknown;
    },
    now: Date,
  ): Promise<void> {
    await db
      .updateTable('research_responses')
      .set({
        name: contacts.name,
        contact: contacts.contact,
        contact_type: contacts.contactType,
        age: contacts.age,
        form_psy_client_info:
          contacts.formPsyClientInfo === undefined ? null : JSON.stringify(contacts.formPsyClientInfo),
        contacts_updated_at: now,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  },

  /** Links a row not yet linked to anyone to the application's client and ticket. */
  async link(db: Executor, id: number, clientId: string, ticketId: string, now: Date): Promise<boolean> {
    const row = await db
      .updateTable('research_responses')
      .set({ client_id: clientId, ticket_id: ticketId, updated_at: now })
      .where('id', '=', id)
      .where('client_id', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  },

  /** Rows created in [from, to), by row number, with the linked client's lead number. */
  /** The first `limit` responses created in [from, to), by row number. */
  async list(db: Executor, filter: { from?: Date; to?: Date; limit: number }) {
    let query = db
      .selectFrom('research_responses as r')
      .leftJoin('hraniteli_clients as c', 'c.id', 'r.client_id')
      .select([
        'r.row_number',
        'r.id',
        'r.payload',
        'r.name',
        'r.contact',
        'r.contact_type',
        'r.age',
        'r.form_psy_client_info',
        'r.contacts_updated_at',
        'r.ticket_id',
        'r.created_at',
        'c.lead_number',
      ]);
    if (filter.from) query = query.where('r.created_at', '>=', filter.from);
    if (filter.to) query = query.where('r.created_at', '<', filter.to);
    return query.orderBy('r.row_number').limit(filter.limit).execute();
  },

  async ofTicket(db: Executor, ticketId: string, limit: number) {
    return db
      .selectFrom('research_responses')
      .select(['row_number', 'id', 'payload', 'created_at'])
      .where('ticket_id', '=', ticketId)
      .orderBy('row_number')
      .limit(limit)
      .execute();
  },
};
