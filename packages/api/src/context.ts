import type { Core, Logger } from '@portal/core';
import type { Limiters } from './rate-limit.ts';

/** What every procedure sees. Transports build it; tests build it by hand for createCaller. */
export interface Context {
  core: Core;
  /** Where the request came from (rate limits key on it before there is a session). */
  clientIp: string;
  limiters: Limiters;
  /** The psession cookie's value, if any. */
  token: string | null;
  /** The request's User-Agent, kept with a session it creates (the sessions list shows it). */
  userAgent?: string | null;
  /**
   * Sets the psession cookie on the response (the REST and tRPC adapters write the
   * header) with this Max-Age, what is left of the session; null clears it.
   */
  setSessionToken(cookie: { token: string; maxAgeSeconds: number } | null): void;
  /** A success status other than 200 for REST (e.g. 201 Created); tRPC ignores it. */
  setStatus(status: number): void;
  /** A response header for REST (e.g. Content-Disposition on the export); tRPC ignores it. */
  setHeader(name: string, value: string): void;
  /** The request's If-None-Match header (GET /match/status answers 304 when it is the state's ETag). */
  ifNoneMatch?: string | null;
  /**
   * A signal aborted when the client goes away: a held status request stops waiting.
   * Made on the first call, so only held requests pay for an AbortController.
   */
  clientGone?: () => AbortSignal;
  /** Where security events go (failed logins, refusals, moderator actions); the transports set it. */
  logger?: Logger;
}
