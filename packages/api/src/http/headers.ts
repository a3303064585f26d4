import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpOptions } from './options.ts';
import { isHttps } from './request.ts';

/** A year; no includeSubDomains: Portal cannot know what else runs under its parent domain. */
export const HSTS = 'max-age=31536000';

/**
 * Headers every response carries, whatever answers it (REST, tRPC, pages,
 * errors): no MIME sniffing, no Referer (chat tokens live in page URLs), and
 * HSTS when the request came over https.
 */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function setSecurityHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  options: Pick<HttpOptions, 'trustProxy'>,
): void {
  res.setHeader('x-content-type-options', COMMON_HEADERS['x-content-type-options']!);
  res.setHeader('referrer-policy', COMMON_HEADERS['referrer-policy']!);
  if (isHttps(req, options)) res.setHeader('strict-transport-security', HSTS);
}
