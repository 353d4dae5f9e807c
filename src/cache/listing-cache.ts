// A short-lived cache of free-slot listings, the hottest read (spec/quality.md S1/S2). A listing is a
// few hundred slots that thousands of visitors ask for; building it per request costs a query, a row
// parse and ~30–140 KB of JSON each time.
//
// Freshness: within this instance an entry never outlives a committed write (invalidate() drops every
// entry, and a listing read while a write committed is not stored). Writes by other instances or straight
// into the database are seen after at most `ttlMs` (default 1 s), plus one load while an expired entry is
// refreshed. A stale entry can only show a slot that was just taken or miss one just added; booking
// always re-checks in the database, so correctness never depends on this cache.
//
// Under load the cache must not collapse once it is cold or expired: concurrent misses of one key share
// one load (single-flight), and an entry that just expired is still served while one request refreshes
// it (serve-stale) — otherwise every visitor of a popular listing would query the database at once.

import { openTransaction } from '../db/transaction-guard.ts';

export interface CachedSlot {
  startMs: number;
  /** The slot's JSON object, serialized once. */
  json: string;
}

/** A stored free-slot listing with the last answer built from it. */
interface SlotListing {
  slots: CachedSlot[];
  /** The last answer built from this listing, by the index of its first slot. */
  lastFrom: number;
  /** Kept as bytes: a 140 KB answer is then not re-encoded to UTF-8 for every request. */
  lastBody: Buffer;
}

interface Entry {
  value: unknown;
  storedAt: number;
}

interface Load {
  entry: Promise<Entry>;
  /** The invalidation generation the load started in: a later request does not join an older load. */
  generation: number;
}

export class ListingCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loads = new Map<string, Load>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly monotonicNow: () => number;

  constructor(ttlMs: number, maxEntries = 1000, monotonicNow: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.monotonicNow = monotonicNow;
  }

  /** False when the cache is off (SLOTS_CACHE_MS=0): every value() is then a load. */
  get caching(): boolean {
    return this.ttlMs > 0;
  }

  /** Forget everything: called after writes that change what listings show. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * The answer body `{"success":true,"slots":[…]}` for `key`, keeping only slots starting at or after
   * `earliestMs`; `load` builds the slots on a miss (they must be sorted by start).
   */
  async body(key: string, earliestMs: number, load: () => Promise<CachedSlot[]>): Promise<Buffer> {
    const listing = await this.value<SlotListing>(key, async () => ({
      slots: await load(),
      lastFrom: -1,
      lastBody: EMPTY,
    }));
    return answer(listing, earliestMs);
  }

  /**
   * Any listing-like value for `key` (keys of different kinds must not collide), with the same freshness
   * rules as body(): built by `load` on a miss, shared by concurrent misses, dropped on invalidate().
   * The value is shared by every caller until it expires: callers must not change it.
   */
  async value<T>(key: string, load: () => Promise<T>): Promise<T> {
    // Inside an open transaction the load runs on its own, neither shared nor stored: joining a load that
    // another request started through the root executor would wait for it, and on PGlite that load waits
    // for the session this transaction holds (each waits for the other); and what a transaction reads
    // may include its own uncommitted writes, which nobody else may be shown.
    if (this.ttlMs <= 0 || openTransaction()) return load();
    let entry = this.entries.get(key);
    if (entry) {
      const age = this.monotonicNow() - entry.storedAt;
      // Expired for less than another TTL: served while one refresh runs. Older: as good as missing,
      // so that a listing nobody asked for in a while is not shown once more from long ago.
      if (age > this.ttlMs) {
        if (age <= 2 * this.ttlMs) {
          if (!this.loads.has(key)) this.start(key, load).entry.catch(() => {});
        } else {
          this.entries.delete(key);
          entry = undefined;
        }
      }
    }
    if (!entry) {
      const running = this.loads.get(key);
      entry = await (running && running.generation === this.generation ? running : this.start(key, load))
        .entry;
    }
    return entry.value as T;
  }

  /** Loads `key` once and stores it, unless a write committed meanwhile. */
  private start(key: string, load: () => Promise<unknown>): Load {
    const generation = this.generation;
    const storedAt = this.monotonicNow();
    const running: Load = {
      generation,
      entry: load().then(
        (value) => {
          if (this.loads.get(key) === running) this.loads.delete(key);
          const entry: Entry = { value, storedAt };
          // A write committed while this listing was read: the listing may predate it, so it is not kept.
          if (generation === this.generation) {
            if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
            this.entries.set(key, entry);
          }
          return entry;
        },
        (error: unknown) => {
          if (this.loads.get(key) === running) this.loads.delete(key);
          throw error;
        },
      ),
    };
    this.loads.set(key, running);
    return running;
  }
}

/** The answer from `listing`, memoized on it for the same first slot. */
function answer(listing: SlotListing, earliestMs: number): Buffer {
  const from = firstAtOrAfter(listing.slots, earliestMs);
  if (from !== listing.lastFrom) {
    listing.lastBody = Buffer.from(
      `{"success":true,"slots":[${listing.slots
        .slice(from)
        .map((s) => s.json)
        .join(',')}]}`,
    );
    listing.lastFrom = from;
  }
  return listing.lastBody;
}

const EMPTY = Buffer.alloc(0);

/** The index of the first item starting at or after `ms` in items sorted by start. */
function firstAtOrAfter(slots: readonly { startMs: number }[], ms: number): number {
  let low = 0;
  let high = slots.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (slots[mid]!.startMs < ms) low = mid + 1;
    else high = mid;
  }
  return low;
}
