// Claims and proofs (SPEC §3 "Identity: proofs and claims"). A claim is what a form typed about the
// person: a phone, an @username or numeric Telegram id, an e-mail. A proof is what Telegram vouches for:
// the account of an update, its current username, a phone it shared with the "share my number" button.
// A ticket joins an account only when a proof meets one of the ticket's claims.

export interface Claim {
  /** Normalized phone (`+7…`) typed as the phone, WhatsApp or Max number. */
  phone: string | null;
  /** `@username` (lower-cased) or a numeric Telegram id, as typed. */
  telegram: string | null;
  email: string | null;
}

export interface TelegramProofs {
  telegramId: string;
  username?: string | null;
  /** A phone this account shared with Telegram's own button, normalized. */
  provenPhone?: string | null;
}

/** How a ticket came to its account: by a proof, or vouched for by the service key. */
export type LinkedBy = 'username' | 'account' | 'phone' | 'service';

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The claims a ticket carries: what its submission typed, else what its record was made from. */
export function claimOf(
  typed: unknown,
  record: {
    phone: string | null;
    email: string | null;
    contact_type: string | null;
    contact_value: string | null;
  },
): Claim {
  if (typed && typeof typed === 'object') {
    const t = typed as Record<string, unknown>;
    return { phone: text(t.phone), telegram: text(t.telegram)?.toLowerCase() ?? null, email: text(t.email) };
  }
  return {
    phone: record.phone,
    telegram: record.contact_type === 'telegram' ? (record.contact_value?.toLowerCase() ?? null) : null,
    email: record.email,
  };
}

/** Which proof of this account meets the ticket's claim, or null when none does. */
export function proofOf(claim: Claim, account: TelegramProofs): LinkedBy | null {
  if (claim.telegram) {
    if (claim.telegram === account.telegramId) return 'account';
    if (account.username && claim.telegram === `@${account.username.replace(/^@/, '').toLowerCase()}`)
      return 'username';
  }
  if (claim.phone && account.provenPhone && claim.phone === account.provenPhone) return 'phone';
  return null;
}
