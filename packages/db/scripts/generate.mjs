// Derives prisma/postgres/schema.prisma from the SQLite source schema and
// generates one Prisma client per provider. Runs offline: generation uses
// wasm, the CLI only insists on finding a schema engine binary first.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const source = resolve(root, 'prisma/schema.prisma');
const target = resolve(root, 'prisma/postgres/schema.prisma');

export function derivePostgresSchema(text) {
  const out = text
    .replace(/^\/\/ The source schema \(SQLite\)[\s\S]*?\n\n/m, '')
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace(
      'output       = "../packages/db/generated/sqlite"',
      'output       = "../../packages/db/generated/postgres"',
    );
  if (out.includes('"sqlite"') || !out.includes('generated/postgres')) {
    throw new Error('prisma/schema.prisma changed shape: update derivePostgresSchema');
  }
  return `// GENERATED from prisma/schema.prisma by packages/db/scripts/generate.mjs. Do not edit.\n\n${out}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, derivePostgresSchema(readFileSync(source, 'utf8')));
  const prisma = resolve(root, 'packages/db/node_modules/.bin/prisma');
  for (const schema of [source, target]) {
    execFileSync(prisma, ['generate', '--schema', schema], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
  }
}
