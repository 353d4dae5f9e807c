// GET /admin/video: the video providers — configured or not, the order they are asked in, and how each
// last went on this instance. No credentials and no Zoom host names.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { videoStatus } from '../../../commands/video-status.ts';
import { PLATFORMS } from '../../../integrations/video.ts';
import { Enum, Iso, Nullable } from '../../schemas.ts';

const ProviderView = Type.Object({
  platform: Enum(PLATFORMS),
  configured: Type.Boolean(),
  order: Nullable(Type.Integer({ description: '1 for the provider asked first' })),
  last_success_at: Nullable(Iso),
  last_error: Nullable(
    Type.Object({
      code: Type.String({ description: 'timeout, unauthorized, rate_limited, server_error, bad_answer, …' }),
      message: Type.String(),
      at: Iso,
    }),
  ),
});

export async function videoRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = app;

  app.get(
    '/admin/video',
    {
      schema: {
        summary: 'Video providers: configured, order, last success and last error (this instance)',
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            timeout_ms: Type.Integer({ description: 'how long each provider may take' }),
            zoom_hosts: Type.Integer({ description: 'how many Zoom users take meetings' }),
            providers: Type.Array(ProviderView, { maxItems: 3 }),
          }),
        },
      },
    },
    async (request) => {
      const status = videoStatus(deps, request.actor);
      return {
        success: true as const,
        timeout_ms: status.timeoutMs,
        zoom_hosts: status.zoomHosts,
        providers: status.providers.map((p) => ({
          platform: p.platform,
          configured: p.configured,
          order: p.order,
          last_success_at: p.lastSuccessAt?.toISOString() ?? null,
          last_error: p.lastError
            ? { code: p.lastError.code, message: p.lastError.message, at: p.lastError.at.toISOString() }
            : null,
        })),
      };
    },
  );
}
