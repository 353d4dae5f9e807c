// SQL for Telegram login codes: one live code per Telegram id (a new one replaces the old), stored as
// a digest, and the failed tries (per requester) that stop guessing.
import { sql } from 'kysely';
import type { Executor } from '../deps.ts';

export type CodeAttempt = 'verified' | 'wrong' | 'unusable';

export const loginCodesRepository = {
  /**
   * Stores a new code for the Telegram id unless one was issued less than `minInterval` ms ago.
   * Returns false when the earlier code stands (the caller then sends nothing).
   */
  async issue(
    db: Executor,
    telegramId: string,
    codeDigest: string,
    expiresAt: Date,
    now: Date,
    minIntervalMs: number,
  ): Promise<boolean> {
    const issuedBefore = new Date(now.getTime() - minIntervalMs);
    const row = await db
      .insertInto('verification_codes')
      .values({
        telegram_id: telegramId,
        code_hash: codeDigest,
        expires_at: expiresAt,
        attempts: 0,
        spent_at: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc
          .column('telegram_id')
          .doUpdateSet({
            code_hash: codeDigest,
            expires_at: expiresAt,
            attempts: 0,
            spent_at: null,
            created_at: now,
            updated_at: now,
          })
          .where('verification_codes.created_at', '<=', issuedBefore),
      )
      .returning('telegram_id')
      .executeTakeFirst();
    return row !== undefined;
  },

  /**
   * One try of a code, decided in one statement under the row's lock, so parallel tries count one by
   * one: the right code spends it; a wrong one uses up one of `maxAttempts`. A missing, expired, dead
   * or spent code is `unusable`.
   */
  async attempt(
    db: Executor,
    telegramId: string,
    codeDigest: string,
    now: Date,
    maxAttempts: number,
  ): Promise<CodeAttempt> {
    const row = await db
      .updateTable('verification_codes')
      .set({
        attempts: sql`attempts + case when code_hash = ${codeDigest} then 0 else 1 end`,
        spent_at: sql`case when code_hash = ${codeDigest} then ${now}::timestamptz else null end`,
        updated_at: now,
      })
      .where('telegram_id', '=', telegramId)
      .where('spent_at', 'is', null)
      .where('attempts', '<', maxAttempts)
      .where('expires_at', '>', now)
      .returning(sql<boolean>`spent_at is not null`.as('verified'))
      .executeTakeFirst();
    if (!row) return 'unusable';
    return row.verified ? 'verified' : 'wrong';
  },

  /**
   * Holds one requester's tries one at a time for the rest of the transaction, so a burst of parallel
   * guesses from one address counts one by one against its hourly limit.
   */
  async lockRequester(db: Executor, requester: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${requester}, 7302))`.execute(db);
  },

  /** The live code row of a Telegram id, locked: tries of one code are decided one at a time. */
  async lockCode(db: Executor, telegramId: string): Promise<{ created_at: Date } | undefined> {
    return db
      .selectFrom('verification_codes')
      .select('created_at')
      .where('telegram_id', '=', telegramId)
      .forUpdate()
      .executeTakeFirst();
  },

  async recordFailure(db: Executor, telegramId: string, requester: string, at: Date): Promise<void> {
    await db
      .insertInto('verification_failures')
      .values({ telegram_id: telegramId, requester, at, created_at: at, updated_at: at })
      .execute();
  },

  /** A requester's failed tries since `since` (for any Telegram id), and when the oldest was. */
  async failuresOfRequester(
    db: Executor,
    requester: string,
    since: Date,
  ): Promise<{ count: number; oldest: Date | null }> {
    const row = await db
      .selectFrom('verification_failures')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('at').as('oldest')])
      .where('requester', '=', requester)
      .where('at', '>', since)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), oldest: row.oldest ? new Date(row.oldest as Date) : null };
  },

  /** A requester's failed tries at one Telegram id's code since the code was issued. */
  async failuresAtCode(db: Executor, telegramId: string, requester: string, issuedAt: Date): Promise<number> {
    const row = await db
      .selectFrom('verification_failures')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('telegram_id', '=', telegramId)
      .where('requester', '=', requester)
      .where('at', '>=', issuedAt)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  },
};
