// Bundles the server entry with the workspace packages (TypeScript sources) into
// dist/server.mjs. Next stays external (it loads its own build output), and so do
// native or file-reading dependencies.
import { build } from 'esbuild';

const external = [
  'next',
  'react',
  'react-dom',
  'better-sqlite3',
  '@prisma/client',
  '@prisma/adapter-better-sqlite3',
  '@prisma/adapter-pg',
  'pg',
];

await build({
  entryPoints: { server: 'server/main.ts', cli: 'server/cli.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  external: external.flatMap((name) => [name, `${name}/*`]),
  // CommonJS dependencies bundled into ESM still call require() for node builtins.
  banner: {
    js: "import { createRequire as __portalRequire } from 'node:module'; const require = __portalRequire(import.meta.url);",
  },
});
