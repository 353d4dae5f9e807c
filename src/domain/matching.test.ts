import { describe, expect, it } from 'vitest';
import { fitsWishes, GENDER_VALUES, rankCandidates, wantedSex } from './matching.ts';

const candidate = (name: string, coefficient: number, slots: number) => ({
  id: `id-${name}`,
  name,
  coefficient,
  slots: Array.from({ length: slots }, (_, i) => `slot${i}`),
});

describe('rankCandidates', () => {
  it('puts the highest remaining coefficient first, whatever the slot counts', () => {
    const ranked = rankCandidates([
      candidate('Анна', 0.2, 10),
      candidate('Борис', 0.9, 1),
      candidate('Вера', 0.5, 5),
    ]);
    expect(ranked.map((c) => c.name)).toEqual(['Борис', 'Вера', 'Анна']);
  });

  it('breaks a coefficient tie by the number of matching slots, more first', () => {
    const ranked = rankCandidates([
      candidate('Анна', 0.5, 1),
      candidate('Борис', 0.5, 3),
      candidate('Вера', 0.5, 2),
    ]);
    expect(ranked.map((c) => c.name)).toEqual(['Борис', 'Вера', 'Анна']);
  });

  it('breaks a full tie by name in Russian alphabetical order', () => {
    const ranked = rankCandidates([
      candidate('Яна Петрова', 1, 2),
      candidate('Борис Иванов', 1, 2),
      candidate('Анна Смирнова', 1, 2),
    ]);
    expect(ranked.map((c) => c.name)).toEqual(['Анна Смирнова', 'Борис Иванов', 'Яна Петрова']);
  });

  it('combines the three keys', () => {
    const ranked = rankCandidates([
      candidate('Вера', 0.5, 2),
      candidate('Анна', 0.5, 2),
      candidate('Глеб', 0.5, 4),
      candidate('Борис', 1, 0),
      candidate('Дина', 0, 9),
    ]);
    expect(ranked.map((c) => c.name)).toEqual(['Борис', 'Глеб', 'Анна', 'Вера', 'Дина']);
  });

  it('handles negative coefficients and keeps the candidates whole', () => {
    const a = candidate('Анна', -1, 3);
    const b = candidate('Борис', 0, 0);
    const ranked = rankCandidates([a, b]);
    expect(ranked).toEqual([b, a]);
    expect(ranked[1]).toBe(a);
  });

  it('does not reorder the array it was given', () => {
    const input = [candidate('Анна', 0.1, 1), candidate('Борис', 0.9, 1)];
    const copy = [...input];
    const ranked = rankCandidates(input);
    expect(input).toEqual(copy);
    expect(ranked).not.toBe(input);
    expect(ranked.map((c) => c.name)).toEqual(['Борис', 'Анна']);
  });

  it('returns an empty list for no candidates', () => {
    expect(rankCandidates([])).toEqual([]);
  });
});

describe('wantedSex', () => {
  it.each([
    ['male', 'male'],
    ['female', 'female'],
    ['Мужчина', 'male'],
    ['Женщина', 'female'],
    ['Мужской', 'male'],
    ['Женский', 'female'],
    [' MALE ', 'male'],
    ['женщина', 'female'],
  ] as const)('%j → %s', (input, expected) => {
    expect(wantedSex(input)).toBe(expected);
  });

  it.each(['any', 'Не имеет значения', 'не важно', '', undefined])('%j → any (undefined)', (input) => {
    expect(wantedSex(input)).toBeUndefined();
  });

  it('maps every documented value to male, female or any', () => {
    const mapped = GENDER_VALUES.map((g) => wantedSex(g) ?? 'any');
    expect(new Set(mapped)).toEqual(new Set(['male', 'female', 'any']));
    expect(mapped.filter((m) => m === 'male')).toHaveLength(3);
    expect(mapped.filter((m) => m === 'female')).toHaveLength(3);
  });
});

describe('fitsWishes', () => {
  const p = { sex: 'female', min_price: 2000, help_hand: false, queries: ['тревога', null] };
  const wishes = { helpHandOnly: false, specializations: [] };

  it('fits everybody active when nothing was wished', () => {
    expect(fitsWishes(p, wishes)).toBe(true);
  });

  it('checks the sex and the price limit', () => {
    expect(fitsWishes(p, { ...wishes, sex: 'male' })).toBe(false);
    expect(fitsWishes(p, { ...wishes, sex: 'female', priceMax: 2000 })).toBe(true);
    expect(fitsWishes(p, { ...wishes, priceMax: 1999 })).toBe(false);
  });

  it('takes only helping-hand psychologists for the helping hand, whatever the price', () => {
    expect(fitsWishes(p, { ...wishes, helpHandOnly: true })).toBe(false);
    expect(fitsWishes({ ...p, help_hand: true }, { ...wishes, helpHandOnly: true, priceMax: 1 })).toBe(true);
  });

  it('wants one of the specializations, ignoring case and surrounding spaces', () => {
    expect(fitsWishes(p, { ...wishes, specializations: ['Выгорание', ' ТРЕВОГА '] })).toBe(true);
    expect(fitsWishes(p, { ...wishes, specializations: ['Выгорание'] })).toBe(false);
  });
});
