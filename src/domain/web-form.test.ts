import { describe, expect, it } from 'vitest';
import {
  educationKey,
  formImportance,
  formOffsetHours,
  formPromocode,
  formRowId,
  formText,
  formTexts,
  hasPsychiatricDiagnosis,
  worksWithPsychiatric,
} from './web-form.ts';

describe('reading the web forms’ quirks', () => {
  it('"null", "undefined" and blanks are absent', () => {
    expect(formText('null')).toBeUndefined();
    expect(formText(' undefined ')).toBeUndefined();
    expect(formText('  ')).toBeUndefined();
    expect(formText(' Тула ')).toBe('Тула');
    expect(formText(27)).toBe('27');
    expect(formText({})).toBeUndefined();
    expect(formTexts([null, 'Анна Ш', '', 'null'])).toEqual(['Анна Ш']);
    expect(formTexts('одно')).toEqual(['одно']);
  });

  it('JSON-quoted promocodes are decoded', () => {
    expect(formPromocode('"ABC"')).toBe('ABC');
    expect(formPromocode('""')).toBeUndefined();
    expect(formPromocode('"\\"вложенный\\""')).toBe('"вложенный"');
    expect(formPromocode('ВЕСНА')).toBe('ВЕСНА');
    expect(formPromocode('"незакрытая')).toBe('"незакрытая');
    expect(formPromocode('"a\\x"')).toBe('a\\x');
  });

  it('the offset is hours as a number or a string; nonsense is Moscow', () => {
    expect(formOffsetHours('0')).toBe(0);
    expect(formOffsetHours('-2')).toBe(-2);
    expect(formOffsetHours(4.5)).toBe(4.5);
    expect(formOffsetHours('МСК+2')).toBe(0);
    expect(formOffsetHours('99')).toBe(0);
  });

  it('research ids are positive whole numbers', () => {
    expect(formRowId(0)).toBeUndefined();
    expect(formRowId('17')).toBe(17);
    expect(formRowId(-3)).toBeUndefined();
    expect(formRowId('1e3')).toBeUndefined();
  });

  it('preferences come as an array or as the form’s object', () => {
    expect(formImportance(['Опыт'], '')).toEqual({ preferences: ['Опыт'] });
    expect(formImportance({ preferences: ['Чуткость'], customPreferences: 'юмор' })).toEqual({
      preferences: ['Чуткость'],
      custom: 'юмор',
    });
  });

  it('a psychiatric illness is told from a psychological one', () => {
    expect(hasPsychiatricDiagnosis(['Есть диагностированное психиатрическое заболевание'])).toBe(true);
    expect(hasPsychiatricDiagnosis(['Есть диагностированное психическое заболевание'])).toBe(false);
    expect(hasPsychiatricDiagnosis(['Нет диагноза'])).toBe(false);
    expect(
      worksWithPsychiatric([
        'Взрослые',
        'Есть диагностированное психиатрическое заболевание (ПРЛ, БАР, ПТСР и др)',
      ]),
    ).toBe(true);
  });

  it('education is keyed by the name with "_" for spaces', () => {
    expect(educationKey(' Иванова  Мария ')).toBe('Иванова_Мария');
  });
});
