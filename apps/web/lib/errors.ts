import type { TErrorCode } from '@portal/contracts';
import { isErrorCode } from '@portal/contracts/browser';

/** The ERR_ code a tRPC error carries in `data.appCode` (see packages/api/src/trpc.ts), if any. */
export function appCodeOf(error: unknown): TErrorCode | undefined {
  if (typeof error !== 'object' || error === null || !('data' in error)) return undefined;
  const data = (error as { data?: { appCode?: unknown } | null }).data;
  return isErrorCode(data?.appCode) ? data.appCode : undefined;
}

const PLAIN: Partial<Record<TErrorCode, string>> = {
  ERR_MATCH_UNSUPPORTED_INTEREST: 'Interests must be one to three tags of 3–12 lowercase letters or digits.',
  ERR_MATCH_ALREADY_SEARCHING: 'You are already searching with other interests. Stop that search first.',
  ERR_MATCH_SLOT_LIMIT: 'You have reached your chat limit. End one of your chats to start a new one.',
  ERR_STRANGER_BLOCKED: 'You have been blocked by a moderator, so you cannot look for partners.',
  ERR_ACCOUNT_SUSPENDED: 'Your account has been suspended by a moderator, so you cannot look for partners.',
  ERR_USERNAME_TAKEN: 'That username is taken. Try another one.',
  ERR_INVALID_CREDENTIALS: 'Wrong username or password.',
  ERR_UNAUTHENTICATED: 'Your session has expired. Reload the page to start a new one.',
  ERR_RATE_LIMITED: 'That was a lot of requests in a short time. Wait a moment and try again.',
  ERR_CHAT_NOT_FOUND: 'This chat does not exist.',
  ERR_CHAT_ENDED: 'This chat has ended, so no more messages can be sent.',
  ERR_BAD_ORIGIN: 'The request was refused because it came from another site. Reload the page and try again.',
  ERR_FORBIDDEN: 'You are not allowed to do this.',
  ERR_REPORT_OPEN:
    'You reported this person and a moderator has not handled the report yet: the block stays until then.',
  ERR_NOT_FOUND: 'That no longer exists. Reload the page.',
  ERR_UNAVAILABLE: 'The service is briefly unavailable. Try again in a few seconds.',
  ERR_INTERNAL: 'Something went wrong on our side. Please try again.',
};

/** A sentence a person can act on, for any error a tRPC call or the socket produced. */
export function describeError(error: unknown): string {
  const code = appCodeOf(error);
  if (code) return PLAIN[code] ?? 'The request could not be completed. Please try again.';
  return 'Could not reach the server. Check your connection and try again.';
}

/**
 * The server's own sentence for an ERR_ answer, for screens where it is more specific than the
 * generic one (moderation: "No such session.", "This session belongs to an account…").
 */
export function serverMessageOf(error: unknown): string {
  const code = appCodeOf(error);
  if (!code) return describeError(error);
  const message = error instanceof Error ? error.message.trim() : '';
  return message !== '' && code !== 'ERR_INTERNAL' ? message : describeError(error);
}

export function describeCode(code: string): string {
  return isErrorCode(code) ? (PLAIN[code] ?? 'Something went wrong. Please try again.') : 'Something went wrong.';
}
