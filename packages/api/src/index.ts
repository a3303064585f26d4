export { appRouter, createCaller, type AppRouter } from './router.ts';
export type { Context } from './context.ts';
export { toErrorBody } from './errors.ts';
export { buildOpenApiDocument } from './openapi.ts';
export { createRestHandler } from './http/rest.ts';
export { createLegacyRestHandler } from './http/rest-legacy.ts';
export { createTrpcHandler, TRPC_BASE_PATH } from './http/trpc.ts';
export { pageRequestContext } from './http/request-context.ts';
export { sendError } from './http/respond.ts';
export { setSecurityHeaders } from './http/headers.ts';
export { createMetricsHandler } from './http/metrics.ts';
export { parseTrustProxy, peerOf, TRUST_NONE, type Peer, type TrustProxy } from './http/proxy.ts';
export { logEvent, type SecurityEvent } from './events.ts';
export type { HttpOptions } from './http/options.ts';
export {
  createLimiters,
  ipKey,
  UNLIMITED,
  type Limiters,
  type LimitStore,
  type RateLimits,
  type Rule,
} from './rate-limit.ts';
export { attachSocketServer, type SocketOptions } from './socket/server.ts';
