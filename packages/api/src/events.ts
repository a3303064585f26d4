import type { AppError } from '@portal/contracts';
import type { Logger } from '@portal/core';
import { RateLimitedError } from './rate-limit.ts';

/**
 * The security events of SPEC §11, one log line each (`"event": <name>`), so an
 * operator can alert on them. None of them carries a token or a password: the
 * logger redacts those anyway, and nothing here passes them.
 */
export type SecurityEvent =
  | 'login_failed'
  | 'rate_limited'
  | 'moderation_action'
  | 'account_deleted'
  | 'socket_refused'
  | 'socket_send_queue_full';

export function logEvent(logger: Logger, event: SecurityEvent, fields: Record<string, unknown>): void {
  logger.info(event.replaceAll('_', ' '), { event, ...fields });
}

/**
 * A refused call worth an operator's attention: a rate-limit refusal, or wrong
 * credentials (the username tried is kept, never the password).
 */
/** The failures logged as security events (SPEC §11): rate-limit refusals and failed credentials. */
export const isLoggedFailure = (error: AppError): boolean =>
  error instanceof RateLimitedError || error.code === 'ERR_INVALID_CREDENTIALS';

export async function logFailure(
  logger: Logger,
  error: AppError,
  where: { path: string; ip: string; input: () => Promise<unknown> },
): Promise<void> {
  if (error instanceof RateLimitedError) {
    logEvent(logger, 'rate_limited', { path: where.path, ip: where.ip, retry_after: error.retryAfterSeconds });
  } else if (error.code === 'ERR_INVALID_CREDENTIALS') {
    const input = (await where.input().catch(() => undefined)) as { username?: unknown } | undefined;
    const username = typeof input?.username === 'string' ? input.username.slice(0, 40) : undefined;
    logEvent(logger, 'login_failed', { path: where.path, ip: where.ip, username });
  }
}
