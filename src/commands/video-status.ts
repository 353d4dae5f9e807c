// GET /admin/video: which video providers are configured, in what order they are asked, and how each
// last went (this instance's view since its start). Nothing secret: no credentials, no host names.
import type { Deps } from '../deps.ts';
import { requireService, type Actor } from '../domain/access.ts';
import { PLATFORMS, type Platform, type ProviderStatus } from '../integrations/video.ts';

export interface VideoProviderView {
  platform: Platform;
  configured: boolean;
  /** 1 for the provider asked first; null when not configured. */
  order: number | null;
  lastSuccessAt: Date | null;
  lastError: ProviderStatus['lastError'];
}

export function videoStatus(
  deps: Deps,
  actor: Actor,
): { timeoutMs: number; zoomHosts: number; providers: VideoProviderView[] } {
  requireService(actor);
  const chain = deps.video.status();
  const providers = PLATFORMS.map((platform) => {
    const index = chain.findIndex((p) => p.platform === platform);
    const status = chain[index];
    return {
      platform,
      configured: status !== undefined,
      order: status ? index + 1 : null,
      lastSuccessAt: status?.lastSuccessAt ?? null,
      lastError: status?.lastError ?? null,
    };
  });
  const zoom = providers.find((p) => p.platform === 'zoom');
  return {
    timeoutMs: deps.config.videoTimeoutMs,
    zoomHosts: zoom?.configured ? deps.config.zoom.hosts.length : 0,
    providers,
  };
}
