// Normalization of what people type: psychologist names, phones, Telegram handles, e-mails.

/** A name as the lookup key: lower case, single spaces, ё → е (SPEC §3). */
export function normalizeName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase().replace(/ё/g, 'е');
}

/** A tidy display form of a person's name: trimmed, single spaces. */
export function tidyName(name: string): string {
  return name.trim().replace(/\s+/g, ' ');
}

/**
 * A phone number in E.164. Russian numbers written as 8XXXXXXXXXX or 7XXXXXXXXXX or 9XXXXXXXXX become
 * +7XXXXXXXXXX; others need their country code. Returns null for anything that is not a phone.
 */
export function normalizePhone(input: string): string | null {
  const text = input.trim();
  if (!/^\+?[\d\s().-]+$/.test(text)) return null;
  const digits = text.replace(/\D/g, '');
  if (text.startsWith('+')) {
    return digits.length >= 10 && digits.length <= 15 ? `+${digits}` : null;
  }
  if (digits.length === 11 && (digits.startsWith('8') || digits.startsWith('7')))
    return `+7${digits.slice(1)}`;
  if (digits.length === 10 && digits.startsWith('9')) return `+7${digits}`;
  if (digits.length >= 11 && digits.length <= 15) return `+${digits}`;
  return null;
}

export type TelegramHandle = { kind: 'id'; value: string } | { kind: 'username'; value: string };

/** A Telegram contact: numeric id, or a username with or without @ or a t.me link (stored without @). */
export function normalizeTelegram(input: string): TelegramHandle | null {
  const text = input
    .trim()
    .replace(/^(https?:\/\/)?(t\.me|telegram\.me)\//i, '')
    .replace(/^@/, '');
  if (/^\d{3,20}$/.test(text)) return { kind: 'id', value: text };
  if (/^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(text)) return { kind: 'username', value: text.toLowerCase() };
  return null;
}

export function normalizeEmail(input: string): string | null {
  const text = input.trim().toLowerCase();
  return /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/.test(text) ? text : null;
}
