// The video providers in the order they are asked: Zoom (when configured), Google Meet (when
// configured), then Jitsi Meet, each within VIDEO_TIMEOUT_MS.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Clock } from '../domain/clock.ts';
import { createGoogleMeetProvider, googleSettings } from './google-meet.ts';
import { createJitsiProvider, firstAvailable, type VideoLinks, type VideoProvider } from './video.ts';
import { createZoomProvider, zoomSettings, type ZoomHostCalendar } from './zoom.ts';

export function createVideoLinks(
  config: Config,
  parts: { calendar: ZoomHostCalendar; log: Logger; clock: Clock },
): VideoLinks {
  const providers: VideoProvider[] = [];
  const zoom = zoomSettings(config.zoom);
  if (zoom) providers.push(createZoomProvider(zoom, parts.calendar));
  const google = googleSettings(config.google);
  if (google) providers.push(createGoogleMeetProvider(google));
  providers.push(createJitsiProvider(config.jitsi));
  return firstAvailable(providers, { timeoutMs: config.videoTimeoutMs, log: parts.log, clock: parts.clock });
}
