// Matching rules (spec/endpoints.md, submit-application): who fits a client's preferences and in
// which order psychologists are offered — remaining assignment coefficient first, then how many of
// the client's chosen times they have free.

export interface MatchCandidate<S> {
  id: string;
  name: string;
  coefficient: number;
  slots: S[];
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
