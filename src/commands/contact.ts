// Turns what a form sent as a contact into the identity a client is found by.
import type { ContactType } from '../domain/vocabulary.ts';
import { badRequest } from '../errors.ts';
import { normalizeEmail, normalizePhone, normalizeTelegram } from '../domain/names.ts';
import type { ContactIdentity } from '../repositories/clients.repository.ts';

export function contactIdentity(type: ContactType, value: string, field = 'contact.value'): ContactIdentity {
  const raw = value.trim();
  switch (type) {
    case 'telegram': {
      const handle = normalizeTelegram(raw);
      if (!handle) throw badRequest(field, 'must be a Telegram username (with or without @) or a numeric id');
      return handle.kind === 'id'
        ? { key: `telegram:${handle.value}`, type, value: handle.value, telegramId: handle.value }
        : {
            key: `telegram:@${handle.value}`,
            type,
            value: `@${handle.value}`,
            telegramUsername: handle.value,
          };
    }
    case 'phone':
    case 'whatsapp':
    case 'max': {
      const phone = normalizePhone(raw);
      if (!phone) throw badRequest(field, 'must be a phone number, e.g. +7 900 123-45-67');
      return { key: `phone:${phone}`, type, value: phone, phone };
    }
    case 'email': {
      const email = normalizeEmail(raw);
      if (!email) throw badRequest(field, 'must be an e-mail address');
      return { key: `email:${email}`, type, value: email, email };
    }
    case 'vk': {
      const handle = raw
        .replace(/^(https?:\/\/)?(m\.)?vk\.com\//i, '')
        .replace(/^@/, '')
        .toLowerCase();
      if (!/^[a-z0-9_.]{2,100}$/.test(handle)) throw badRequest(field, 'must be a VK page name or link');
      return { key: `vk:${handle}`, type, value: handle };
    }
  }
}

/** The form's contact type words ("Telegram", "WhatsApp" …) as ours. */
export function contactTypeOf(value: string): ContactType | null {
  const v = value.trim().toLowerCase();
  const map: Record<string, ContactType> = {
    telegram: 'telegram',
    whatsapp: 'whatsapp',
    phone: 'phone',
    vk: 'vk',
    max: 'max',
    email: 'email',
  };
  return map[v] ?? null;
}

/**
 * A web form's contact, never refused: the forms check it themselves (Telegram, VK or Max, non-empty),
 * and an application must not be lost over a handle we would have written differently. A value our
 * rules cannot read (a Max nickname, an odd VK link) is still a contact, known by its lower-cased text;
 * a missing or unknown type is read from the value.
 */
export function webFormContact(typeText: string | undefined, value: string): ContactIdentity {
  const raw = value.trim();
  const type =
    (typeText ? contactTypeOf(typeText) : null) ??
    (normalizePhone(raw) ? 'phone' : normalizeEmail(raw) ? 'email' : 'telegram');
  try {
    return contactIdentity(type, raw);
  } catch {
    return { key: `${type}:${raw.toLowerCase()}`, type, value: raw };
  }
}
