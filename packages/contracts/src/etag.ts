import type { TMatchState } from './match.ts';

/**
 * The strong ETag of a match state (SPEC §9 "Cheap polling"): a 64-bit hash of its
 * canonical JSON (keys sorted, so it does not depend on the order a server or a zod
 * parse put them in). It lives here, not on the server, because the web app talks
 * tRPC, where no response header reaches it: it computes the tag of the state it holds
 * with this same function and sends it as If-None-Match. Not a security boundary (the
 * tag only ever goes back to the session it describes), so a fast non-cryptographic
 * hash does: microseconds, and no Node crypto in the browser bundle.
 */
export function matchStateEtag(state: TMatchState): string {
  const fields = state as Record<string, unknown>;
  let text = '';
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key];
    if (value !== undefined) text += `${JSON.stringify(key)}:${JSON.stringify(value)},`;
  }
  return `"${hash64(text)}"`;
}

/**
 * Whether an If-None-Match header names `etag`: a list of tags, compared weakly (a
 * `W/` prefix is ignored) as RFC 9110 asks for If-None-Match, or `*`.
 */
export function etagMatches(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  if (header === etag) return true; // what every well-behaved client sends back
  for (const part of header.split(',')) {
    const tag = part.trim();
    if (tag === '*' || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

/** cyrb53's two 32-bit lanes (public domain), both kept: 16 hex digits. */
function hash64(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}
