// The operator API (spec/admin-api.md), one file per resource. Every route in it needs the service key:
// the one hook below says so for all of them, so a route added here cannot forget it (and the actions
// behind the routes check it again themselves).
import type { FastifyInstance } from 'fastify';
import { clientRoutes } from './clients.ts';
import { outboxRoutes } from './outbox.ts';
import { psychologistRoutes } from './psychologists.ts';
import { sessionRoutes } from './sessions.ts';
import { slotRoutes } from './slots.ts';
import { ticketRoutes } from './tickets.ts';
import { jobRoutes } from './jobs.ts';
import { videoRoutes } from './video.ts';
import { calendarAdminRoutes } from './calendar.ts';
import { surveyAdminRoutes } from './surveys.ts';

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'service' };
    route.schema = { tags: ['admin'], security: [{ apiKey: [] }, { bearer: [] }], ...route.schema };
  });
  await app.register(psychologistRoutes);
  await app.register(slotRoutes);
  await app.register(ticketRoutes);
  await app.register(sessionRoutes);
  await app.register(clientRoutes);
  await app.register(outboxRoutes);
  await app.register(jobRoutes);
  await app.register(videoRoutes);
  await app.register(calendarAdminRoutes);
  await app.register(surveyAdminRoutes);
}
