// Prometheus metrics at /metrics: request counts and latencies per route, outbox backlog.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Deps } from '../deps.ts';
import { outboxRepository } from '../repositories/outbox.repository.ts';
import { jobRuns } from '../commands/run-job.ts';
import { SERVICE } from '../domain/access.ts';

export function registerMetrics(app: FastifyInstance, deps: Deps): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'outbox_messages',
    help: 'Outbox rows by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await outboxRepository.countByStatus(deps.db);
      this.reset();
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });

  new Gauge({
    name: 'job_runs_total',
    help: 'Runs of each job by outcome (from job_runs, all instances)',
    labelNames: ['job', 'result'],
    registers: [registry],
    async collect() {
      const rows = await jobRuns(deps, SERVICE);
      this.reset();
      for (const row of rows) {
        this.set({ job: row.name, result: 'ok' }, row.runs - row.failures);
        this.set({ job: row.name, result: 'failed' }, row.failures);
      }
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      config: { access: 'service' },
      // A text answer: Fastify sends a string with a non-JSON type as it is; the schema documents it.
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics: requests per route, outbox backlog, jobs',
        response: { 200: Type.String({ description: 'Prometheus text format' }) },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}
