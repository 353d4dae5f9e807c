import { describe, expect, it } from 'vitest';
import { firstAvailable, type VideoLinks } from './video.ts';

const request = { startAt: new Date('2026-12-10T10:00:00Z'), durationMinutes: 60 };
const fixed = (link: string): VideoLinks => ({
  create: async () => ({ link, platform: 'jitsi', meetingId: link }),
});

describe('firstAvailable', () => {
  it('falls through a failing provider and one that does not answer in time', async () => {
    const failing: VideoLinks = { create: async () => Promise.reject(new Error('down')) };
    const silent: VideoLinks = { create: () => new Promise(() => {}) };
    const chain = firstAvailable([failing, silent, fixed('https://meet.example/a')], 50);
    expect((await chain.create(request)).link).toBe('https://meet.example/a');
  });

  it('uses the first provider that answers', async () => {
    const chain = firstAvailable([fixed('https://zoom.example/1'), fixed('https://meet.example/2')], 50);
    expect((await chain.create(request)).link).toBe('https://zoom.example/1');
  });
});
