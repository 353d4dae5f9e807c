import type { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import {
  DatabaseBusyError,
  PgliteGateway,
  type SessionHolder,
  type SessionWaitReport,
} from './pglite-dialect.ts';

describe('PgliteGateway', () => {
  it('hands the session to waiters in the order they asked, one at a time', async () => {
    const gateway = new PgliteGateway({} as PGlite);
    const first = await gateway.acquire();
    const order: number[] = [];
    let holders = 0;
    const waiters = Array.from({ length: 3000 }, (_, i) =>
      gateway.acquire().then(async (release) => {
        holders++;
        expect(holders).toBe(1);
        order.push(i);
        await Promise.resolve();
        holders--;
        release();
      }),
    );
    first();
    await Promise.all(waiters);
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('ignores a second release of the same hold', async () => {
    const gateway = new PgliteGateway({} as PGlite);
    const release = await gateway.acquire();
    const next = gateway.acquire();
    release();
    release();
    const releaseNext = await next;
    let third = false;
    const pending = gateway.acquire().then((r) => {
      third = true;
      r();
    });
    await Promise.resolve();
    expect(third).toBe(false);
    releaseNext();
    await pending;
    expect(third).toBe(true);
  });
});

describe('PgliteGateway: a wait for the session is bounded', () => {
  const holder = (what: string): SessionHolder => ({ kind: 'transaction', what: [what], since: Date.now() });

  it('fails waits older than waitMs with a 503 error, reports the holder once, serves the rest in order', async () => {
    const reports: SessionWaitReport[] = [];
    const gateway = new PgliteGateway({} as PGlite, {
      waitMs: 200,
      onWaitExpired: (report) => reports.push(report),
    });
    const release = await gateway.acquire(holder('at holdTheSession (src/somewhere.ts:1:1)'));
    const started = Date.now();
    const outcomes = await Promise.all(
      [gateway.acquire(), gateway.acquire()].map((wait) =>
        wait.then(
          () => 'granted',
          (error: unknown) => ({ error, after: Date.now() - started }),
        ),
      ),
    );
    for (const outcome of outcomes) {
      const { error, after } = outcome as { error: DatabaseBusyError; after: number };
      expect(error).toBeInstanceOf(DatabaseBusyError);
      // Class 08: the HTTP layer's "database unavailable" (503).
      expect(error.code).toMatch(/^08/);
      expect(error.message).toContain('holdTheSession');
      expect(after).toBeGreaterThanOrEqual(190);
      expect(after).toBeLessThan(1_000);
    }
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ failed: 2, queued: 0, holder: { kind: 'transaction' } });
    expect(reports[0]!.holder!.what).toEqual(['at holdTheSession (src/somewhere.ts:1:1)']);
    expect(reports[0]!.heldMs).toBeGreaterThanOrEqual(190);

    // A wait that starts later has its own time; the holder giving the session back serves it.
    const late = gateway.acquire();
    release();
    const releaseLate = await late;
    expect(gateway.currentHolder()?.kind).toBe('statement');
    releaseLate();
    expect(gateway.currentHolder()).toBeNull();
    // And the session is free for whoever comes next, at once.
    (await gateway.acquire())();
  });

  it('reports at most once per waitMs, however many waits run out', async () => {
    const reports: SessionWaitReport[] = [];
    const gateway = new PgliteGateway({} as PGlite, {
      waitMs: 100,
      onWaitExpired: (report) => reports.push(report),
    });
    const release = await gateway.acquire(holder('stuck'));
    const wait = () => gateway.acquire().catch((error: unknown) => error);
    const first = wait();
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Runs out 40 ms after the first: within waitMs of that report, so not reported again.
    expect(await Promise.all([first, wait()])).toEqual([
      expect.any(DatabaseBusyError),
      expect.any(DatabaseBusyError),
    ]);
    expect(reports).toHaveLength(1);
    // Still held a while later: reported again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await wait()).toBeInstanceOf(DatabaseBusyError);
    expect(reports).toHaveLength(2);
    expect(reports[1]!.heldMs).toBeGreaterThanOrEqual(300);
    release();
  });

  it('a wait served in time is never failed afterwards', async () => {
    const gateway = new PgliteGateway({} as PGlite, { waitMs: 100 });
    const first = await gateway.acquire(holder('first'));
    const second = gateway.acquire(holder('second'));
    setTimeout(first, 20);
    const releaseSecond = await second;
    // Holding past the first wait's deadline: nobody is waiting, nothing fails.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(gateway.currentHolder()?.what).toEqual(['second']);
    releaseSecond();
    expect(gateway.currentHolder()).toBeNull();
  });
});
