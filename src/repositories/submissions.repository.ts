// SQL of a new person's submission in one statement: the client, their ticket and the operators' message
// (src/commands/submit-application.ts). A statement is atomic by itself, so no transaction is opened and
// the writes of a submission cost one round trip instead of five.
import type { Insertable } from 'kysely';
import type { Executor } from '../deps.ts';
import type { ClientsTable, NewTicket } from '../db/types.ts';
import { outboxRow, type OutgoingMessage } from './outbox.repository.ts';

type Values = Record<string, unknown>;

/** The columns of `values` that are set (Kysely's values() leaves undefined ones out as well). */
const setColumns = (values: Values) => Object.keys(values).filter((key) => values[key] !== undefined);

export const submissionsRepository = {
  /**
   * Inserts the client, their ticket and the message about it (both with the client's id), all or
   * nothing. Undefined, with nothing written, when the drawn lead number is taken (the caller draws
   * another). A taken ticket id fails the statement (a unique
   * violation of the ticket's key), with nothing written either.
   */
  async insertNewPerson(
    db: Executor,
    client: Insertable<ClientsTable>,
    ticket: Omit<NewTicket, 'client_id'>,
    message: Omit<OutgoingMessage, 'clientId' | 'ticketId'>,
    deliverable: boolean,
    now: Date,
  ): Promise<{ client_id: string } | undefined> {
    const ticketValues = ticket as Values;
    const ticketColumns = setColumns(ticketValues);
    const { client_id: _client, ticket_id: _ticket, ...messageValues } = outboxRow(message, deliverable, now);
    const messageColumns = setColumns(messageValues);
    // The parameters of INSERT … SELECT take the types of the columns they go to.
    return db
      .with('c', (w) =>
        w
          .insertInto('hraniteli_clients')
          .values(client)
          .onConflict((oc) => oc.doNothing())
          .returning('id'),
      )
      .with('t', (w) =>
        w
          .insertInto('hraniteli_tickets')
          .columns([...ticketColumns, 'client_id', 'origin_client_id'] as (keyof NewTicket)[])
          .expression((eb) =>
            eb
              .selectFrom('c')
              .select([
                ...ticketColumns.map((key) => eb.val(ticketValues[key]).as(key)),
                'c.id as client_id',
                'c.id as origin_client_id',
              ]),
          )
          .returning(['ticket_id', 'client_id']),
      )
      .with('o', (w) =>
        w
          .insertInto('outbox')
          .columns([...messageColumns, 'client_id', 'ticket_id'] as (keyof typeof messageValues)[])
          .expression((eb) =>
            eb
              .selectFrom('t')
              .select([
                ...messageColumns.map((key) => eb.val((messageValues as Values)[key]).as(key)),
                't.client_id',
                't.ticket_id',
              ]),
          )
          .onConflict((oc) => oc.column('dedupe_key').doNothing())
          .returning('id'),
      )
      .selectFrom('t')
      .select('t.client_id')
      .executeTakeFirst();
  },
};
