import { describe, expect, it, vi } from 'vitest';
import {
  LEAD_NUMBER_PATTERN,
  TICKET_ID_PATTERN,
  newHelpHandTicketId,
  newLeadNumber,
  newTicketId,
  withFreshId,
} from './ids.ts';

const many = (make: () => string, n = 1000) => Array.from({ length: n }, make);

describe('identifier patterns', () => {
  it('TICKET_ID_PATTERN takes 7 digits or hh_ + 7 lowercase alphanumerics, nothing else', () => {
    for (const ok of ['1234567', '0000000', 'hh_abc1234', 'hh_0000000'])
      expect(ok).toMatch(TICKET_ID_PATTERN);
    for (const bad of ['123456', '12345678', 'hh_abc123', 'hh_ABC1234', 'hh_abc12345', '9cnzeq', 'x1234567'])
      expect(bad).not.toMatch(TICKET_ID_PATTERN);
  });

  it('LEAD_NUMBER_PATTERN takes 2 lowercase Latin letters and 4 digits', () => {
    expect('br0722').toMatch(LEAD_NUMBER_PATTERN);
    for (const bad of ['BR0722', 'b0722', 'br072', 'br07221', 'бр0722', '0722br'])
      expect(bad).not.toMatch(LEAD_NUMBER_PATTERN);
  });
});

describe('newTicketId', () => {
  it('is a 7-digit string matching TICKET_ID_PATTERN that does not start with 0', () => {
    for (const id of many(newTicketId)) {
      expect(id).toMatch(/^[1-9]\d{6}$/);
      expect(id).toMatch(TICKET_ID_PATTERN);
    }
  });

  it('is random: not sequential, spread over the range, mostly unique', () => {
    const ids = many(newTicketId).map(Number);
    const steps = ids.slice(1).map((id, i) => id - ids[i]!);
    // a counter would step by a constant; random ids almost never differ by exactly 1
    expect(steps.filter((s) => Math.abs(s) <= 1).length).toBeLessThan(3);
    expect(new Set(steps).size).toBeGreaterThan(990);
    expect(Math.max(...ids) - Math.min(...ids)).toBeGreaterThan(5_000_000);
    expect(new Set(ids).size).toBeGreaterThanOrEqual(995);
  });
});

describe('newHelpHandTicketId', () => {
  it('is hh_ + 7 characters [a-z0-9] and matches TICKET_ID_PATTERN', () => {
    for (const id of many(newHelpHandTicketId)) {
      expect(id).toMatch(/^hh_[a-z0-9]{7}$/);
      expect(id).toMatch(TICKET_ID_PATTERN);
    }
  });

  it('is random and unique over 1000 ids, using both letters and digits', () => {
    const ids = many(newHelpHandTicketId);
    expect(new Set(ids).size).toBe(1000);
    const chars = new Set(ids.join('').replaceAll('hh_', ''));
    expect([...chars].some((c) => /[a-z]/.test(c))).toBe(true);
    expect([...chars].some((c) => /\d/.test(c))).toBe(true);
    expect(chars.size).toBeGreaterThan(30);
  });
});

describe('newLeadNumber', () => {
  it('matches LEAD_NUMBER_PATTERN (2 letters + 4 digits, zero-padded)', () => {
    for (const lead of many(newLeadNumber)) expect(lead).toMatch(LEAD_NUMBER_PATTERN);
  });

  it('is random and mostly unique over 1000 numbers', () => {
    const leads = many(newLeadNumber);
    expect(new Set(leads).size).toBeGreaterThanOrEqual(990);
    expect(new Set(leads.map((l) => l.slice(0, 2))).size).toBeGreaterThan(200);
    const numbers = leads.map((l) => Number(l.slice(2)));
    const steps = numbers.slice(1).map((n, i) => n - numbers[i]!);
    expect(steps.filter((s) => Math.abs(s) <= 1).length).toBeLessThan(5);
  });
});

describe('withFreshId', () => {
  it('returns the first attempt that does not collide', async () => {
    const make = vi.fn(() => 'only');
    const attempt = vi.fn(async (id: string) => ({ stored: id }));
    await expect(withFreshId(make, attempt)).resolves.toEqual({ stored: 'only' });
    expect(make).toHaveBeenCalledTimes(1);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('retries with a new id while the attempt reports a collision (null)', async () => {
    let n = 0;
    const make = vi.fn(() => `id${++n}`);
    const attempt = vi.fn(async (id: string) => (id === 'id4' ? `stored ${id}` : null));
    await expect(withFreshId(make, attempt)).resolves.toBe('stored id4');
    expect(make).toHaveBeenCalledTimes(4);
    expect(attempt.mock.calls.map(([id]) => id)).toEqual(['id1', 'id2', 'id3', 'id4']);
  });

  it('treats falsy results other than null as success', async () => {
    await expect(withFreshId(newTicketId, async () => 0)).resolves.toBe(0);
    await expect(withFreshId(newTicketId, async () => false)).resolves.toBe(false);
  });

  it('gives up after 20 collisions with an error', async () => {
    const attempt = vi.fn(async (_id: string) => null);
    await expect(withFreshId(newTicketId, attempt)).rejects.toThrow(/20 attempts/);
    expect(attempt).toHaveBeenCalledTimes(20);
  });

  it('succeeds on the 20th attempt', async () => {
    let calls = 0;
    await expect(withFreshId(newTicketId, async (id) => (++calls === 20 ? id : null))).resolves.toMatch(
      TICKET_ID_PATTERN,
    );
    expect(calls).toBe(20);
  });

  it('passes on an error thrown by the attempt without retrying', async () => {
    const attempt = vi.fn(async () => {
      throw new Error('database down');
    });
    await expect(withFreshId(newTicketId, attempt)).rejects.toThrow('database down');
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});
