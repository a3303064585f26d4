import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Content-Security-Policy of every page (SPEC §11), with a fresh nonce per
 * response. Next.js reads the nonce from the request's own
 * Content-Security-Policy header (as a proxy/middleware would set it) and puts it
 * on every inline and framework script it renders, which is why pages render
 * dynamically (app/layout.tsx). Everything the app loads is its own: no CDN, no
 * third-party frames, no eval (script sources never carry 'unsafe-eval').
 */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    // Swagger UI (/docs) and React set element styles through the DOM, which CSP allows;
    // <style> elements need the nonce. `style` attributes in markup are not used.
    `style-src 'self' 'nonce-${nonce}'`,
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
export function applyPagePolicy(req: IncomingMessage, res: ServerResponse): void {
  const policy = pagePolicy(randomBytes(16).toString('base64'));
  req.headers['content-security-policy'] = policy;
  delete req.headers['content-security-policy-report-only'];
  res.setHeader('content-security-policy', policy);
}
