import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { MAX_TRPC_BATCH } from '@portal/contracts';
import type { Context } from '../context.ts';
import { retryAfterOf, toErrorBody } from '../errors.ts';
import { appRouter } from '../router.ts';
import type { HttpOptions } from './options.ts';
import { checkOrigin } from './request.ts';
import { requestContext } from './request-context.ts';
import { sendError } from './respond.ts';

export const TRPC_BASE_PATH = '/api/trpc/';

/** tRPC's own protocol at /api/trpc, for the web app; errors carry `data.appCode`. */
export function createTrpcHandler(options: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const handler = createHTTPHandler({
    router: appRouter,
    basePath: TRPC_BASE_PATH,
    maxBodySize: options.maxBodyBytes,
    // A larger batch is 400 as a whole: tRPC checks the count before running any call.
    maxBatchSize: MAX_TRPC_BATCH,
    createContext: ({ req, res, info }): Context =>
      requestContext(
        req,
        res,
        options,
        // tRPC's adapter makes a fetch Request, and so its signal, for every request anyway.
        () => info.signal,
        // tRPC ignores a success status; a batch answers several calls at once, so one call's header would apply to all.
        () => undefined,
        () => undefined,
      ),
    // Rate limits and an unreachable database tell the client when to try again.
    responseMeta: ({ errors }) => {
      const waits = errors.map(retryAfterOf).filter((s): s is number => s !== undefined);
      return waits.length > 0 ? { headers: { 'retry-after': String(Math.max(...waits)) } } : {};
    },
    onError: ({ error, path }) => {
      if (toErrorBody(error).error === 'ERR_INTERNAL') {
        options.logger.error('trpc call failed', { path, err: error.cause?.message ?? error.message });
      }
    },
  });
  return (req, res) => {
    try {
      checkOrigin(req, options);
    } catch (error) {
      sendError(res, toErrorBody(error));
      return;
    }
    // Every answer here depends on the session (or sets one): never stored by a cache.
    res.setHeader('cache-control', 'no-store');
    handler(req, res);
  };
}
