import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import {
  coerceSchema,
  forEachOpenApiProcedure,
  getInputOutputParsers,
  getPathRegExp,
  instanceofZodTypeKind,
  instanceofZodTypeLikeVoid,
  instanceofZodTypeObject,
  instanceofZodTypeOptional,
  normalizePath,
  unwrapZodType,
  type OpenApiProcedureRecord,
} from 'trpc-to-openapi';
import type { Context } from '../context.ts';
import { retryAfterOf, statusOf, toErrorBody } from '../errors.ts';
import { appRouter } from '../router.ts';
import type { HttpOptions } from './options.ts';
import { checkOrigin, readBody } from './request.ts';
import { requestContext } from './request-context.ts';
import { sendError } from './respond.ts';
import { describeFailure, jsonObjectOf, MALFORMED, MALFORMED_BODY_ERROR, parseObject } from './rest-body.ts';

/** How tRPC's server-side caller calls a procedure (middlewares, input and output parsers included). */
type CallProcedure = (call: {
  ctx: Context;
  path: string;
  type: 'query' | 'mutation';
  getRawInput: () => Promise<unknown>;
  signal: undefined;
  batchIndex: number;
}) => Promise<unknown>;

/** One REST operation: the procedure behind a method and path of the OpenAPI document. */
interface Route {
  pattern: RegExp;
  procedure: CallProcedure;
  /** The procedure's dotted path (`match.status`), as tRPC's caller would name it. */
  path: string;
  type: 'query' | 'mutation';
  /** False when the input schema is void-like: the procedure is called without input. */
  takesInput: boolean;
  /** Fields whose schema is an array: in a query string, one value becomes a one-element array. */
  arrayFields: readonly string[];
}

interface Routes {
  /** Every route of a method, in the router's order: the first whose pattern matches wins. */
  ordered: Route[];
  /** Paths without parameters, looked up as strings (only where the ordered scan would pick the same route). */
  exact: Map<string, Route>;
}

type Input = Record<string, unknown>;
type Found = { route: Route; params: Record<string, string> | undefined };

/** A path that the WHATWG URL parser leaves exactly as it is (no dots, escapes or odd characters). */
const PLAIN_PATH = /^\/[A-Za-z0-9\-_~/]*$/;
/** A query that URLSearchParams reads as the URL parser would: printable ASCII, no fragment. */
const PLAIN_QUERY = /^[\x21\x22\x24-\x7e]*$/;
const NO_STORE = 'no-store';

/**
 * REST at /v1/... without trpc-to-openapi's Node adapter, built once from the same
 * router and the same OpenAPI meta: method and path to procedure, path parameters,
 * zod input and output. Each call still goes through the procedure's own call path
 * (what tRPC's server-side caller calls), so middlewares, validation and errors stay
 * single-sourced with tRPC and the document.
 *
 * What it leaves out per request is the adapter's overhead: a fetch `Request` (with
 * its Headers copy and AbortController) made only for its signal, a `URL` object, the
 * caller's proxies and an error shape that is thrown away. A held status request
 * alone asks for an AbortController (`ctx.clientGone`).
 *
 * The answers are trpc-to-openapi's to the byte, with one deliberate exception: a
 * query parameter named like an Object.prototype member (`?constructor=1`) was a 500
 * there (its query parser crashes) and is a 400 unknown-parameter here. The
 * differential test (apps/web/test/rest-differential.test.ts) replays one recorded
 * set of requests against both and compares every status, header and body.
 */
export function createRestHandler(options: HttpOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const routes = buildRoutes(appRouter);

  return async (req, res) => {
    let text: string;
    try {
      checkOrigin(req, options);
      text = await readBody(req, options.maxBodyBytes);
    } catch (error) {
      sendError(res, toErrorBody(error));
      return;
    }
    const method = req.method ?? 'GET';
    const { path, query } = splitTarget(req.url ?? '/');
    const found = find(routes.get(method), path);
    // Every method but GET, DELETE and HEAD takes its input from the body (an empty one is `{}`).
    const body = method === 'GET' || method === 'DELETE' || method === 'HEAD' ? undefined : jsonObjectOf(text);
    try {
      if (!found) {
        // trpc-to-openapi answers HEAD on any path with an empty 204 (a warm-up probe).
        if (method === 'HEAD') {
          res.statusCode = 204;
          res.end();
          return;
        }
        throw new TRPCError({ message: 'Not found', code: 'NOT_FOUND' });
      }
      const { route, params } = found;
      let input: Input | undefined;
      if (route.takesInput) {
        if (method === 'GET' || method === 'DELETE') {
          input = { ...fieldsOf(method, text, req.url, query), ...params };
          for (const field of route.arrayFields) {
            const value = input[field];
            if (value !== undefined && !Array.isArray(value)) input[field] = [value];
          }
        } else {
          input = { ...body, ...params };
        }
      }
      let status = 200;
      let extra: Record<string, string> | undefined;
      let gone: AbortController | undefined;
      const ctx = requestContext(
        req,
        res,
        options,
        () => {
          if (!gone) {
            const controller = (gone = new AbortController());
            if (res.closed) controller.abort();
            else res.once('close', () => controller.abort());
          }
          return gone.signal;
        },
        (code) => {
          status = code;
        },
        (name, value) => {
          (extra ??= {})[name.toLowerCase()] = value;
        },
      );
      const data: unknown = await route.procedure({
        ctx,
        path: route.path,
        type: route.type,
        getRawInput: () => Promise.resolve(input),
        signal: undefined,
        batchIndex: 0,
      });
      res.statusCode = status;
      if (status !== 204 && status !== 304) res.setHeader('Content-Type', 'application/json');
      // A procedure may replace Cache-Control on success (the public GET /interests/popular).
      if (extra) {
        res.setHeader('cache-control', extra['cache-control'] ?? NO_STORE);
        for (const name in extra) if (name !== 'cache-control') res.setHeader(name, extra[name]!);
      } else {
        res.setHeader('cache-control', NO_STORE);
      }
      if (status === 204 || status === 304) res.end();
      else res.end(JSON.stringify(data));
    } catch (cause) {
      const error = asTRPCError(cause);
      const answer = body === MALFORMED && error.code === 'BAD_REQUEST' ? MALFORMED_BODY_ERROR : toErrorBody(error);
      if (answer.error === 'ERR_INTERNAL') {
        options.logger.error('request failed', { url: req.url, err: describeFailure(error) });
      }
      res.statusCode = statusOf(answer);
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('cache-control', NO_STORE);
      const retryAfter = retryAfterOf(error);
      if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
      res.end(JSON.stringify(answer));
    }
  };
}

