import { TRPCError } from '@trpc/server';
import { AppError, ERRORS, type TErrorBody, type TErrorCode } from '@portal/contracts';
import { RateLimitedError } from './rate-limit.ts';

export const toTRPCError = (error: AppError): TRPCError =>
  new TRPCError({ code: ERRORS[error.code].trpc, message: error.message, cause: error });

function describeIssues(cause: unknown): string {
  const issues = (cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined)?.issues;
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
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof AppError) return cause.toBody();
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

/** Seconds a rate-limited client should wait, for the Retry-After header. */
export function retryAfterOf(error: unknown): number | undefined {
  const cause = error instanceof TRPCError ? error.cause : error;
  return cause instanceof RateLimitedError ? cause.retryAfterSeconds : undefined;
}

export const statusOf = (body: TErrorBody): number => ERRORS[body.error].status;
