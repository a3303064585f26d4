import type { Core, Logger } from '@portal/core';
import type { Limiters } from '../rate-limit.ts';
import type { TrustProxy } from './proxy.ts';

export interface HttpOptions {
  core: Core;
  logger: Logger;
  /** Origins allowed on state-changing requests; empty means "the request's own origin". */
  allowedOrigins: string[];
  /** Which reverse proxies' X-Forwarded-For / -Proto / -Host are believed (PORTAL_TRUST_PROXY). */
  trustProxy: TrustProxy;
  /** Largest accepted request body (SPEC: 16 KiB). */
  maxBodyBytes: number;
  limiters: Limiters;
}
