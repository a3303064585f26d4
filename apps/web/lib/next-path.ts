/**
 * Where to go after logging in or registering: the `next` query parameter when it
 * is a path on this site, else the home page. Anything else ("//evil.example",
 * "https://…", "/\evil") would turn the login page into an open redirect.
 */
export function safeNextPath(value: string | string[] | undefined): string {
  const next = Array.isArray(value) ? value[0] : value;
  if (!next?.startsWith('/')) return '/';
  // Resolve it the way a browser would (which drops tabs and newlines, so a check
  // on the raw text misses "/\t/evil.example"), and keep it only if it stays here.
  const base = 'https://portal.invalid';
  try {
    const url = new URL(next, base);
    return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : '/';
  } catch {
    return '/';
  }
}

/** `/login` or `/register`, carrying `next` along unless it is the home page. */
export function authHref(page: '/login' | '/register', next: string): string {
  return next === '/' ? page : `${page}?next=${encodeURIComponent(next)}`;
}
