// Video links for sessions. Providers sit behind one interface; Zoom and Google Meet come with the
// video-links issue, Jitsi Meet is the fallback that needs no credentials and never fails.
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
