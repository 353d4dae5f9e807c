// Matching with chosen times is served from memory (the listing cache): it must give what the SQL
// matching gives (the path taken with the cache off), and a change through this instance shows at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/app.ts';
import { addSlots, createPsychologist, submitApplication } from '../../test/support/fixtures.ts';
import { ListingCache } from '../cache/listing-cache.ts';
import { outsideTransaction } from '../db/transaction-guard.ts';
import { findMatches, type MatchRequest } from './find-matches.ts';
import { inTransaction } from './transaction.ts';

let t: TestApp;
let anna: { id: string };

beforeAll(async () => {
  t = await createTestApp();
  anna = await createPsychologist(t, {
    name: 'Анна Памятная',
    sex: 'female',
    min_price: 2000,
    max_price: 3000,
    queries: [' Тревога ', 'Отношения'],
    debt: 4,
  });
  const boris = await createPsychologist(t, {
    name: 'Борис Памятный',
    sex: 'male',
    min_price: 3500,
    max_price: 5000,
    queries: ['ВЫГОРАНИЕ'],
    debt: 9,
  });
  const vera = await createPsychologist(t, {
    name: 'Вера Памятная',
    sex: 'female',
    min_price: 1500,
    max_price: 2500,
    queries: ['тревога'],
    debt: 9,
    help_hand: true,
  });
  const resting = await createPsychologist(t, {
    name: 'Глеб Отдыхающий',
    sex: 'male',
    min_price: 1000,
    max_price: 2000,
    queries: ['Тревога'],
    is_active: false,
  });
  await addSlots(t, anna.id, ['08.12 10:00', '08.12 11:00', '09.12 10:00']);
  await addSlots(t, boris.id, ['08.12 10:00', '08.12 12:00'], { price: 4000 });
  await addSlots(t, vera.id, ['08.12 10:00', '09.12 10:00']);
  await addSlots(t, resting.id, ['08.12 10:00']);
  // One of Vera's slots at 08.12 10:00 is taken: matching offers free slots only.
  const taken = await submitApplication(t);
  const [veraSlot] = (await t.admin({ url: `/admin/slots?psychologist=${vera.id}` })).json().slots as {
    id: string;
  }[];
  await t.admin({
    method: 'POST',
    url: '/admin/sessions',
    payload: { slot_id: veraSlot!.id, lead_number: taken.lead_number },
  });
});
afterAll(async () => t.close());

/** The matches of `request`, from memory and through SQL (the cache off). */
async function bothWays(request: MatchRequest) {
  const fromMemory = await findMatches(t.deps, t.deps.db, request);
  const cache = t.deps.listings;
  t.deps.listings = new ListingCache(0);
  try {
    return { fromMemory, fromSql: await findMatches(t.deps, t.deps.db, request) };
  } finally {
    t.deps.listings = cache;
  }
}

const request = (overrides: Partial<MatchRequest>): MatchRequest => ({
  specializations: [],
  selectedSlots: ['08.12 10:00', '09.12 10:00'],
  helpHand: false,
  ...overrides,
});

describe('findMatches with chosen times', () => {
  const [A, B, V] = ['Анна Памятная', 'Борис Памятный', 'Вера Памятная'];
  it.each([
    ['anybody', request({}), [B, V, A]],
    ['a woman', request({ gender: 'Женщина' }), [V, A]],
    ['a price limit', request({ priceMax: 2500 }), [V, A]],
    ['a specialization, any case and spaces', request({ specializations: ['  тРЕВОГА'] }), [V, A]],
    ['the helping hand, whatever the price', request({ helpHand: true, priceMax: 100 }), [V]],
    [
      'times too soon or repeated',
      request({ selectedSlots: ['07.12 09:00', '08.12 11:00', '08.12 11:00'] }),
      [A],
    ],
    ['a time nobody is free at', request({ selectedSlots: ['08.12 23:00'] }), []],
  ])('gives from memory what SQL gives: %s', async (_, wishes, names) => {
    const { fromMemory, fromSql } = await bothWays(wishes);
    expect(fromSql.map((m) => m.name)).toEqual(names);
    expect(fromMemory).toEqual(fromSql);
  });

  it('leaves out a slot booked through this instance at once, however recently it was matched', async () => {
    const before = await findMatches(t.deps, t.deps.db, request({ selectedSlots: ['08.12 11:00'] }));
    expect(before.map((m) => m.id)).toEqual([anna.id]);
    const client = await submitApplication(t);
    await t.admin({
      method: 'POST',
      url: '/admin/sessions',
      payload: { slot_id: before[0]!.slots[0]!.id, lead_number: client.lead_number },
    });
    expect(await findMatches(t.deps, t.deps.db, request({ selectedSlots: ['08.12 11:00'] }))).toEqual([]);
  });
});

describe('findMatches inside a transaction', () => {
  // The listing cache shares one load among concurrent callers. A transaction that joined a load started
  // by another request through the root executor waited for that load, which on the embedded database
  // waits for the session the transaction holds: both stood still until the wait limit failed them.
  it('reads through its transaction and never waits for a load another request started', async () => {
    t.deps.listings.invalidate();
    const wishes = request({ selectedSlots: ['09.12 10:00'] });
    let outside: Promise<unknown> | undefined;
    const started = performance.now();
    const matched = await inTransaction(t.deps, async (trx) => {
      await trx.selectFrom('hraniteli_slots').select('id').limit(1).execute();
      // Another request's matching, outside any transaction: on PGlite its load waits for this session.
      outside = outsideTransaction(() => findMatches(t.deps, t.deps.db, wishes));
      await new Promise((resolve) => setTimeout(resolve, 20));
      return findMatches(t.deps, trx, wishes);
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(matched.map((m) => m.name)).toEqual(['Вера Памятная', 'Анна Памятная']);
    expect(await outside).toEqual(matched);
  });
});
