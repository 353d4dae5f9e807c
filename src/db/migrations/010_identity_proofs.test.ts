// The identity migration on data the earlier rules wrote: records merged by a typed contact are split,
// tickets an account took without proof leave it, typed Telegram handles stop standing for accounts, and a
// reused form id stays with its first ticket. On a fresh database of its own (PGlite, or PostgreSQL when
// TEST_DATABASE_URL is set), migrated to the step before, filled, then migrated.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, onPostgres } from '../../../test/support/database.ts';
import { fromPgliteInstance, openPostgres, type Database } from '../database.ts';
import { migrations } from '../migrate.ts';

let database: Database;
let dropDatabase = async () => {};

beforeAll(async () => {
  if (onPostgres()) {
    const name = `hraniteli_t_mig_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    database = openPostgres(databaseUrl(name), 2);
    dropDatabase = async () => {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    database = fromPgliteInstance(new PGlite());
  }
  const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
  const before = await migrator.migrateTo('009_video_meetings');
  if (before.error) throw before.error;

  await sql`
    insert into hraniteli_clients (id, lead_number, contact_key, contact_type, contact_value, name, phone, telegram_id, telegram_username)
    values
      ('00000000-0000-4000-8000-000000000001', 'aa0001', 'phone:+79000000001', 'phone', '+79000000001', 'Анна', '+79000000001', null, null),
      ('00000000-0000-4000-8000-000000000002', 'aa0002', 'telegram:@real_user', 'telegram', '@real_user', 'Борис', null, '555', 'real_user'),
      ('00000000-0000-4000-8000-000000000003', 'aa0003', 'telegram:777', 'telegram', '777', 'Вера', null, '777', null),
      ('00000000-0000-4000-8000-000000000004', 'aa0004', 'telegram:@typed_only', 'telegram', '@typed_only', 'Галя', null, null, 'typed_only'),
      ('00000000-0000-4000-8000-000000000005', 'aa0005', 'phone:+79000000005', 'phone', '+79000000005', 'Дина', '+79000000005', '888', 'someone_else')
  `.execute(database.db);
  const typed = (name: string, type: string, value: string, phone: string | null, telegram: string | null) =>
    JSON.stringify({ name, age: 30, type, value, phone, email: null, telegram });
  await sql`
    insert into hraniteli_tickets (ticket_id, client_id, type, status, typed_contact, form_ticket_id, created_at)
    values
      ('1000001', '00000000-0000-4000-8000-000000000001', 'application', 'new', ${typed('Анна', 'phone', '+79000000001', '+79000000001', null)}, null, '2026-11-01T10:00:00Z'),
      ('1000002', '00000000-0000-4000-8000-000000000001', 'application', 'booked', ${typed('Чужой', 'phone', '+79000000001', '+79000000001', null)}, null, '2026-11-02T10:00:00Z'),
      ('1000003', '00000000-0000-4000-8000-000000000002', 'application', 'new', ${typed('Борис', 'telegram', '@real_user', null, '@real_user')}, null, '2026-11-01T10:00:00Z'),
      ('1000004', '00000000-0000-4000-8000-000000000002', 'application', 'new', ${typed('Некто', 'phone', '+79000000004', '+79000000004', null)}, null, '2026-11-03T10:00:00Z'),
      ('1000005', '00000000-0000-4000-8000-000000000005', 'application', 'new', ${typed('Дина', 'phone', '+79000000005', '+79000000005', null)}, 'dup1', '2026-11-01T10:00:00Z'),
      ('1000006', '00000000-0000-4000-8000-000000000003', 'application', 'new', ${typed('Вера', 'telegram', '777', null, '777')}, 'dup1', '2026-11-04T10:00:00Z'),
      ('1000007', '00000000-0000-4000-8000-000000000002', 'reassignment', 'new', null, null, '2026-11-05T10:00:00Z')
  `.execute(database.db);
  await sql`
    insert into hraniteli_psychologists (id, name, name_normalized, sex) values ('00000000-0000-4000-8000-0000000000aa', 'Пси Холог', 'пси холог', 'female');
    insert into hraniteli_slots (id, psychologist_id, start_at, state) values ('00000000-0000-4000-8000-0000000000bb', '00000000-0000-4000-8000-0000000000aa', '2026-12-20T10:00:00Z', 'booked');
    insert into hraniteli_sessions (id, ticket_id, client_id, psychologist_id, slot_id, start_at)
      values ('00000000-0000-4000-8000-0000000000cc', '1000002', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000aa', '00000000-0000-4000-8000-0000000000bb', '2026-12-20T10:00:00Z');
  `.execute(database.db);

  const after = await migrator.migrateToLatest();
  if (after.error) throw after.error;
}, 60_000);

afterAll(async () => {
  await database.close();
  await dropDatabase();
});

async function holder(ticketId: string) {
  const { rows } = await sql<{
    lead_number: string;
    name: string | null;
    phone: string | null;
    telegram_id: string | null;
    client_id: string;
    origin_client_id: string;
    session_client: string | null;
    form_ticket_id: string | null;
  }>`
    select c.lead_number, c.name, c.phone, c.telegram_id, t.client_id, t.origin_client_id, t.form_ticket_id,
           (select s.client_id from hraniteli_sessions s where s.ticket_id = t.ticket_id) as session_client
    from hraniteli_tickets t join hraniteli_clients c on c.id = t.client_id where t.ticket_id = ${ticketId}
  `.execute(database.db);
  return rows[0]!;
}

describe('010_identity_proofs on data of the earlier rules', () => {
  it('splits a record merged by a typed phone: the later ticket, its session and its typed name go apart', async () => {
    const first = await holder('1000001');
    const second = await holder('1000002');
    expect(first.lead_number).toBe('aa0001');
    expect(second.lead_number).not.toBe('aa0001');
    expect(second).toMatchObject({ name: 'Чужой', phone: '+79000000001', telegram_id: null });
    expect(second.session_client).toBe(second.client_id);
    expect(second.origin_client_id).toBe(second.client_id);
  });

  it('keeps on an account only the tickets whose typed contact the account proves', async () => {
    expect((await holder('1000003')).lead_number).toBe('aa0002');
    expect((await holder('1000007')).lead_number).toBe('aa0002');
    const taken = await holder('1000004');
    expect(taken.lead_number).not.toBe('aa0002');
    expect(taken).toMatchObject({ name: 'Некто', telegram_id: null });
  });

  it('an account that took over a submission’s record gives that ticket and its typed contacts back', async () => {
    const ticket = await holder('1000005');
    expect(ticket.lead_number).not.toBe('aa0005');
    expect(ticket).toMatchObject({ name: 'Дина', phone: '+79000000005', telegram_id: null });
    const { rows } = await sql<{ name: string | null; phone: string | null; telegram_id: string | null }>`
      select name, phone, telegram_id from hraniteli_clients where lead_number = 'aa0005'
    `.execute(database.db);
    expect(rows[0]).toEqual({ name: null, phone: null, telegram_id: '888' });
  });

  it('clears typed Telegram handles that stood for accounts, and keeps a form id with its first ticket', async () => {
    const { rows } = await sql<{
      lead_number: string;
      telegram_id: string | null;
      telegram_username: string | null;
    }>`
      select lead_number, telegram_id, telegram_username from hraniteli_clients
      where lead_number in ('aa0003', 'aa0004') order by lead_number
    `.execute(database.db);
    expect(rows).toEqual([
      { lead_number: 'aa0003', telegram_id: null, telegram_username: null },
      { lead_number: 'aa0004', telegram_id: null, telegram_username: null },
    ]);
    expect((await holder('1000005')).form_ticket_id).toBe('dup1');
    expect((await holder('1000006')).form_ticket_id).toBeNull();
  });
});
