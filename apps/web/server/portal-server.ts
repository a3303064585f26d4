import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  appRouter,
  attachSocketServer,
  buildOpenApiDocument,
  createLimiters,
  createMetricsHandler,
  createLegacyRestHandler,
  createRestHandler,
  createTrpcHandler,
  pageRequestContext,
  sendError,
  setSecurityHeaders,
  toErrorBody,
  TRPC_BASE_PATH,
  UNLIMITED,
} from '@portal/api';
import {
  createCore,
  createLocalBus,
  createLogger,
  createNatsBus,
  createPostgresBus,
  createSplitBus,
  startPurger,
  startMatchmaker,
  startReaper,
  type Core,
  type EventBus,
  type Logger,
} from '@portal/core';
import { migrateDatabase, openDatabase, pgClientConfig } from '@portal/db';
import { createPageCompression, precompressedAssets, staticBody } from './compress.ts';
import { applyPagePolicy } from './csp.ts';
import { applyPageConfig } from './page-config.ts';
import { lendPageServices } from './page-services.ts';
import { allowedOrigins, databaseOptions, rateLimits, coreConfig, type TEnv } from './env.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface Pages {
  handle: Handler;
  close(): Promise<void>;
  /** Next's `.next/static`: its precompressed files (scripts/precompress.ts) are sent from here. */
  staticDir?: string;
}

export interface PortalServer {
  server: Server;
  core: Core;
  logger: Logger;
  url: string;
  /**
   * SIGTERM (SPEC §12): health answers 503 `draining` at once and every answer closes
   * its connection; requests are still served for `windowMs`, while the balancer
   * takes the instance out; then `close()`.
   */
  drain(windowMs: number): Promise<void>;
  /**
   * Stops taking connections, answers the held status requests, closes the sockets
   * with 1012 (clients reconnect elsewhere and catch up), lets the requests in flight
   * finish (SHUTDOWN_GRACE_SECONDS at most), then closes the bus and the database.
   */
  close(): Promise<void>;
}

export interface PortalServerOptions {
  env: TEnv;
  /** Migrations folder per provider (the bundled server is not where the sources are). */
  migrationsDir?: (provider: 'sqlite' | 'postgresql') => string;
  /** Serves everything that is not API: the Next.js app. */
  pages?: Pages;
}

/**
 * One process, one port: REST at /v1, tRPC at /api/trpc, the web app for the
 * rest. The API never passes through Next's router (it costs ~1.2 ms a request).
 */
