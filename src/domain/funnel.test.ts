import { describe, expect, it } from 'vitest';
import { funnel, type FunnelInput } from './funnel.ts';

const t0 = Date.parse('2026-12-07T09:00:00Z');
let id = 0;
const step = (form: string, name: string, seconds: number): FunnelInput => ({
  tracking_id: form,
  form_type: 'A',
  step: name,
  first_at: new Date(t0 + seconds * 1000),
  first_id: ++id,
});

describe('funnel', () => {
  it('orders steps by when they were first seen and counts each form once per step', () => {
    const rows = [
      step('f2', 'Возраст', 50),
      step('f1', 'Начало', 0),
      step('f1', 'Возраст', 10),
      step('f2', 'Начало', 40),
      step('f3', 'Начало', 41),
      step('f1', 'Слоты', 20),
    ];
    expect(funnel(rows, 4)).toEqual([
      { step: 'Начало', tickets: 3, share_of_start: 0.75, drop_off: 0, drop_off_share: 0 },
      { step: 'Возраст', tickets: 2, share_of_start: 0.5, drop_off: 1, drop_off_share: 0.3333 },
      { step: 'Слоты', tickets: 1, share_of_start: 0.25, drop_off: 1, drop_off_share: 0.5 },
    ]);
  });

  it('breaks a tie of first times by insertion order, and a step reached by more forms drops nobody', () => {
    const rows = [step('a', 'Y', 0), step('a', 'X', 0), step('b', 'X', 5)];
    rows[1]!.first_id = 0;
    expect(funnel(rows, 2).map((s) => [s.step, s.drop_off])).toEqual([
      ['X', 0],
      ['Y', 1],
    ]);
    expect(funnel([], 0)).toEqual([]);
    expect(funnel([step('c', 'Z', 0)], 0)[0]!.share_of_start).toBe(0);
  });
});
