// Matching rules (spec/endpoints.md, submit-application): who fits a client's preferences and in
// which order psychologists are offered — remaining assignment coefficient first, then how many of
// the client's chosen times they have free.

export interface MatchCandidate<S> {
  id: string;
  name: string;
  coefficient: number;
  slots: S[];
}

/** What a client wished for (spec/endpoints.md, submit-application); none of it = everybody fits. */
export interface Wishes {
  sex?: 'male' | 'female';
  priceMax?: number;
  helpHandOnly: boolean;
  /** Any of these (case-insensitive); none = every psychologist fits. */
  specializations: string[];
}

/**
 * Whether an (active) psychologist fits a client's wishes — the rule candidateFilterSql applies in SQL,
 * for matching from memory. `queries` come lower-cased and trimmed as that SQL compares them.
 */
export function fitsWishes(
  p: { sex: string; min_price: number; help_hand: boolean; queries: (string | null)[] },
  wishes: Wishes,
): boolean {
  if (wishes.sex && p.sex !== wishes.sex) return false;
  // The helping hand is free: its price limit does not apply.
  if (wishes.helpHandOnly) {
    if (!p.help_hand) return false;
  } else if (wishes.priceMax !== undefined && !(p.min_price <= wishes.priceMax)) return false;
  if (wishes.specializations.length) {
    const wanted = new Set(wishes.specializations.map((w) => w.trim().toLowerCase()));
    if (!p.queries.some((q) => q !== null && wanted.has(q))) return false;
  }
  return true;
}

export function rankCandidates<S, C extends MatchCandidate<S>>(candidates: C[]): C[] {
  return [...candidates].sort(
    (a, b) =>
      b.coefficient - a.coefficient || b.slots.length - a.slots.length || a.name.localeCompare(b.name, 'ru'),
  );
}

const GENDERS: Record<string, 'male' | 'female' | undefined> = {
  male: 'male',
  female: 'female',
  any: undefined,
  мужчина: 'male',
  мужской: 'male',
  женщина: 'female',
  женский: 'female',
  'не имеет значения': undefined,
  'не важно': undefined,
};

export const GENDER_VALUES = [
  'male',
  'female',
  'any',
  'Мужчина',
  'Женщина',
  'Не имеет значения',
  'Мужской',
  'Женский',
  'Не важно',
];

/** The psychologist's sex a client asked for, or undefined for "any". */
export function wantedSex(gender: string | undefined): 'male' | 'female' | undefined {
  if (!gender) return undefined;
  return GENDERS[gender.trim().toLowerCase()];
}
