// A short-lived cache of free-slot listings, the hottest read (spec/quality.md S1/S2). A listing is a
// few hundred slots that thousands of visitors ask for; building it per request costs a query, a row
// parse and ~30–140 KB of JSON each time.
//
// Freshness: within this instance an entry never outlives a committed write (every committed
// transaction and every operator write invalidates, and a listing read while a write committed is not
// stored). Writes by other instances or straight into the database are seen after at most `ttlMs`
// (default 1 s). A stale entry can only show a slot that was just taken or miss one just added; booking
// always re-checks in the database, so correctness never depends on this cache.

export interface CachedSlot {
  startMs: number;
  /** The slot's JSON object, serialized once. */
  json: string;
}

interface Entry {
  slots: CachedSlot[];
  storedAt: number;
  /** The last answer built from this entry, by the index of its first slot. */
  lastFrom: number;
  /** Kept as bytes: a 140 KB answer is then not re-encoded to UTF-8 for every request. */
  lastBody: Buffer;
}

export class ListingCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly monotonicNow: () => number;

  constructor(ttlMs: number, maxEntries = 1000, monotonicNow: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.monotonicNow = monotonicNow;
  }

  /** Forget everything: called after every committed write. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * The answer body `{"success":true,"slots":[…]}` for `key`, keeping only slots starting at or after
   * `earliestMs`; `load` builds the slots on a miss (they must be sorted by start).
   */
  async body(key: string, earliestMs: number, load: () => Promise<CachedSlot[]>): Promise<Buffer> {
    let entry = this.ttlMs > 0 ? this.entries.get(key) : undefined;
    if (entry && this.monotonicNow() - entry.storedAt > this.ttlMs) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      const generation = this.generation;
      const storedAt = this.monotonicNow();
      entry = { slots: await load(), storedAt, lastFrom: -1, lastBody: EMPTY };
      // A write committed while this listing was read: the listing may predate it, so it is not kept.
      if (this.ttlMs > 0 && generation === this.generation) {
        if (this.entries.size >= this.maxEntries) this.entries.clear();
        this.entries.set(key, entry);
      }
    }
    const from = firstAtOrAfter(entry.slots, earliestMs);
    if (from !== entry.lastFrom) {
      entry.lastBody = Buffer.from(
        `{"success":true,"slots":[${entry.slots
          .slice(from)
          .map((s) => s.json)
          .join(',')}]}`,
      );
      entry.lastFrom = from;
    }
    return entry.lastBody;
  }
}

const EMPTY = Buffer.alloc(0);

function firstAtOrAfter(slots: CachedSlot[], ms: number): number {
  let low = 0;
  let high = slots.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (slots[mid]!.startMs < ms) low = mid + 1;
    else high = mid;
  }
  return low;
}
