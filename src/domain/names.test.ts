import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizeName, normalizePhone, normalizeTelegram, tidyName } from './names.ts';

describe('normalizeName', () => {
  it('ignores case, repeated and surrounding spaces', () => {
    expect(normalizeName('  Анна   Смирнова ')).toBe('анна смирнова');
    expect(normalizeName('АННА\tСМИРНОВА')).toBe('анна смирнова');
    expect(normalizeName('Анна \n Смирнова')).toBe(normalizeName('анна смирнова'));
  });

  it('treats ё and Ё as е', () => {
    expect(normalizeName('Дмитрий Ковалёв')).toBe('дмитрий ковалев');
    expect(normalizeName('Пётр ЁЛКИН')).toBe('петр елкин');
    expect(normalizeName('Дмитрий Ковалёв')).toBe(normalizeName('дмитрий  КОВАЛЕВ'));
  });

  it('keeps different names different', () => {
    expect(normalizeName('Анна Смирнова')).not.toBe(normalizeName('Анна Смирнов'));
    expect(normalizeName('Анна Смирнова')).not.toBe(normalizeName('АннаСмирнова'));
  });
});

describe('tidyName', () => {
  it('trims and collapses spaces but keeps case and ё', () => {
    expect(tidyName('  Дмитрий   Ковалёв ')).toBe('Дмитрий Ковалёв');
  });
});

describe('normalizePhone', () => {
  it.each([
    ['8 900 123-45-67', '+79001234567'],
    ['+7 (900) 123 45 67', '+79001234567'],
    ['9001234567', '+79001234567'],
    ['89001234567', '+79001234567'],
    ['79001234567', '+79001234567'],
    ['+79001234567', '+79001234567'],
    [' 8(900)123.45.67 ', '+79001234567'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('%j → %j', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each([
    'abc',
    '8900abc4567',
    '8 900 123-45-6x',
    '12345',
    '8 900 123-45-6',
    '4951234567',
    '+7 900',
    '+1234567890123456',
    '',
    '   ',
    '+',
  ])('rejects %j', (input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});

describe('normalizeTelegram', () => {
  it('turns a handle with @ into a lower-case username without @', () => {
    expect(normalizeTelegram('@User_Name')).toEqual({ kind: 'username', value: 'user_name' });
    expect(normalizeTelegram('  User_Name ')).toEqual({ kind: 'username', value: 'user_name' });
  });

  it('reads t.me and telegram.me links', () => {
    expect(normalizeTelegram('https://t.me/Some_User')).toEqual({ kind: 'username', value: 'some_user' });
    expect(normalizeTelegram('t.me/someuser')).toEqual({ kind: 'username', value: 'someuser' });
    expect(normalizeTelegram('http://telegram.me/SomeUser')).toEqual({ kind: 'username', value: 'someuser' });
  });

  it('reads digits as a numeric id', () => {
    expect(normalizeTelegram('123456789')).toEqual({ kind: 'id', value: '123456789' });
    expect(normalizeTelegram(' 5012345678 ')).toEqual({ kind: 'id', value: '5012345678' });
  });

  it.each(['a b', '@a b', 'abc', '@abc', '12', '', '@', '_user', '1user_name', 'user-name', 'юзер_нейм'])(
    'rejects %j',
    (input) => {
      expect(normalizeTelegram(input)).toBeNull();
    },
  );
});

describe('normalizeEmail', () => {
  it('trims and lower-cases a valid address', () => {
    expect(normalizeEmail('  User.Name+tag@Example.COM ')).toBe('user.name+tag@example.com');
  });

  it.each(['no-at-sign', 'a@b', 'a b@c.com', '@example.com', 'user@', 'user@example.c', '', 'a@@b.com'])(
    'rejects %j',
    (input) => {
      expect(normalizeEmail(input)).toBeNull();
    },
  );
});
