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

  it('lets concurrent misses of one key share one load', async () => {
    const cache = new ListingCache(1000, 10, () => 0);
    let loads = 0;
    let finish!: (value: CachedSlot[]) => void;
    const load = () => {
      loads++;
      return new Promise<CachedSlot[]>((resolve) => (finish = resolve));
    };
    const answers = Array.from({ length: 20 }, () => cache.body('k', 0, load));
    finish(slots(1));
    for (const body of await Promise.all(answers)) expect(String(body)).toContain('"t":1');
    expect(loads).toBe(1);
  });

  it('does not let a request after a write join a load that started before it', async () => {
    const cache = new ListingCache(1000, 10, () => 0);
    const finishers: ((value: CachedSlot[]) => void)[] = [];
    const load = () => new Promise<CachedSlot[]>((resolve) => finishers.push(resolve));
    const before = cache.body('k', 0, load);
    cache.invalidate();
    const after = cache.body('k', 0, load);
    expect(finishers).toHaveLength(2);
    finishers[0]!(slots(1));
    finishers[1]!(slots(2));
    expect(String(await before)).toContain('"t":1');
    expect(String(await after)).toContain('"t":2');
  });

  it('serves an entry that just expired while one refresh runs, then the refreshed one', async () => {
    let now = 0;
    const cache = new ListingCache(1000, 10, () => now);
    let loads = 0;
    let finish!: (value: CachedSlot[]) => void;
    const slow = () => {
      loads++;
      return new Promise<CachedSlot[]>((resolve) => (finish = resolve));
    };
    await cache.body('k', 0, async () => slots(1));
    now = 1500;
    expect(String(await cache.body('k', 0, slow))).toContain('"t":1');
    expect(String(await cache.body('k', 0, slow))).toContain('"t":1');
    expect(loads).toBe(1);
    finish(slots(2));
    await Promise.resolve();
    await Promise.resolve();
    expect(String(await cache.body('k', 0, slow))).toContain('"t":2');
    expect(loads).toBe(1);
  });

  it('does not serve an entry expired for longer than another TTL', async () => {
    let now = 0;
    const cache = new ListingCache(1000, 10, () => now);
    await cache.body('k', 0, async () => slots(1));
    now = 2001;
    expect(String(await cache.body('k', 0, async () => slots(2)))).toContain('"t":2');
  });

  it('gives a failed load to every waiter and tries again on the next request', async () => {
    const cache = new ListingCache(1000, 10, () => 0);
    let fail!: (error: Error) => void;
    const failing = () => new Promise<CachedSlot[]>((_, reject) => (fail = reject));
    const answers = [cache.body('k', 0, failing), cache.body('k', 0, failing)];
    fail(new Error('database unavailable'));
    for (const body of answers) await expect(body).rejects.toThrow('database unavailable');
    expect(String(await cache.body('k', 0, async () => slots(3)))).toContain('"t":3');
  });
});
