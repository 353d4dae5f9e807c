// Deep-link payloads are short ids that could be guessed; a Telegram account that keeps opening tickets
// it cannot prove (or that do not exist — the bot answers both alike) is stopped for an hour. Per process: with several instances each counts on its own
// (the ids space and Telegram's own flood limits keep guessing slow anyway).

const WINDOW_MS = 3_600_000;
const MAX_MISSES = 10;
const MAX_ACCOUNTS = 50_000;

export class LinkLookups {
  private readonly misses = new Map<string, number[]>();

  mayTry(telegramId: string, now: number): boolean {
    const recent = (this.misses.get(telegramId) ?? []).filter((at) => at > now - WINDOW_MS);
    return recent.length < MAX_MISSES;
  }

  missed(telegramId: string, now: number): void {
    const recent = (this.misses.get(telegramId) ?? []).filter((at) => at > now - WINDOW_MS);
    recent.push(now);
    this.misses.delete(telegramId);
    this.misses.set(telegramId, recent);
    if (this.misses.size > MAX_ACCOUNTS) this.misses.delete(this.misses.keys().next().value!);
  }
}
