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

/** HttpOnly, SameSite=Lax, Path=/, and Secure when the page was served over https; `null` clears it. */
export function sessionCookie(token: string | null, secure: boolean): string {
  const maxAge = token === null ? 0 : 400 * 24 * 3600; // the longest lifetime browsers honour
  return `${SESSION_COOKIE}=${token ?? ''}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** A malformed escape is no session, not an error. */
function decode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
