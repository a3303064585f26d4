import type { IncomingMessage, ServerResponse } from 'node:http';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import type { TErrorBody } from '@portal/contracts';
import type { Context } from '../context.ts';
import { retryAfterOf, statusOf, toErrorBody } from '../errors.ts';
import { appRouter } from '../router.ts';
import type { HttpOptions } from './options.ts';
import { checkOrigin, readBody } from './request.ts';
import { requestContext } from './request-context.ts';
import { sendError } from './respond.ts';
import { describeFailure, jsonObjectOf, MALFORMED, MALFORMED_BODY_ERROR, parseObject } from './rest-body.ts';

type RestRequest = IncomingMessage & { body?: unknown; query?: Record<string, unknown[]> };

/**
 * REST at /v1/... through trpc-to-openapi's own Node adapter: the adapter Portal
 * served with until the lean one (rest.ts) replaced it. It stays for one purpose,
 * the differential test that replays the same requests against both and compares
 * every status, header and body (PORTAL_REST_ADAPTER=trpc-to-openapi selects it).
 * Around it: the transport checks (origin, 415, 413, JSON parsing), and error
 * bodies cut to `{error, message}` with the status of the one error table.
 */
export function createLegacyRestHandler(
  options: HttpOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const errors = new WeakMap<IncomingMessage, TErrorBody>();
  const statuses = new WeakMap<Context, number>();
  const extraHeaders = new WeakMap<Context, Record<string, string>>();
  const handler = createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: ({ req, res, info }): Context => {
      const ctx: Context = requestContext(
        req,
        res,
        options,
        () => info.signal,
        (code) => statuses.set(ctx, code),
        (name, value) => extraHeaders.set(ctx, { ...extraHeaders.get(ctx), [name.toLowerCase()]: value }),
      );
      return ctx;
    },
    responseMeta: ({ ctx, errors: failures }) => {
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      const failure = failures[0];
      if (failure) {
        const retryAfter = retryAfterOf(failure);
        if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
        return { status: statusOf(toErrorBody(failure)), headers };
      }
      // A procedure may replace Cache-Control on success (the public GET /interests/popular); errors are never stored.
      const extra = ctx && extraHeaders.get(ctx);
      return { status: (ctx && statuses.get(ctx)) ?? 200, headers: extra ? { ...headers, ...extra } : headers };
    },
    onError: ({ error, req }) => {
      const body =
        (req as RestRequest).body === MALFORMED && error.code === 'BAD_REQUEST'
          ? MALFORMED_BODY_ERROR
          : toErrorBody(error);
      errors.set(req, body);
      if (body.error === 'ERR_INTERNAL')
        options.logger.error('request failed', { url: req.url, err: describeFailure(error) });
    },
  });

  return async (req, res) => {
    try {
      checkOrigin(req, options);
      await attachBody(req, options.maxBodyBytes);
    } catch (error) {
      sendError(res, toErrorBody(error));
      return;
    }
    const end = res.end.bind(res);
    // trpc-to-openapi writes `{...shape, message, code, issues}`; SPEC §6 wants exactly `{error, message}`.
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      const body = errors.get(req);
      if (body) return end(JSON.stringify(body));
      if (res.statusCode === 204 || res.statusCode === 304) {
        res.removeHeader('content-type');
        res.removeHeader('content-length');
        return end();
      }
      return end(chunk as string, ...(rest as []));
    }) as typeof res.end;
    await handler(req, res);
  };
}

async function attachBody(req: RestRequest, limit: number): Promise<void> {
  const text = await readBody(req, limit);
  if (req.method === 'DELETE' && text.trim() !== '') {
    // trpc-to-openapi reads a DELETE's input from the query string only; DELETE
    // /account takes `{ "password" }` as a JSON body (a password never goes in a URL).
    // The body becomes the input, a value per field as the adapter expects; with a
    // query string as well, the request is ambiguous: 400 after authentication.
    const usable = req.url?.includes('?') ? MALFORMED : parseObject(text);
    req.query = Object.fromEntries(Object.entries(usable).map(([key, value]) => [key, [value]]));
    return;
  }
  if (req.method === 'GET' || req.method === 'DELETE' || req.method === 'HEAD') return;
  // trpc-to-openapi reads `req.body` when present and insists on a JSON content type,
  // even for a POST that carries nothing: an empty body is `{}`.
  req.headers['content-type'] = 'application/json';
  req.body = jsonObjectOf(text);
}
