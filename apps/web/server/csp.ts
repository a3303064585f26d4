import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Content-Security-Policy of every page (SPEC §11), with a fresh nonce per
 * response. Next.js reads the nonce from the request's own
 * Content-Security-Policy header (as a proxy/middleware would set it) and puts it
 * on every inline and framework script it renders, which is why pages render
 * dynamically (app/layout.tsx). Everything the app loads is its own: no CDN, no
 * third-party frames, no eval (script sources never carry 'unsafe-eval').
 */
export function pagePolicy(nonce: string, styleHashes: readonly string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    // Swagger UI (/docs) and React set element styles through the DOM, which CSP allows;
    // <style> elements need the nonce, or to be one of our own stylesheets, which Next
    // writes into the page (`inlineCss` in next.config.ts) without the nonce: those are
    // allowed by their hash, and nothing else is. `style` attributes in markup are not used.
    [`style-src 'self' 'nonce-${nonce}'`, ...styleHashes.map((hash) => `'${hash}'`)].join(' '),
    // Swagger UI's stylesheet draws its icons as data: SVGs.
    "img-src 'self' data:",
    "font-src 'self'",
    // 'self' covers the same-origin WebSocket too (CSP Level 3).
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Puts the policy on the response and, for Next's renderer, on the request,
 * replacing whatever a client sent there (a client must not pick the nonce).
 */
export function applyPagePolicy(req: IncomingMessage, res: ServerResponse, styleHashes?: readonly string[]): void {
  const policy = pagePolicy(randomBytes(16).toString('base64'), styleHashes);
  req.headers['content-security-policy'] = policy;
  delete req.headers['content-security-policy-report-only'];
  res.setHeader('content-security-policy', policy);
}

/**
 * The CSP hashes (`sha256-...`) of the build's stylesheets (`.next/static/**.css`): Next
 * writes them into each page as <style> elements holding exactly the file's text.
 */
export async function stylesheetHashes(staticDir: string): Promise<string[]> {
  const hashes: string[] = [];
  for (const entry of await readdir(staticDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.css')) continue;
    const text = await readFile(`${entry.parentPath}/${entry.name}`);
    hashes.push(`sha256-${createHash('sha256').update(text).digest('base64')}`);
  }
  return hashes.sort();
}
