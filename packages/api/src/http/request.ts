import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AppError } from '@portal/contracts';
import type { HttpOptions } from './options.ts';
import { peerOf } from './proxy.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isHttps(req: IncomingMessage, options: Pick<HttpOptions, 'trustProxy'>): boolean {
  // Every response asks (HSTS): without trusted proxies only the socket can tell, no header parsing.
  if (options.trustProxy.kind === 'off') return (req.socket as TLSSocket).encrypted === true;
  return peerOf(req, options.trustProxy).https;
}

/**
 * The client's address: the socket's, or behind trusted proxies the one the
 * outermost of them reported (see peerOf). Rate limits and the socket caps key on it.
 */
export function clientIp(req: IncomingMessage, options: Pick<HttpOptions, 'trustProxy'>): string {
  return peerOf(req, options.trustProxy).ip;
}

function ownOrigin(req: IncomingMessage, options: Pick<HttpOptions, 'trustProxy'>): string {
  const peer = peerOf(req, options.trustProxy);
  return `${peer.https ? 'https' : 'http'}://${peer.host}`;
}

/**
 * CSRF: a state-changing request that names an Origin must name ours (same
 * scheme, host and port) or one configured; `Origin: null` is foreign.
 */
export function checkOrigin(req: IncomingMessage, options: Pick<HttpOptions, 'trustProxy' | 'allowedOrigins'>): void {
  if (!STATE_CHANGING.has(req.method ?? '')) return;
  if (!originAllowed(req, options)) throw new AppError('ERR_BAD_ORIGIN');
}

/** No Origin header (a non-browser client), or one of ours. */
export function originAllowed(
  req: IncomingMessage,
  options: Pick<HttpOptions, 'trustProxy' | 'allowedOrigins'>,
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const allowed = options.allowedOrigins.length > 0 ? options.allowedOrigins : [ownOrigin(req, options)];
  return allowed.includes(origin.toLowerCase());
}

export function isJson(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  if (!type) return false;
  const essence = type.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}

/**
 * Reads the body whole, up to `limit` bytes: 413 past it, 415 for a non-empty
 * body that is not JSON. Returns '' when there is no body.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new AppError('ERR_PAYLOAD_TOO_LARGE');
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) return '';
  if (!isJson(req)) throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AppError('ERR_PAYLOAD_TOO_LARGE');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
