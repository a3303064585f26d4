import type { IncomingMessage } from 'node:http';
import { SESSION_COOKIE } from '@portal/contracts';

/** The psession value from the Cookie header (first occurrence), or null. */
export function readSessionCookie(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return decode(part.slice(eq + 1).trim());
  }
  return null;
}

/**
 * HttpOnly, SameSite=Lax, Path=/, and Secure when the page was served over https;
 * `null` clears it. Max-Age is what is left of the session, so the cookie never
 * outlives it (SPEC §10); browsers cap it at 400 days anyway.
 */
export function sessionCookie(cookie: { token: string; maxAgeSeconds: number } | null, secure: boolean): string {
  const maxAge = cookie === null ? 0 : Math.max(0, Math.floor(cookie.maxAgeSeconds));
  return `${SESSION_COOKIE}=${cookie?.token ?? ''}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** A malformed escape is no session, not an error. */
function decode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
