import type { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { PgliteGateway } from './pglite-dialect.ts';

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