export async function startPortalServer(options: PortalServerOptions): Promise<PortalServer> {
  const { env } = options;
  const logger = createLogger(env.LOG_LEVEL);
  const provider = env.DATABASE_URL.startsWith('file:') ? 'sqlite' : 'postgresql';
  if (env.PORTAL_BUS_URL && provider === 'sqlite') {
    throw new Error('PORTAL_BUS_URL needs PostgreSQL: on SQLite there is one instance, and its bus is in process');
  }
  const applied = await migrateDatabase(env.DATABASE_URL, { migrationsDir: options.migrationsDir?.(provider) });
  if (applied.length > 0) logger.info('migrations applied', { provider, applied });
  const dbOptions = databaseOptions(env);
  const db = await openDatabase(env.DATABASE_URL, dbOptions);
  let bus: EventBus = createLocalBus();
  if (db.provider === 'postgresql') {
    // Several instances may share this database: socket events cross them through LISTEN/NOTIFY,
    // or through NATS beside it (docs/architecture.md, "The event bus").
    bus = await createPostgresBus({
      connection: pgClientConfig(env.DATABASE_URL, dbOptions),
      pool: db.pool,
      loadMessage: (id) => core.chats.loadMessage(id), // only called once events flow, after `core` exists
      onError: (error) => logger.warn('event bus', { err: String(error) }),
      onListening: (listening) =>
        listening ? logger.info('event bus listening again') : logger.warn('event bus lost its connection'),
    });
    if (env.PORTAL_BUS_URL) {
      const fanOut = await createNatsBus({
        url: env.PORTAL_BUS_URL,
        subject: env.PORTAL_BUS_SUBJECT,
        onError: (error) => logger.warn('event bus (NATS)', { err: String(error) }),
        onListening: (listening) =>
          listening
            ? logger.info('event bus (NATS) listening again')
            : logger.warn('event bus (NATS) lost its connection'),
      });
      bus = createSplitBus(fanOut, bus);
    }
  }
  const core = createCore(db, {
    bus,
    config: coreConfig(env),
    onBackgroundError: (error) => logger.warn('background write failed', { err: String(error) }),
  });
  const http = {
    core,
    logger,
    allowedOrigins: allowedOrigins(env),
    trustProxy: env.PORTAL_TRUST_PROXY,
    maxBodyBytes: 16 * 1024,
    limiters:
      env.PORTAL_RATE_LIMITS === 'off'
        ? UNLIMITED
        : createLimiters(
            rateLimits(env),
            db.provider === 'postgresql' ? { kind: 'postgres', pool: db.pool } : { kind: 'memory' },
          ),
  };
  if (env.PORTAL_RATE_LIMITS === 'off') {
    logger.warn('PORTAL_RATE_LIMITS=off: every rate limit is off. Use this for load tests only.');
  }
  const rest = env.PORTAL_REST_ADAPTER === 'lean' ? createRestHandler(http) : createLegacyRestHandler(http);
  const trpc = createTrpcHandler(http);
  const metrics = createMetricsHandler(http, env.METRICS_TOKEN);
  // Compressed once, here: consumers fetch the document to generate clients (about 120 KB, 12 KB in brotli).
  const openapi = staticBody(JSON.stringify(buildOpenApiDocument()));
  const compressPages = createPageCompression();
  const sendAsset = options.pages?.staticDir ? await precompressedAssets(options.pages.staticDir) : () => false;
  // The pages render their first data on the server (lib/page-data.ts) through this Core, with the page's cookie.
  const pageRequest = lendPageServices({
    router: appRouter,
    context: (req, res) => pageRequestContext(req, res, http),
  });
  const stopReaper = startReaper(core, env.REAPER_INTERVAL_SECONDS * 1000, (error) =>
    logger.error('reaper failed', { err: String(error) }),
  );
  const stopMatchmaker = startMatchmaker(core, (error) => logger.error('matchmaker failed', { err: String(error) }));
  const stopPurger = startPurger(
    core,
    env.PURGE_INTERVAL_MINUTES * 60_000,
    (result) => logger.info('retention purge', { ...result }),
    (error) => logger.error('retention purge failed', { err: String(error) }),
  );

  const route = (req: IncomingMessage, res: ServerResponse): Promise<void> | void => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0]!;
    setSecurityHeaders(req, res, http);
    if (path.startsWith('/v1/')) {
      if (path === '/v1/openapi.json' && req.method === 'GET') {
        openapi.send(req, res, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
        return;
      }
      if (path === '/v1/portal/metrics' && req.method === 'GET') return metrics(req, res);
      return rest(req, res);
    }
    if (path.startsWith(TRPC_BASE_PATH)) return trpc(req, res);
    if (options.pages) {
      if (path.startsWith('/_next/static/') && sendAsset(req, res)) return;
      applyPagePolicy(req, res);
      applyPageConfig(req, { fallbackSeconds: env.MATCH_FALLBACK_SECONDS });
      const pages = options.pages;
      // The middleware calls back at once; the page's promise goes on to the catch below.
      let handled: Promise<void> | void = undefined;
      compressPages(req, res, () => {
        handled = pageRequest(req, res, () => pages.handle(req, res));
      });
      return handled;
    }
    sendError(res, { error: 'ERR_NOT_FOUND', message: 'No such resource.' });
  };

  // Every request at debug, failures at warn; the logger redacts tokens from the URL.
  const logRequests = logger.enabled?.('debug') ?? false;
  const server = createServer((req, res) => {
    const started = performance.now();
    // Draining: the balancer gets no idle connection to this instance back to reuse.
    if (core.draining) res.setHeader('connection', 'close');
    res.on('finish', () => {
      if (res.statusCode >= 500 || logRequests) {
        logger[res.statusCode >= 500 ? 'warn' : 'debug']('request', {
          method: req.method,
          url: req.url,
          status: res.statusCode,
          ms: performance.now() - started,
        });
      }
    });
    Promise.resolve()
      .then(() => route(req, res))
      .catch((error: unknown) => {
        logger.error('unhandled request error', {
          url: req.url,
          err: error instanceof Error ? error.stack : String(error),
        });
        if (!res.headersSent) sendError(res, toErrorBody(error));
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 65_000;
  const sockets = attachSocketServer(server, {
    ...http,
    pingIntervalMs: env.SOCKET_PING_SECONDS * 1000,
    maxPerSession: env.SOCKET_MAX_PER_SESSION,
    maxPerIp: env.SOCKET_MAX_PER_IP,
    sendQueueBytes: env.SOCKET_SEND_QUEUE_KB * 1024,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${address.port}`;
  logger.info('listening', { url, provider, pages: Boolean(options.pages) });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      core.drain();
      stopReaper();
      stopMatchmaker();
      stopPurger();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Held status requests (SPEC §9) answer now, or the drain below would wait up to their `wait`.
      core.matching.closeWatches();
      await sockets.close();
      const grace = setTimeout(() => server.closeAllConnections(), env.SHUTDOWN_GRACE_SECONDS * 1000);
      await drained;
      clearTimeout(grace);
      await options.pages?.close();
      // The last second of "Popular now" searches and matches.
      await core.popular
        .flush()
        .catch((error: unknown) => logger.warn('background write failed', { err: String(error) }));
      await bus.close();
      await db.close();
      logger.info('stopped');
    })());

  let draining: Promise<void> | undefined;
  const drain = (windowMs: number) =>
    (draining ??= (async () => {
      core.drain();
      logger.info('draining', { seconds: windowMs / 1000 });
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      await close();
    })());

  return { server, core, logger, url, drain, close };
}
