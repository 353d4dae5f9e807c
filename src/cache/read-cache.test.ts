import { describe, expect, it } from 'vitest';
import { ReadCache } from './read-cache.ts';

describe('ReadCache', () => {
  it('loads a key once for concurrent readers and keeps it for the TTL', async () => {
    let now = 0;
    let loads = 0;
    const cache = new ReadCache<number>(1000, 10, () => now);
    const load = async () => ++loads;
    expect(await Promise.all([cache.get('a', load), cache.get('a', load), cache.get('a', load)])).toEqual([
      1, 1, 1,
    ]);
    now = 999;
    expect(await cache.get('a', load)).toBe(1);
    now = 1000;
    expect(await cache.get('a', load)).toBe(2);
  });

  it('invalidate drops entries, and a load that overlapped the write is not kept', async () => {
    let loads = 0;
    const cache = new ReadCache<number>(10_000);
    let release!: () => void;
    const slow = () =>
      new Promise<number>((resolve) => {
        release = () => resolve(++loads);
      });
    const pending = cache.get('k', slow);
    cache.invalidate();
    release();
    expect(await pending).toBe(1);
    expect(await cache.get('k', async () => ++loads)).toBe(2);
  });

  it('with a TTL of 0 it does not cache', async () => {
    let loads = 0;
    const cache = new ReadCache<number>(0);
    await cache.get('k', async () => ++loads);
    await cache.get('k', async () => ++loads);
    expect(loads).toBe(2);
  });
});
