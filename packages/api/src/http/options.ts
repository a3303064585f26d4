import type { Core, Logger } from '@portal/core';
import type { Limiters } from '../rate-limit.ts';

export interface HttpOptions {
  core: Core;
  logger: Logger;
  /** Origins allowed on state-changing requests; empty means "the request's own origin". */
  allowedOrigins: string[];
  /** Honour X-Forwarded-Proto / X-Forwarded-Host from a reverse proxy. */
  trustProxy: boolean;
  /** Largest accepted request body (SPEC: 16 KiB). */
  maxBodyBytes: number;
  limiters: Limiters;
}
