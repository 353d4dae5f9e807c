// Builds the Fastify application from a context (no listen): the server and the tests use this.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmetHeaders from 'helmet';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyHttpOptions,
  type RouteOptions,
} from 'fastify';
import qs from 'qs';
import type { Deps } from './deps.ts';
import { registerAuth } from './http/auth.ts';
import { BODY_LIMIT, canonicalUrl, dropEmpty, pathOnly, unstorableField } from './http/conventions.ts';
import { AppError, badRequest } from './errors.ts';
import { clientErrorHandler, errorBody, registerErrorHandling } from './http/errors.ts';
import { registerMetrics } from './http/metrics.ts';
import { decimalDigitsKeyword, RateLimitStore, rateLimited } from './http/schemas.ts';
import { adminRoutes } from './http/routes/admin/index.ts';
import { adminReportRoutes } from './http/routes/admin-reports.ts';
import { applicationRoutes } from './http/routes/applications.ts';
import { eventRoutes } from './http/routes/events.ts';
import { feedbackRoutes } from './http/routes/feedback.ts';
import { sessionRoutes } from './http/routes/sessions.ts';
import { systemRoutes } from './http/routes/system.ts';
import { profileRoutes } from './http/routes/profile.ts';
import { communicationRoutes } from './http/routes/communication.ts';
import { followupRoutes } from './http/routes/followups.ts';
import { reassignmentRoutes } from './http/routes/reassignment.ts';
import { telegramRoutes } from './http/routes/telegram.ts';
import { helpHandRoutes } from './http/routes/help-hand.ts';
import { webFormRoutes } from './http/routes/web-forms.ts';
import { videoRoutes } from './http/routes/video.ts';
import { calendarRoutes } from './http/routes/calendar.ts';
import { surveyRoutes } from './http/routes/surveys.ts';
import type { HraniteliBot } from './telegram/bot.ts';

declare module 'fastify' {
  interface FastifyInstance {
    deps: Deps;
    /** Every API route as "METHOD /path" (the inventory the OpenAPI document must cover). */
    apiRoutes: string[];
    /** Every route with its options as registered (tests check that each declares its answers). */
    registeredRoutes: RouteOptions[];
  }
  interface FastifyContextConfig {
    /** The route's Cache-Control when its answers may be kept (a public listing); else no-store. */
    cacheControl?: string;
  }
}

export interface AppParts {
  /** The Telegram bot; its webhook route is served when TELEGRAM_WEBHOOK_SECRET is set. */
  bot?: HraniteliBot | null;
}

/** A caller's request id that is kept: a short token such as a UUID or a proxy's trace id. */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The security headers of every answer. No content policy: the API answers JSON, and the docs page runs scripts. */
const HEADERS = {
  contentSecurityPolicy: false,
  crossOriginResourcePolicy: { policy: 'cross-origin' as const },
};
/** Sets them on an answer that no hook sees (the router's own errors). */
const setSecurityHeaders = helmetHeaders(HEADERS);

