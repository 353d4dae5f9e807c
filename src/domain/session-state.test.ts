import { describe, expect, it } from 'vitest';
import type { SessionStatus } from './vocabulary.ts';
import { isActive, isAllowedTransition, tookPlace } from './session-state.ts';

const STATUSES: SessionStatus[] = ['pending', 'confirmed', 'cancelled', 'completed', 'missed'];

const ALLOWED: Record<SessionStatus, SessionStatus[]> = {
  pending: ['confirmed', 'cancelled', 'missed', 'completed'],
  confirmed: ['cancelled', 'completed', 'missed'],
  completed: ['missed'],
  missed: ['completed'],
  cancelled: [],
};

describe('isAllowedTransition', () => {
  const table = STATUSES.flatMap((from) =>
    STATUSES.map((to) => [from, to, ALLOWED[from].includes(to)] as const),
  );

  it.each(table)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(isAllowedTransition(from, to)).toBe(allowed);
  });

  it('never allows staying in the same status', () => {
    for (const status of STATUSES) expect(isAllowedTransition(status, status)).toBe(false);
  });

  it('never leaves cancelled and never goes back to pending', () => {
    for (const to of STATUSES) expect(isAllowedTransition('cancelled', to)).toBe(false);
    for (const from of STATUSES) expect(isAllowedTransition(from, 'pending')).toBe(false);
  });

  it('lets completed and missed correct each other but not be cancelled', () => {
    expect(isAllowedTransition('completed', 'missed')).toBe(true);
    expect(isAllowedTransition('missed', 'completed')).toBe(true);
    expect(isAllowedTransition('completed', 'cancelled')).toBe(false);
    expect(isAllowedTransition('missed', 'cancelled')).toBe(false);
  });
});

describe('isActive', () => {
  it('is true for pending and confirmed only', () => {
    expect(STATUSES.filter(isActive)).toEqual(['pending', 'confirmed']);
  });
});

describe('tookPlace', () => {
  const start = new Date('2026-12-09T07:00:00.000Z');
  const at = (status: SessionStatus) => ({ status, start_at: start, duration_minutes: 60 });
  const during = new Date('2026-12-09T07:30:00.000Z');
  const ended = new Date('2026-12-09T08:00:00.000Z');

  it('a completed session took place; an active one once it has ended', () => {
    expect(tookPlace(at('completed'), during)).toBe(true);
    expect(tookPlace(at('pending'), during)).toBe(false);
    expect(tookPlace(at('confirmed'), ended)).toBe(true);
    expect(tookPlace(at('pending'), ended)).toBe(true);
  });

  it('a missed or cancelled session never did', () => {
    expect(tookPlace(at('missed'), ended)).toBe(false);
    expect(tookPlace(at('cancelled'), ended)).toBe(false);
  });
});
