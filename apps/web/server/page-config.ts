import type { IncomingMessage } from 'node:http';

/** What the pages show of the server's configuration. */
export interface PageConfig {
  /** MATCH_FALLBACK_SECONDS: the wording of the "match me with anyone" choice. */
  fallbackSeconds: number;
}

/** SPEC §9's defaults, for a page rendered without the header (never, behind portal-server). */
export const DEFAULT_PAGE_CONFIG: PageConfig = { fallbackSeconds: 15 };

const HEADER = 'x-portal-page-config';

/**
 * Hands the configuration to Next's renderer on the request, as the CSP nonce is
 * (csp.ts): the pages run in this process but are bundled apart from it, and
 * only this server reads the environment (env.ts). Whatever a client sent in
 * this header is replaced.
 */
export function applyPageConfig(req: IncomingMessage, config: PageConfig): void {
  req.headers[HEADER] = JSON.stringify(config);
}

/** For server components, given `await headers()` (next/headers). */
export function readPageConfig(headers: { get(name: string): string | null }): PageConfig {
  try {
    const value: unknown = JSON.parse(headers.get(HEADER) ?? 'null');
    const seconds = (value as Partial<PageConfig> | null)?.fallbackSeconds;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
      ? { fallbackSeconds: seconds }
      : DEFAULT_PAGE_CONFIG;
  } catch {
    return DEFAULT_PAGE_CONFIG;
  }
}
