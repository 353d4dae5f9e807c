// The service under the transaction guard (src/db/transaction-guard.ts) and the embedded database's
// bounded wait: a command that reads through `deps.db` inside its own transaction fails at once with
// both stacks instead of hanging the embedded database; effects run after the commit may query; and a
// session held past PGLITE_WAIT_MS turns waiting requests into 503s with a log line naming the holder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/commands/transaction.ts';
import { StrayQueryError } from '../../src/db/transaction-guard.ts';
import { createEffects } from '../../src/effects/events.ts';
import { clientsRepository } from '../../src/repositories/clients.repository.ts';
import { createTestApp, withTestApp, type TestApp } from '../support/app.ts';
import { submitApplication } from '../support/fixtures.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

async function clientIdOf(lead: string): Promise<string> {
  return (await clientsRepository.findByLeadNumber(t.deps.db, lead))!.id;
}

describe('a command under the transaction guard', () => {
  it('a planted deps.db read inside its transaction fails at once, naming both places; the change rolls back', async () => {
    const submitted = await submitApplication(t, { contact: { type: 'telegram', value: '@guard_planted' } });
    const clientId = await clientIdOf(submitted.lead_number);
    const started = performance.now();
    const failure = await inTransaction(t.deps, async (trx) => {
      await trx.updateTable('hraniteli_clients').set({ age: 77 }).where('id', '=', clientId).execute();
      // The bug this guards against: the root executor where the transaction's was meant.
      return clientsRepository.findById(t.deps.db, clientId);
    }).catch((error: unknown) => error);
    const elapsed = performance.now() - started;

    expect(failure).toBeInstanceOf(StrayQueryError);
    const message = (failure as Error).message;
    const [began, issued] = message.split('The stray query was issued:');
    expect(began).toContain('The transaction began:');
    expect(began).toContain('src/commands/transaction.ts');
    expect(began).toContain('test/http/transaction-guard.test.ts');
    expect(issued).toContain('findById (src/repositories/clients.repository.ts');
    expect(issued).toContain('test/http/transaction-guard.test.ts');
    expect(elapsed).toBeLessThan(1_000);
    expect((await clientsRepository.findById(t.deps.db, clientId))!.age).toBe(30);
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    // Seen by the app's watcher (close() fails on any stray left there): this one was planted.
    expect(t.strays).toEqual([failure]);
    t.strays.length = 0;
  });

  it('effects recorded in the transaction run after the commit, outside it, and may query', async () => {
    const submitted = await submitApplication(t);
    const clientId = await clientIdOf(submitted.lead_number);
    const seen: (number | null | undefined)[] = [];
    const deps = {
      ...t.deps,
      effects: createEffects(
        {
          'slots-changed': async () => {
            seen.push((await clientsRepository.findById(t.deps.db, clientId))?.age);
          },
        },
        t.logs.logger,
      ),
    };
    await inTransaction(deps, async (trx, events) => {
      await trx.updateTable('hraniteli_clients').set({ age: 41 }).where('id', '=', clientId).execute();
      events.record({ type: 'slots-changed' });
    });
    expect(seen).toEqual([41]);
    expect(t.strays).toEqual([]);
  });
});

describe('the embedded database session held longer than PGLITE_WAIT_MS', () => {
  it('answers waiting requests 503 with Retry-After and logs what holds the session; serves again once it is free', async () => {
    await withTestApp(
      { PGLITE_WAIT_MS: '300' },
      async (embedded) => {
        let free!: () => void;
        const gate = new Promise<void>((resolve) => (free = resolve));
        const held = holdTheEmbeddedSession(embedded, gate);
        // Whatever fails below, the session is given back (closing the app waits for it).
        try {
          // Let the holder take the session first.
          await new Promise((resolve) => setTimeout(resolve, 50));

          const started = performance.now();
          const [ready, submitted] = await Promise.all([
            embedded.app.inject({ method: 'GET', url: '/ready' }),
            embedded.app.inject({
              method: 'POST',
              url: '/submit-application',
              payload: {
                name: 'Ожидающая',
                age: 30,
                contact: { type: 'telegram', value: '@waits_for_session' },
                preferences: {},
              },
            }),
          ]);
          const elapsed = performance.now() - started;
          expect(ready.statusCode).toBe(503);
          expect(submitted.statusCode, submitted.body).toBe(503);
          expect(submitted.json().error.type).toBe('database_unavailable');
          expect(submitted.headers['retry-after']).toBe('5');
          expect(elapsed).toBeGreaterThanOrEqual(250);
          expect(elapsed).toBeLessThan(2_000);

          const stall = embedded.logs.lines
            .map((line) => JSON.parse(line) as { msg: string; holder?: { kind: string; began: string[] } })
            .filter((line) => line.msg.startsWith('the embedded database session is held too long'));
          expect(stall).toHaveLength(1);
          expect(stall[0]!.holder!.kind).toBe('transaction');
          expect(stall[0]!.holder!.began.join('\n')).toContain('holdTheEmbeddedSession');
        } finally {
          free();
          await held;
        }
        expect((await embedded.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
      },
      { pglite: true },
    );
  });
});

/** A transaction that keeps the session until `gate` opens (a stand-in for one stuck on something). */
async function holdTheEmbeddedSession(app: TestApp, gate: Promise<void>): Promise<void> {
  await inTransaction(app.deps, async (trx) => {
    await trx.selectFrom('hraniteli_clients').select('id').limit(1).execute();
    await gate;
  });
}
