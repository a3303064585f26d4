// Compresses Next's build output under .next/static once, at build time, at brotli's
// and gzip's highest settings (`compressAtBest`): those files are immutable, so the
// server sends these (server/compress.ts, `precompressedAssets`) instead of compressing
// each request at the quick settings it uses for pages. About 15% fewer bytes for the
// pages' scripts.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressAtBest } from '../server/compress.ts';

const root = fileURLToPath(new URL('../.next/static/', import.meta.url));
const compressible = /\.(?:js|css|svg|json|txt)$/;

for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !compressible.test(entry.name)) continue;
  const path = join(entry.parentPath, entry.name);
  const body = await readFile(path);
  if (body.length < 1024) continue;
  const { gzip, br } = compressAtBest(body);
  await writeFile(`${path}.gz`, gzip);
  await writeFile(`${path}.br`, br);
}
