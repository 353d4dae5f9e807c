// The rate-limit plugin's own in-memory store (an LRU of counters), which it ships without types.
declare module '@fastify/rate-limit/store/LocalStore.js' {
  interface Counter {
    current: number;
    ttl: number;
  }
  class LocalStore {
    constructor(continueExceeding?: boolean, exponentialBackoff?: boolean, cache?: number);
    // The plugin passes the window and the limit too, though its store type omits them.
    incr(
      key: string,
      callback: (error: Error | null, result?: Counter) => void,
      timeWindow?: number,
      max?: number,
    ): void;
    child(routeOptions: unknown): LocalStore;
  }
  export default LocalStore;
}
