// Video links for sessions. Providers sit behind one interface; Zoom and Google Meet come with the
// video-links issue, Jitsi Meet is the fallback that needs no credentials and never fails. Links are
// made after the booking commits (src/commands/attach-meeting-link.ts), never inside a transaction.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';

export interface MeetingRequest {
  sessionId?: string;
  startAt: Date;
  durationMinutes: number;
  psychologistName?: string;
}

export interface Meeting {
  link: string;
  platform: 'zoom' | 'meet' | 'jitsi';
  meetingId: string;
}

export interface VideoLinks {
  create(request: MeetingRequest): Promise<Meeting>;
}

/** Jitsi rooms are public by name, so the name carries 120 random bits. */
export function createJitsiLinks(config: Config['jitsi']): VideoLinks {
  return {
    async create() {
      const room = `${config.prefix}-${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
      return { link: `${config.baseUrl}/${room}`, platform: 'jitsi', meetingId: room };
    },
  };
}

/**
 * Tries each provider in turn, giving each at most `timeoutMs`; the last one (Jitsi) is expected never
 * to fail. A provider that answers after its time is up is ignored.
 */
export function firstAvailable(providers: VideoLinks[], timeoutMs: number): VideoLinks {
  return {
    async create(request) {
      let lastError: unknown = new Error('no video provider configured');
      for (const provider of providers) {
        try {
          return await withTimeout(provider.create(request), timeoutMs);
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('video provider timed out'), { code: 'ETIMEDOUT' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
