// How the public web front end's payloads are read (spec/web-form.md, B): its quirks are the contract —
// "null" strings mean absent, promocodes arrive JSON-quoted, the offset may be a string, preferences
// may be an array or {preferences, customPreferences}, slot strings look like "05.6 14:00".

/** The form's own ticket id ("kwqtt", "cd_9cnzeq", "ds_ab12c", "hh_x1y2z"). */
export const FORM_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const FORM_ID = new RegExp(FORM_ID_PATTERN);

/** The steps a tracking record starts with, and the form type of a record nobody initialized. */
export const FIRST_STEP = 'Начало';
export const UNKNOWN_FORM_TYPE = 'unknown';

/** What a psychologist's `works_with` says when they take clients with a diagnosed psychiatric illness. */
export const WORKS_WITH_PSYCHIATRIC =
  'Есть диагностированное психиатрическое заболевание (ПРЛ, БАР, ПТСР и др)';
const PSYCHIATRIC = /психиатрическ/i;

/** A text answer, or undefined for what the forms send meaning "nothing": "", "null", "undefined". */
export function formText(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' || text === 'null' || text === 'undefined' ? undefined : text;
}

/** A list answer: its texts without the empty and "null" ones; a single text is a list of one. */
export function formTexts(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items.map(formText).filter((x): x is string => x !== undefined);
}

/** The promocode as typed: the forms store it JSON-encoded ("\"ABC\"" → ABC, "\"\"" → none). */
export function formPromocode(value: unknown): string | undefined {
  const text = formText(value);
  if (text === undefined) return undefined;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      const decoded: unknown = JSON.parse(text);
      return typeof decoded === 'string' ? formText(decoded) : text;
    } catch {
      return formText(text.slice(1, -1));
    }
  }
  return text;
}

/** Hours from Moscow, a number or a numeric string; anything else (or out of range) is Moscow. */
export function formOffsetHours(value: unknown): number {
  const text = formText(value);
  if (text === undefined || !/^[+-]?\d{1,2}(\.\d{1,2})?$/.test(text)) return 0;
  const hours = Number(text);
  return Math.abs(hours) <= 15 ? hours : 0;
}

/** A research row id or database id as sent back by the forms: a positive whole number, else none. */
export function formRowId(value: unknown): number | undefined {
  const text = formText(value);
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** What matters in a psychologist to the client: `importancePsycho` as an array or as the form's object. */
export function formImportance(
  value: unknown,
  customImportance?: unknown,
): { preferences: string[]; custom?: string } {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { preferences, customPreferences } = value as {
      preferences?: unknown;
      customPreferences?: unknown;
    };
    const custom = formText(customPreferences) ?? formText(customImportance);
    return { preferences: formTexts(preferences), ...(custom ? { custom } : {}) };
  }
  const custom = formText(customImportance);
  return { preferences: formTexts(value), ...(custom ? { custom } : {}) };
}

/** True when an answer about diagnoses says a psychiatric illness was diagnosed. */
export function hasPsychiatricDiagnosis(answers: string[]): boolean {
  return answers.some((answer) => PSYCHIATRIC.test(answer));
}

/** True when a psychologist's `works_with` takes clients with a diagnosed psychiatric illness. */
export function worksWithPsychiatric(worksWith: string[]): boolean {
  return worksWith.some((item) => PSYCHIATRIC.test(item));
}

/** The catalog's name key of education entries: spaces become "_" (the front end joins on it). */
export function educationKey(name: string): string {
  return name.trim().replace(/\s+/g, '_');
}
