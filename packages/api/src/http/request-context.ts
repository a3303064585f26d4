import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../context.ts';
import { readSessionCookie, sessionCookie } from './cookies.ts';
import type { HttpOptions } from './options.ts';
import { clientIp, isHttps } from './request.ts';

/**
 * The procedures' context for one HTTP request, the same for every transport
 * (lean REST, trpc-to-openapi, tRPC). Only what differs is passed in: how the
 * transport learns that the client went away, and what it does with a success
 * status or an extra header. Built as one object literal: it runs on every request.
 */
export function requestContext(
  req: IncomingMessage,
  res: { setHeader(name: string, value: string): unknown },
  options: HttpOptions,
  clientGone: () => AbortSignal,
  setStatus: Context['setStatus'],
  setHeader: Context['setHeader'],
): Context {
  return {
    core: options.core,
    clientIp: clientIp(req, options),
    limiters: options.limiters,
    token: readSessionCookie(req),
    userAgent: req.headers['user-agent'] ?? null,
    // match.status compares it with the state's tag (answers 304 when they are equal).
    ifNoneMatch: req.headers['if-none-match'] ?? null,
    clientGone,
    setSessionToken: (cookie) => res.setHeader('set-cookie', sessionCookie(cookie, isHttps(req, options))),
    setStatus,
    setHeader,
    logger: options.logger,
  };
}

/**
 * The context of the reads a page makes while Next renders it on the server
 * (apps/web/lib/page-data.ts): the page's own request, so the same cookie, address
 * and limits as its tRPC calls. A renewed cookie goes on the page's response while
 * its headers are not sent yet; nothing waits on the client going away.
 */
export function pageRequestContext(req: IncomingMessage, res: ServerResponse, options: HttpOptions): Context {
  return requestContext(
    req,
    { setHeader: (name, value) => (res.headersSent ? undefined : res.setHeader(name, value)) },
    options,
    () => new AbortController().signal,
    () => undefined,
    () => undefined,
  );
}
