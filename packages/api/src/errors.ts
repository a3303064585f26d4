import { TRPCError } from '@trpc/server';
import { AppError, ERRORS, notFoundCodeOf, type TErrorBody, type TErrorCode } from '@portal/contracts';
import { isDatabaseUnavailable } from '@portal/core';
import { RateLimitedError } from './rate-limit.ts';

/**
 * Retry-After on 503 ERR_UNAVAILABLE: long enough for a restarted database or a
 * failover to come back, short enough that clients do not give up on us.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export const toTRPCError = (error: AppError): TRPCError =>
  new TRPCError({ code: ERRORS[error.code].trpc, message: error.message, cause: error });

type Issues = { path: PropertyKey[]; message: string; params?: unknown }[];

const issuesOf = (cause: unknown): Issues | undefined => (cause as { issues?: Issues } | undefined)?.issues;

/**
 * The domain error behind a failure, if there is one: an AppError a procedure
 * threw; an input that names nothing (every failed check is a malformed token or
 * id: answered like an unknown one, 404); or the database being unreachable or
 * too slow, in any of its drivers' wrappings (503, never 500).
 */
export function appErrorOf(error: unknown): AppError | undefined {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof AppError) return cause;
  if (error instanceof TRPCError && (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR')) {
    // The input's fault, whatever words it carries (an unknown key is quoted in the issues).
    const issues = issuesOf(cause);
    const code = issues && notFoundCodeOf(issues);
    return code ? new AppError(code) : undefined;
  }
  if (isDatabaseUnavailable(cause)) return new AppError('ERR_UNAVAILABLE');
  return undefined;
}

function describeIssues(cause: unknown): string {
  const issues = issuesOf(cause);
  const first = issues?.[0];
  if (!first) return ERRORS.ERR_BAD_REQUEST.message;
  const where = first.path.length > 0 ? `${first.path.map(String).join('.')}: ` : '';
  return `Invalid input: ${where}${first.message}`;
}

const FROM_TRPC: Partial<Record<TRPCError['code'], TErrorCode>> = {
  PARSE_ERROR: 'ERR_BAD_REQUEST',
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  NOT_FOUND: 'ERR_NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'ERR_NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'ERR_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  UNAUTHORIZED: 'ERR_UNAUTHENTICATED',
  FORBIDDEN: 'ERR_FORBIDDEN',
  TOO_MANY_REQUESTS: 'ERR_RATE_LIMITED',
};

/**
 * The `{error, message}` of any error a procedure or adapter produced. Domain
 * errors keep their code; tRPC's own (input validation, unknown path) map to
 * the nearest SPEC §6 code; anything else is an internal error whose details
 * stay in the server log.
 */
export function toErrorBody(error: unknown): TErrorBody {
  const app = appErrorOf(error);
  if (app) return app.toBody();
  const cause = error instanceof TRPCError ? error.cause : error;
  if (error instanceof TRPCError) {
    const code = FROM_TRPC[error.code];
    if (code === 'ERR_BAD_REQUEST') {
      return {
        error: code,
        message: error.code === 'PARSE_ERROR' ? 'The body is not valid JSON.' : describeIssues(cause),
      };
    }
    if (code) return { error: code, message: ERRORS[code].message };
  }
  return { error: 'ERR_INTERNAL', message: ERRORS.ERR_INTERNAL.message };
}

/** Seconds a rate-limited client, or one refused while the database is down, should wait (Retry-After). */
export function retryAfterOf(error: unknown): number | undefined {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof RateLimitedError) return cause.retryAfterSeconds;
  return appErrorOf(error)?.code === 'ERR_UNAVAILABLE' ? UNAVAILABLE_RETRY_AFTER_SECONDS : undefined;
}

export const statusOf = (body: TErrorBody): number => ERRORS[body.error].status;
