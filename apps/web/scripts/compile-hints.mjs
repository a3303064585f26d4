// Marks the scripts every page loads up front (Next's root files and each route's entry
// chunks, from the build's manifests) with V8's explicit compile hint, a first-line
// `//# allFunctionsCalledOnLoad`: Chromium then compiles their functions on a background
// thread while they download, instead of one by one on the main thread as each is first
// called, which is most of what a phone's main thread spends starting React and Next
// (docs/web-app.md, "Page weight"). Scripts loaded on demand (Swagger UI on /docs) and the
// legacy polyfills are left as they are. Run after `next build`, before precompress.ts.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';

const HINT = '//# allFunctionsCalledOnLoad\n';
const next = fileURLToPath(new URL('../.next/', import.meta.url));

const build = JSON.parse(await readFile(join(next, 'build-manifest.json'), 'utf8'));
const upFront = new Set(build.rootMainFiles);
const onDemand = new Set(build.polyfillFiles);
for (const entry of await readdir(join(next, 'server/app'), { recursive: true, withFileTypes: true })) {
  const path = join(entry.parentPath, entry.name);
  if (entry.name.endsWith('_client-reference-manifest.js')) {
    // Each sets globalThis.__RSC_MANIFEST[route]; `entryJSFiles` lists the chunks of the route's layouts and page.
    const scope = {};
    runInNewContext(await readFile(path, 'utf8'), scope);
    for (const manifest of Object.values(scope.__RSC_MANIFEST ?? {})) {
      for (const files of Object.values(manifest.entryJSFiles ?? {})) for (const file of files) upFront.add(file);
    }
  } else if (entry.name === 'react-loadable-manifest.json') {
    // What `import()` and next/dynamic load when asked.
    for (const { files } of Object.values(JSON.parse(await readFile(path, 'utf8')))) {
      for (const file of files) onDemand.add(file);
    }
  }
}

for (const file of upFront) {
  if (onDemand.has(file) || !file.endsWith('.js')) continue;
  const path = join(next, file);
  const text = await readFile(path, 'utf8');
  if (!text.startsWith(HINT)) await writeFile(path, HINT + text);
}
