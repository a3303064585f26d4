import type { Principal } from '@portal/core';
import type { Context } from './context.ts';

/**
 * Sets the psession cookie for this session with Max-Age = what is left of it: set
 * when a session is made (create, register, login), and again whenever a request
 * moves its last_seen_at (about once an hour), so the cookie's expiry follows the
 * idle deadline the server keeps and never outlives it.
 */
export const setSessionCookie = (ctx: Context, token: string, principal: Principal): void =>
  ctx.setSessionToken({ token, maxAgeSeconds: ctx.core.sessions.cookieMaxAge(principal) });
