import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import compression from 'compression';

type Encoding = 'br' | 'gzip' | 'identity';

/**
 * The encoding to answer with: brotli where the client accepts it, gzip otherwise, else
 * none. `q=0` refuses an encoding; a `*` stands for every encoding not named.
 */
export function preferredEncoding(acceptEncoding: string | string[] | undefined): Encoding {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : (acceptEncoding ?? '');
  const quality = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q ? Number(q.slice(2)) : 1;
    quality.set(name, Number.isFinite(value) ? value : 0);
  }
  const of = (name: string) => quality.get(name) ?? quality.get('*') ?? 0;
  if (of('br') > 0) return 'br';
  if (of('gzip') > 0) return 'gzip';
  return 'identity';
}

/** A fixed body compressed once at start, in each encoding, and served by negotiation. */
export interface StaticBody {
  send(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void;
}

export function staticBody(text: string): StaticBody {
  const identity = Buffer.from(text);
  const bodies: Record<Encoding, Buffer> = {
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
  };
  return {
    send(req, res, headers) {
      const encoding = preferredEncoding(req.headers['accept-encoding']);
      const body = bodies[encoding];
      res.writeHead(200, {
        ...headers,
        vary: 'Accept-Encoding',
        'content-length': String(body.length),
        ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
      });
      res.end(body);
    },
  };
}

/**
 * The pages (HTML, RSC payloads, scripts, styles) compressed on the fly: brotli at
 * quality 4 (about gzip's speed, smaller output) where accepted, gzip otherwise; bodies
 * under 1 KiB and already-compressed types (images) are sent as they are. Next's own
 * compression (gzip only) is off in next.config.ts.
 */
export function createPageCompression(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const middleware = compression({
    threshold: 1024,
    brotli: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
  return (req, res, next) => middleware(req as never, res as never, () => next());
}
