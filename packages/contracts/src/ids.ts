import { z } from 'zod';
import type { TErrorCode } from './errors.ts';

/**
 * The alphabets of what the server hands out (packages/core/src/tokens.ts): chat
 * tokens are 16 random bytes in base64url, ids are lowercase UUIDs. Checked at the
 * schema, so no client value that could not name a row ever reaches the database
 * (PostgreSQL text cannot even hold U+0000: such a value used to answer 500).
 */
export const CHAT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;
export const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isChatToken = (value: string): boolean => CHAT_TOKEN_PATTERN.test(value);
export const isId = (value: string): boolean => ID_PATTERN.test(value);

/**
 * A schema check whose failure means "this names nothing": it carries the code an
 * unknown value of the same kind gets, so a malformed token answers exactly like an
 * unknown one (404) instead of revealing the format through a different error.
 */
const namesNothing = (check: (value: string) => boolean, code: TErrorCode, message: string) =>
  z.string().refine(check, { message, params: { appCode: code } });

/** A chat token (path parameter or socket field): malformed is ERR_CHAT_NOT_FOUND, like unknown. */
export const ZChatToken = namesNothing(isChatToken, 'ERR_CHAT_NOT_FOUND', 'No such chat.').meta({
  description:
    'The chat token from the match: 22 characters of `A-Z a-z 0-9 - _`. Any other value names no chat: 404 `ERR_CHAT_NOT_FOUND`, as for an unknown token.',
  example: 'Xk3v9Qm2LbT0aZr7yW1e-_',
});

/** A session, account, report or block id: malformed is ERR_NOT_FOUND, like unknown. */
export const ZId = namesNothing(isId, 'ERR_NOT_FOUND', 'No such resource.').meta({
  description: 'A lowercase UUID. Any other value names nothing: 404 `ERR_NOT_FOUND`, as for an unknown id.',
  example: '0b6f2a51-5d0e-4c8e-9a57-2f1e3b9c4d7a',
});

/**
 * The error for a failed input parse: when every issue is a "names nothing" check of
 * one kind, that kind's not-found code; otherwise undefined (a plain 400). A bad token
 * next to a bad text is 400, the same as an unknown token next to a bad text.
 */
export function notFoundCodeOf(issues: readonly object[]): TErrorCode | undefined {
  let code: TErrorCode | undefined;
  for (const issue of issues) {
    const own = (issue as { params?: { appCode?: TErrorCode } }).params?.appCode;
    if (!own || (code && own !== code)) return undefined;
    code = own;
  }
  return code;
}