/** Every OpenAPI operation of the router, by method; coerces the input schemas as trpc-to-openapi does. */
function buildRoutes(router: typeof appRouter): Map<string, Routes> {
  const byMethod = new Map<string, Routes>();
  const literal: [string, string, Route][] = [];
  forEachOpenApiProcedure(
    router._def.procedures as OpenApiProcedureRecord,
    ({ path, type, procedure, meta: { openapi } }) => {
      if (type === 'subscription') return;
      const { inputParser } = getInputOutputParsers(procedure);
      const schema = unwrapZodType(inputParser, true);
      const arrayFields: string[] = [];
      if (instanceofZodTypeObject(schema)) {
        for (const [field, shape] of Object.entries(schema.shape)) {
          const inner = instanceofZodTypeOptional(shape) ? (shape.unwrap() as typeof shape) : shape;
          if (instanceofZodTypeKind(inner, 'array')) arrayFields.push(field);
        }
        // Strings from a query become numbers and booleans; trpc-to-openapi does this at a
        // procedure's first request (to bodies too), here once for all, before any call.
        coerceSchema(schema);
      }
      const pathTemplate = normalizePath(openapi.path);
      const route: Route = {
        pattern: getPathRegExp(pathTemplate),
        procedure,
        path,
        type,
        takesInput: !instanceofZodTypeLikeVoid(schema),
        arrayFields,
      };
      let routes = byMethod.get(openapi.method);
      if (!routes) byMethod.set(openapi.method, (routes = { ordered: [], exact: new Map() }));
      routes.ordered.push(route);
      if (!pathTemplate.includes('{')) literal.push([openapi.method, pathTemplate, route]);
    },
  );
  for (const [method, path, route] of literal) {
    const routes = byMethod.get(method)!;
    if (scan(routes.ordered, path)?.route === route) routes.exact.set(path, route);
  }
  return byMethod;
}

function find(routes: Routes | undefined, path: string): Found | undefined {
  if (!routes) return undefined;
  const route = routes.exact.get(path);
  return route ? { route, params: undefined } : scan(routes.ordered, path);
}

function scan(ordered: Route[], path: string): Found | undefined {
  for (const route of ordered) {
    const match = route.pattern.exec(path);
    if (match) return { route, params: match.groups };
  }
  return undefined;
}

/**
 * The path (normalized as trpc-to-openapi does) and the query of the request target.
 * Plain targets skip the URL parser; anything else goes through it, so that dot
 * segments, escapes and fragments read exactly as they did.
 */
function splitTarget(target: string): { path: string; query: URLSearchParams | undefined } {
  const mark = target.indexOf('?');
  const rawPath = mark < 0 ? target : target.slice(0, mark);
  const rawQuery = mark < 0 ? '' : target.slice(mark + 1);
  if (PLAIN_PATH.test(rawPath) && PLAIN_QUERY.test(rawQuery)) {
    return { path: normalizePath(rawPath), query: mark < 0 ? undefined : new URLSearchParams(rawQuery) };
  }
  const url = new URL(target.startsWith('/') ? `http://127.0.0.1${target}` : target);
  return { path: normalizePath(url.pathname), query: url.search === '' ? undefined : url.searchParams };
}

/**
 * A GET's or DELETE's fields: the query string, a repeated name as an array. A DELETE
 * with a body takes its fields from the JSON body instead (DELETE /account carries a
 * password, which never goes in a URL); with a query string as well, it is ambiguous.
 */
function fieldsOf(method: string, text: string, target: string | undefined, query: URLSearchParams | undefined) {
  if (method === 'DELETE' && text.trim() !== '') return target?.includes('?') ? MALFORMED : parseObject(text);
  // No prototype: a field named `constructor` or `__proto__` is just an unknown field.
  const fields: Input = Object.create(null) as Input;
  if (!query) return fields;
  query.forEach((value, name) => {
    const seen = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (seen === undefined) fields[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else fields[name] = [seen, value];
  });
  return fields;
}

/** What trpc-to-openapi's getErrorFromUnknown makes of a failure. */
function asTRPCError(cause: unknown): TRPCError {
  if (cause instanceof Error && cause.name === 'TRPCError') return cause as TRPCError;
  const error = new TRPCError({
    message: 'Internal server error',
    code: 'INTERNAL_SERVER_ERROR',
    cause: cause instanceof Error ? cause : undefined,
  });
  if (cause instanceof Error && cause.stack) error.stack = cause.stack;
  return error;
}
