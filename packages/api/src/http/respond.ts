import type { ServerResponse } from 'node:http';
import type { TErrorBody } from '@portal/contracts';
import { statusOf, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../errors.ts';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, body: TErrorBody): void {
  const status = statusOf(body);
  // The rest of an oversized body was never read: do not reuse the connection.
  const headers: Record<string, string> = status === 413 ? { connection: 'close' } : {};
  if (body.error === 'ERR_UNAVAILABLE') headers['retry-after'] = String(UNAVAILABLE_RETRY_AFTER_SECONDS);
  sendJson(res, status, body, headers);
}
