// A short-lived cache of small computed answers (the weekly schedule messages of get-schedule): one
// load per key at a time (single-flight), entries kept for `ttlMs`, everything dropped when slots or
// sessions change in this instance. Other instances' writes show within `ttlMs`.

interface Entry<T> {
  value: T;
  storedAt: number;
}

export class ReadCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loads = new Map<string, { promise: Promise<T>; generation: number }>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly monotonicNow: () => number;

  constructor(ttlMs: number, maxEntries = 1000, monotonicNow: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.monotonicNow = monotonicNow;
  }

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  async get(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const now = this.monotonicNow();
    const entry = this.entries.get(key);
    if (entry && now - entry.storedAt < this.ttlMs) return entry.value;
    const running = this.loads.get(key);
    if (running && running.generation === this.generation) return running.promise;
    const generation = this.generation;
    const promise = load()
      .then((value) => {
        // A value read while a write committed is not kept.
        if (generation === this.generation) {
          if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(key, { value, storedAt: this.monotonicNow() });
        }
        return value;
      })
      .finally(() => {
        if (this.loads.get(key)?.promise === promise) this.loads.delete(key);
      });
    this.loads.set(key, { promise, generation });
    return promise;
  }
}
