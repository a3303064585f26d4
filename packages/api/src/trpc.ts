import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { AppError, type TErrorCode } from '@portal/contracts';
import { assertMayMatch, assertModerator } from '@portal/core';
import type { Context } from './context.ts';
import { appErrorOf, toErrorBody, toTRPCError } from './errors.ts';
import { isLoggedFailure, logFailure, logEvent, type SecurityEvent } from './events.ts';
import { setSessionCookie } from './session-cookie.ts';

/** OpenAPI metadata plus the domain errors a procedure can answer with (documented in /v1/openapi.json). */
export type PortalMeta = OpenApiMeta<{
  errors?: TErrorCode[];
  /** Refused to blocked strangers and suspended accounts (403 right after authentication). */
  restricted?: boolean;
  /** Logged as this security event when the call succeeds (e.g. `account_deleted`). */
  event?: SecurityEvent;
}>;

const t = initTRPC
  .context<Context>()
  .meta<PortalMeta>()
  .create({
    // Never ship stack traces, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error }) {
      const body = toErrorBody(error);
      return { ...shape, message: body.message, data: { ...shape.data, appCode: body.error, stack: undefined } };
    },
  });

/**
 * Domain code throws AppError; tRPC clients and the REST adapter need it as a
 * TRPCError with the right code (and so the right HTTP status on both). It wraps
 * the input parser too: a malformed token becomes the 404 an unknown one gets.
 * Every call passes here, so the security events of SPEC §11 (refusals, failed
 * credentials, `meta.event`) are logged here too.
 */
const mapAppErrors = t.middleware(async ({ ctx, meta, path, next, getRawInput }) => {
  const result = await next();
  if (result.ok) {
    if (meta?.event && ctx.logger) logEvent(ctx.logger, meta.event, { path, ip: ctx.clientIp });
    return result;
  }
  const app = appErrorOf(result.error);
  if (app) {
    // Only refusals and failed credentials are events: a plain 401 or 404 (stale cookies on polls) costs nothing here.
    if (ctx.logger && isLoggedFailure(app)) {
      await logFailure(ctx.logger, app, { path, ip: ctx.clientIp, input: getRawInput });
    }
    throw toTRPCError(app);
  }
  return result;
});

/**
 * One middleware (each layer costs on the hot path): 401 without a session (or an
 * expired one), before any other check, input parsing included; then, for procedures whose meta says
 * `restricted: true` (the enqueue), 403 for a blocked stranger or a suspended
 * account; then the per-session request ceiling (429).
 */
const requireSession = t.middleware(async ({ ctx, meta, next }) => {
  const principal = await ctx.core.sessions.authenticate(ctx.token);
  // About once an hour per session: last_seen_at moved, so the cookie's Max-Age follows it.
  if (principal.renewed && ctx.token) setSessionCookie(ctx, ctx.token, principal);
  if (meta?.restricted) assertMayMatch(principal);
  await ctx.limiters.requests.take(principal.sessionId);
  return next({ ctx: { principal } });
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapAppErrors);

export const authedProcedure = publicProcedure.use(requireSession);

/** 403 ERR_FORBIDDEN for a stranger (after 401, before the input is read): account settings such as the password. */
export const registeredProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.principal.accountId) throw new AppError('ERR_FORBIDDEN', 'Only a registered account can do this.');
  return next();
});

/** 403 ERR_FORBIDDEN without the moderator role; every action a moderator takes is logged as an event. */
export const moderatorProcedure = authedProcedure.use(async ({ ctx, type, path, next, getRawInput }) => {
  assertModerator(ctx.principal);
  const result = await next();
  if (result.ok && type === 'mutation' && ctx.logger) {
    const input = (await getRawInput()) as { id?: unknown } | undefined;
    logEvent(ctx.logger, 'moderation_action', {
      path,
      ip: ctx.clientIp,
      moderator: ctx.principal.accountId ?? ctx.principal.sessionId,
      target: typeof input?.id === 'string' ? input.id.slice(0, 64) : undefined,
    });
  }
  return result;
});
