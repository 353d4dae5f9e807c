import { describe, expect, it } from 'vitest';
import { createCallbackCodec, SESSION_ACTIONS, sessionButtons } from './callback-data.ts';

const codec = createCallbackCodec('secret-one');
const sessionId = '7d0c4c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f';

describe('callback data codec', () => {
  it('unpacks what it packed, within Telegram’s 64 bytes, for every action', () => {
    for (const action of SESSION_ACTIONS) {
      const data = codec.pack({ action, sessionId });
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(codec.unpack(data)).toEqual({ action, sessionId });
    }
  });

  it('refuses forged, altered and foreign data', () => {
    const data = codec.pack({ action: 'confirm', sessionId });
    expect(codec.unpack(data.replace('confirm', 'cancel'))).toBeNull();
    expect(codec.unpack(`confirm:${sessionId}`)).toBeNull();
    expect(codec.unpack(`${data}:extra`)).toBeNull();
    expect(createCallbackCodec('another-secret').unpack(data)).toBeNull();
    expect(codec.unpack('confirm:not-a-uuid:AAAAAAAAAAAAAAAA')).toBeNull();
  });

  it('packs every session button with the codec', () => {
    const actions = sessionButtons(codec, sessionId)
      .flat()
      .map((button) => codec.unpack(button.callback_data)?.action);
    expect(actions).toEqual(['confirm', 'reschedule', 'cancel']);
  });
});
