import { describe, expect, it } from 'vitest';
import { ListingCache, type CachedSlot } from './listing-cache.ts';

const slots = (...starts: number[]): CachedSlot[] => starts.map((s) => ({ startMs: s, json: `{"t":${s}}` }));

describe('ListingCache', () => {
  it('serves a stored listing until it expires, cutting slots before `earliest`', async () => {
    let now = 0;
    const cache = new ListingCache(1000, 10, () => now);
    let loads = 0;
    const load = async () => {
      loads++;
      return slots(10, 20, 30);
    };
    expect(String(await cache.body('k', 0, load))).toBe(
      '{"success":true,"slots":[{"t":10},{"t":20},{"t":30}]}',
    );
    expect(String(await cache.body('k', 15, load))).toBe('{"success":true,"slots":[{"t":20},{"t":30}]}');
    expect(String(await cache.body('k', 31, load))).toBe('{"success":true,"slots":[]}');
    expect(loads).toBe(1);
    now = 1001;
    await cache.body('k', 0, load);
    expect(loads).toBe(2);
  });

  it('forgets everything on invalidate', async () => {
    const cache = new ListingCache(60_000, 10, () => 0);
    let version = 1;
    const load = async () => slots(version);
    expect(String(await cache.body('k', 0, load))).toContain('"t":1');
    version = 2;
    expect(String(await cache.body('k', 0, load))).toContain('"t":1');
    cache.invalidate();
    expect(String(await cache.body('k', 0, load))).toContain('"t":2');
  });

  it('does not keep a listing read while a write committed', async () => {
    const cache = new ListingCache(60_000, 10, () => 0);
    let version = 1;
    const first = await cache.body('k', 0, async () => {
      const read = slots(version);
      cache.invalidate(); // a write commits while the listing is being read
      version = 2;
      return read;
    });
    expect(String(first)).toContain('"t":1');
    expect(String(await cache.body('k', 0, async () => slots(version)))).toContain('"t":2');
  });

  it('stores nothing with a TTL of 0', async () => {
    const cache = new ListingCache(0, 10, () => 0);
    let loads = 0;
    const load = async () => {
      loads++;
      return slots(1);
    };
    await cache.body('k', 0, load);
    await cache.body('k', 0, load);
    expect(loads).toBe(2);
  });
});