export async function buildApp(deps: Deps, parts: AppParts = {}): Promise<FastifyInstance> {
  // A body trickled a byte every few seconds never trips an idle timeout; only a deadline for the whole
  // request stops it (connectionTimeout, an idle timeout, would also cut slow answers, so it stays off).
  // Node looks for expired requests only every connectionsCheckingInterval (30 s by default): checking
  // every second and taking that second off the deadline cuts such a request within REQUEST_TIMEOUT_MS.
  const checkEvery = Math.min(1000, Math.floor(deps.config.requestTimeoutMs / 4));
  const requestTimeout = deps.config.requestTimeoutMs - checkEvery;
  const options: FastifyHttpOptions<Server> = {
    loggerInstance: deps.log,
    bodyLimit: BODY_LIMIT,
    requestTimeout,
    http: { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: checkEvery },
    clientErrorHandler,
    // Fastify takes a hop count too, though its type omits it.
    trustProxy: (deps.config.trustProxy ?? false) as boolean,
    // The caller's X-Request-Id goes into every log line and back in the answer, so only a short token is
    // taken as it is: anything else (a phone number, a name, a line break) could put personal data in the
    // logs or forge log text, and gets an id of ours instead.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Fastify's own request lines would print the query string; ours (below) print the path only.
    logController: new LogController({ disableRequestLogging: true }),
    rewriteUrl: (req) => canonicalUrl(req.url ?? '/'),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors the router raises before any route runs (a malformed URL, an over-long path parameter).
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode === 414 ? 414 : 400;
      setSecurityHeaders(request.raw, reply.raw, () => {});
      void (reply as FastifyReply)
        .status(status)
        .send(errorBody(status, 'bad_url', error.message, [{ field: '(url)', message: error.message }]));
    },
    ajv: {
      customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: true },
      plugins: [decimalDigitsKeyword],
    },
  };
  const app = Fastify(options);
  app.decorate('deps', deps);
  app.decorate('apiRoutes', [] as string[]);
  app.decorate('registeredRoutes', [] as RouteOptions[]);
  app.addHook('onRoute', (route) => {
    app.registeredRoutes.push(route);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.url.startsWith('/docs') || route.url === '*') return;
    for (const method of methods)
      if (method !== 'HEAD' && method !== 'OPTIONS') app.apiRoutes.push(`${method} ${route.url}`);
  });
  /** "METHOD /path" of the public routes: the preflights that CORS answers without CORS_ORIGINS. */
  const publicRoutes = new Set<string>();
  /** The same for routes with path parameters (/convert-schedule-timezone/:offset), as patterns. */
  const publicPatterns: RegExp[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.access !== 'public') return;
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      publicRoutes.add(`${method} ${route.url}`);
      if (route.url.includes(':'))
        publicPatterns.push(new RegExp(`^${method} ${route.url.replace(/:[^/]+/g, '[^/]+')}$`));
    }
  });

  // Request log lines carry the path only: query strings hold usernames and contacts.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        path: pathOnly(request.url),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Every answer is no-store unless its route says it may be kept: nearly all of them can carry personal
    // data (names, contacts, request texts, tokens), errors included, and a wrong rule for one route would
    // leave them in browser and proxy caches. A route opts out with config.cacheControl, for a public
    // listing with nothing personal in it; a header set by the handler (the docs' files) is kept.
    if (!reply.hasHeader('cache-control'))
      reply.header('cache-control', request.routeOptions.config?.cacheControl ?? 'no-store');
  });

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_request, body, done) => {
      try {
        done(null, qs.parse(body as string, { depth: 5, arrayLimit: 200, parameterLimit: 2000 }));
      } catch {
        done(new AppError('validation_error', 'the form body could not be read'), undefined);
      }
    },
  );
  app.addHook('preValidation', async (request) => {
    dropEmpty(request.body);
    dropEmpty(request.query);
    for (const part of [request.params, request.query, request.body]) {
      const bad = unstorableField(part);
      if (bad) throw badRequest(bad.field, bad.problem);
    }
  });
  // After coercion: "Infinity" in a numeric field becomes a number that skipped its range checks.
  app.addHook('preHandler', async (request) => {
    for (const part of [request.query, request.body]) {
      const bad = unstorableField(part, Number.MAX_SAFE_INTEGER);
      if (bad) throw badRequest(bad.field, bad.problem);
    }
  });

  registerErrorHandling(app);
  await app.register(helmet, HEADERS);
  const corsOptions = {
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Api-Key', 'Idempotency-Key', 'X-Request-Id'],
    maxAge: 600,
  };
  // Without CORS_ORIGINS (development; production requires it) any origin may call the public routes and
  // no origin the others: a page elsewhere has no business driving the admin API from a browser. A
  // preflight is the OPTIONS catch-all route, so the route it asks about is looked up by method and path.
  const allowsAnyOrigin = (request: FastifyRequest): boolean => {
    if (request.method !== 'OPTIONS') return request.routeOptions.config?.access === 'public';
    const method = String(request.headers['access-control-request-method'] ?? '').toUpperCase();
    const path = pathOnly(request.url).replace(/(.)\/+$/, '$1');
    const key = `${method} ${path}`;
    return publicRoutes.has(key) || publicPatterns.some((pattern) => pattern.test(key));
  };
  await app.register(cors, {
    delegator: (request, callback) =>
      callback(null, {
        ...corsOptions,
        origin: deps.config.corsOrigins ?? (allowsAnyOrigin(request) ? '*' : false),
      }),
  });
  // Client routes are limited per token without each route saying so (30 ratings by one token were 30
  // messages to the operators); a route that names its own limit keeps it. Runs before the rate-limit
  // plugin's onRoute hook, which reads this setting.
  app.addHook('onRoute', (route) => {
    if (route.config?.access === 'client' && route.config.rateLimit === undefined)
      Object.assign(route.config, rateLimited(app, 'client'));
  });
  await app.register(rateLimit, {
    global: false,
    store: RateLimitStore,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `too many requests, try again in ${Math.ceil(context.ttl / 1000)} s`, [], {
        'retry-after': String(Math.ceil(context.ttl / 1000)),
      }),
  });
  registerAuth(app, { apiKey: deps.apiKey, tokens: deps.tokens, now: () => deps.clock.now() });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Hraniteli API',
        version: '1.0.0',
        description:
          'Every path also answers under /webhook and with a -test-contur suffix. Client endpoints take ' +
          '`Authorization: Bearer <client token or API key>`; service endpoints the API key.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Routes registered from here on are in the OpenAPI document (swagger collects them as they come).
  registerMetrics(app, deps);

  await app.register(systemRoutes);
  await app.register(adminRoutes);
  await app.register(adminReportRoutes);
  await app.register(sessionRoutes);
  await app.register(applicationRoutes);
  await app.register(feedbackRoutes);
  await app.register(eventRoutes);
  await app.register(profileRoutes);
  await app.register(communicationRoutes);
  await app.register(followupRoutes);
  await app.register(reassignmentRoutes);
  await app.register(webFormRoutes);
  await app.register(helpHandRoutes);
  await app.register(videoRoutes);
  await app.register(surveyRoutes);
  await app.register(calendarRoutes);
  const webhookSecret = deps.config.telegram.webhookSecret;
  if (parts.bot && webhookSecret) await app.register(telegramRoutes(parts.bot, webhookSecret));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
