// Messages between the bench runner (parent) and the server under test (bench/server.ts, a child
// process) over the IPC channel of child_process.fork.

export type ServerMethod =
  | 'loadBookings'
  | 'invariants'
  | 'stormOutcome'
  | 'deliverOutbox'
  | 'loadDueSessions'
  | 'remindersOutcome'
  | 'runJob'
  | 'resetListingCache'
  | 'profileStart'
  | 'profileStop'
  | 'memory'
  | 'stop';

export interface CallMessage {
  type: 'call';
  id: number;
  method: ServerMethod;
  args?: unknown;
}

export type ServerMessage =
  | { type: 'ready'; port: number; database: 'pglite' | 'postgres'; migrated: string[] }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'failed'; error: string };

/** The fixed ~1 KB body of the B0 baseline route. */
export const B0_BODY = {
  success: true,
  message: 'fixed response of the HTTP ceiling baseline',
  items: Array.from({ length: 12 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    date: '05.12',
    time: `${10 + (i % 8)}:00`,
    price: 2500,
  })),
};
