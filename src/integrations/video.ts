// Video links for sessions. Providers (Zoom, Google Meet, Jitsi Meet) sit behind one interface and are
// asked in turn, each within its time; Jitsi needs no credentials and never fails. A provider's call is
// made after the booking commits (src/commands/attach-meeting-link.ts), never inside a transaction; a
// link that needs no call (Jitsi asked first) is made by the booking itself.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../domain/clock.ts';

export const PLATFORMS = ['zoom', 'meet', 'jitsi'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const isPlatform = (value: unknown): value is Platform =>
  typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);

export interface MeetingRequest {
  /** The session the meeting is for (absent for a free-standing link). */
  sessionId?: string;
  startAt: Date;
  durationMinutes: number;
}

export interface Meeting {
  link: string;
  platform: Platform;
  meetingId: string;
  /** The Zoom user hosting it (Zoom only). */
  host?: string;
}

/** A meeting as a session stores it: enough to delete it later. */
export interface MeetingRef {
  platform: string;
  meetingId: string;
  host?: string | null;
}

/** One provider. It stops waiting when `signal` aborts (its time is up). */
export interface VideoProvider {
  readonly platform: Platform;
  create(request: MeetingRequest, signal: AbortSignal): Promise<Meeting>;
  /** Deletes a meeting it made; one that is gone already counts as deleted. */
  remove(meeting: MeetingRef, signal: AbortSignal): Promise<void>;
  /** For a provider that calls nobody to make a meeting (Jitsi): the meeting, made here and now. */
  makeLocally?(request: MeetingRequest): Meeting;
}

export interface ProviderStatus {
  platform: Platform;
  lastSuccessAt: Date | null;
  lastError: { code: VideoErrorCode; message: string; at: Date } | null;
}

/** What the service uses: the chain of configured providers. */
export interface VideoLinks {
  /** A meeting from the first provider that makes one in time. */
  create(request: MeetingRequest): Promise<Meeting>;
  /**
   * The meeting `create` would make, when its first provider makes it without calling anybody (so it may
   * be made inside a transaction); else null, and the link is made after the commit.
   */
  local(request: MeetingRequest): Meeting | null;
  /** Deletes a meeting at its provider; never throws (a failure is logged and remembered): true when gone. */
  remove(meeting: MeetingRef): Promise<boolean>;
  /** The configured providers in the order they are asked, with how each last went. */
  status(): ProviderStatus[];
}

export type VideoErrorCode =
  | 'timeout'
  | 'network'
  | 'unauthorized'
  | 'rate_limited'
  | 'server_error'
  | 'not_found'
  | 'rejected'
  | 'bad_answer'
  | 'hosts_busy';

/**
 * A provider failed. The message is ours (what was asked and how it went), never the provider's answer
 * or a credential, so it can be logged and shown to operators.
 */
export class VideoProviderError extends Error {
  override name = 'VideoProviderError';
  readonly code: VideoErrorCode;
  readonly status: number | undefined;
  constructor(code: VideoErrorCode, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** A provider's delete: a meeting that is already gone counts as deleted. */
export async function deleteUnlessGone(remove: Promise<unknown>): Promise<void> {
  try {
    await remove;
  } catch (error) {
    if (error instanceof VideoProviderError && error.code === 'not_found') return;
    throw error;
  }
}

/** The session moved, ended or got its link while a meeting was being chosen: nobody needs one now. */
export class MeetingNotNeeded extends Error {
  override name = 'MeetingNotNeeded';
}

/** Jitsi rooms are public by name, so the name carries 120 random bits. */
export function createJitsiProvider(config: Config['jitsi']): VideoProvider {
  const makeLocally = (): Meeting => {
    const room = `${config.prefix}-${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
    return { link: `${config.baseUrl}/${room}`, platform: 'jitsi', meetingId: room };
  };
  return {
    platform: 'jitsi',
    makeLocally,
    async create() {
      return makeLocally();
    },
    // A Jitsi room exists while someone is in it; there is nothing to delete.
    async remove() {},
  };
}

/**
 * Asks each provider in turn, giving each at most `timeoutMs` (then its requests are aborted). The last
 * one (Jitsi) is expected never to fail. A meeting that a provider makes after its time was up belongs
 * to nobody and is deleted.
 */
export function firstAvailable(
  providers: VideoProvider[],
  options: { timeoutMs: number; log: Logger; clock: Clock },
): VideoLinks {
  const { timeoutMs, log, clock } = options;
  const statuses = new Map<Platform, ProviderStatus>(
    providers.map((p) => [p.platform, { platform: p.platform, lastSuccessAt: null, lastError: null }]),
  );
  const failed = (provider: VideoProvider, error: unknown, action: 'create' | 'remove') => {
    const code = error instanceof VideoProviderError ? error.code : 'bad_answer';
    const message = error instanceof VideoProviderError ? error.message : 'unexpected failure';
    statuses.get(provider.platform)!.lastError = { code, message, at: clock.now() };
    log.warn(
      {
        provider: provider.platform,
        action,
        code,
        status: error instanceof VideoProviderError ? error.status : undefined,
      },
      action === 'create' ? 'video provider failed, asking the next one' : 'video meeting not deleted',
    );
  };
  const succeeded = (provider: VideoProvider) => {
    statuses.get(provider.platform)!.lastSuccessAt = clock.now();
  };

  return {
    async create(request) {
      let lastError: unknown = new Error('no video provider configured');
      for (const provider of providers) {
        const controller = new AbortController();
        const attempt = provider.create(request, controller.signal);
        try {
          const meeting = await withTimeout(attempt, timeoutMs, controller);
          succeeded(provider);
          return meeting;
        } catch (error) {
          if (error instanceof MeetingNotNeeded) throw error;
          failed(provider, error, 'create');
          lastError = error;
          attempt.then(
            (late) => void provider.remove(late, AbortSignal.timeout(timeoutMs)).catch(() => {}),
            () => {},
          );
        }
      }
      throw lastError;
    },

    local(request) {
      const first = providers[0];
      if (!first?.makeLocally) return null;
      const meeting = first.makeLocally(request);
      succeeded(first);
      return meeting;
    },

    async remove(meeting) {
      const provider = providers.find((p) => p.platform === meeting.platform);
      if (!provider) {
        log.warn({ provider: meeting.platform }, 'video meeting not deleted: its provider is not configured');
        return false;
      }
      const controller = new AbortController();
      try {
        await withTimeout(provider.remove(meeting, controller.signal), timeoutMs, controller);
        return true;
      } catch (error) {
        failed(provider, error, 'remove');
        return false;
      }
    },

    status() {
      return providers.map((p) => ({ ...statuses.get(p.platform)! }));
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new VideoProviderError('timeout', `no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
