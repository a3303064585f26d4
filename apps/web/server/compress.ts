import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
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

/** Brotli and gzip at their highest settings, for a body compressed once (at start, or at build time). */
export function compressAtBest(body: Buffer): { gzip: Buffer; br: Buffer } {
  return {
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  };
}

type Send = (req: IncomingMessage, res: ServerResponse, headers: Record<string, string>) => boolean;

/** Sends the body in the encoding the request prefers, if it is one of those held; false (nothing sent) otherwise. */
function negotiated(bodies: Partial<Record<Encoding, Buffer>>): Send {
  return (req, res, headers) => {
    const encoding = preferredEncoding(req.headers['accept-encoding']);
    const body = bodies[encoding];
    if (!body) return false;
    res.writeHead(200, {
      ...headers,
      vary: 'Accept-Encoding',
      'content-length': String(body.length),
      ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** A fixed body compressed once at start, in each encoding, and served by negotiation. */
export interface StaticBody {
  send(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void;
}

export function staticBody(text: string): StaticBody {
  const identity = Buffer.from(text);
  return { send: negotiated({ identity, ...compressAtBest(identity) }) };
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

const ASSET_TYPES: Record<string, string> = {
  js: 'application/javascript; charset=UTF-8',
  css: 'text/css; charset=UTF-8',
  svg: 'image/svg+xml',
  json: 'application/json; charset=UTF-8',
  txt: 'text/plain; charset=UTF-8',
};

/**
 * Next's immutable build output (`/_next/static/...`) in the forms scripts/precompress.ts
 * wrote at build time (`compressAtBest`), read into memory at start (about a megabyte,
 * most of it Swagger UI's bundle). Answers a GET or HEAD that accepts one of them and
 * returns true; anything else (no such file, no encoding accepted) is left to Next. No
 * ETag or ranges: the names are hashed and the files never change.
 */
export async function precompressedAssets(
  staticDir: string,
): Promise<(req: IncomingMessage, res: ServerResponse) => boolean> {
  const assets = new Map<string, { type: string; send: Send }>();
  for (const entry of await readdir(staticDir, { recursive: true, withFileTypes: true })) {
    const extension = /\.(\w+)\.br$/.exec(entry.name)?.[1];
    const type = extension && ASSET_TYPES[extension];
    if (!entry.isFile() || !type) continue;
    const path = join(entry.parentPath, entry.name.slice(0, -'.br'.length));
    // Half a pair (an interrupted build) is left to Next, which compresses as it sends.
    const gzip = await readFile(`${path}.gz`).catch(() => null);
    if (!gzip) continue;
    const url = `/_next/static/${relative(staticDir, path).split(sep).join('/')}`;
    assets.set(url, { type, send: negotiated({ gzip, br: await readFile(`${path}.br`) }) });
  }
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const asset = assets.get((req.url ?? '').split('?', 1)[0]!);
    return (
      asset !== undefined &&
      asset.send(req, res, { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' })
    );
  };
}
