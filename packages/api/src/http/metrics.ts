import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '@portal/contracts';
import type { HttpOptions } from './options.ts';
import { clientIp } from './request.ts';
import { sendError } from './respond.ts';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** 127.0.0.0/8 and ::1 (an IPv4-mapped address arrives already unwrapped by peerOf). */
export const isLoopback = (ip: string): boolean => ip === '::1' || /^127\.\d+\.\d+\.\d+$/.test(ip);

/**
 * GET /v1/portal/metrics (SPEC §11): for loopback clients (a scraper on the same
 * host), or anyone presenting `Authorization: Bearer <METRICS_TOKEN>` when a token
 * is set; 403 ERR_FORBIDDEN otherwise. Loopback means the client address after
 * the trusted proxies: behind a proxy on the same host, set PORTAL_TRUST_PROXY, or
 * every visitor would look local.
 */
export function createMetricsHandler(
  options: Pick<HttpOptions, 'core' | 'trustProxy'>,
  token: string | undefined,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  // Digests of equal length, compared in constant time: the answer time says nothing about the token.
  const expected = token ? digest(token) : null;
  const bearerOk = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization;
    if (!expected || !header?.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(header.slice('Bearer '.length).trim()), expected);
  };
  return async (req, res) => {
    if (!isLoopback(clientIp(req, options)) && !bearerOk(req)) {
      sendError(
        res,
        new AppError(
          'ERR_FORBIDDEN',
          'Metrics are served to local clients and to holders of the metrics token.',
        ).toBody(),
      );
      return;
    }
    const registry = options.core.metrics.registry;
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  };
}
