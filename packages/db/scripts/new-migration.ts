// Creates the next migration for both providers from prisma/schema.prisma:
//   node --import ./packages/db/scripts/ts-loader.mjs packages/db/scripts/new-migration.ts <name> [--pg-url=postgresql://…]
// PostgreSQL needs a reachable server (default postgresql://postgres@127.0.0.1:5432/test)
// to create and drop scratch databases on; nothing else is touched.
import { readFileSync, writeFileSync } from 'node:fs';
import { migrationStamp, planMigration, writeMigration, type Provider } from '../src/engine.ts';
import { defaultSchemaPath } from '../src/migration-files.ts';
import { derivePostgresSchema } from './generate.mjs';

const PROVIDERS: Provider[] = ['sqlite', 'postgresql'];

function parseArgs(argv: string[]): { name: string; pgUrl: string | undefined } {
  const pgUrl = argv.find((arg) => arg.startsWith('--pg-url='))?.slice('--pg-url='.length);
  const names = argv.filter((arg) => !arg.startsWith('--'));
  if (names.length !== 1 || !names[0]) {
    throw new Error('usage: new-migration.ts <name> [--pg-url=postgresql://user@host:port/db]');
  }
  return { name: names[0], pgUrl };
}

/** Keeps prisma/postgres/schema.prisma in step with the source schema; true when it changed. */
function syncPostgresSchema(): boolean {
  const target = defaultSchemaPath('postgresql');
  const derived = derivePostgresSchema(readFileSync(defaultSchemaPath('sqlite'), 'utf8'));
  if (readFileSync(target, 'utf8') === derived) return false;
  writeFileSync(target, derived);
  return true;
}

async function main(): Promise<void> {
  const { name, pgUrl } = parseArgs(process.argv.slice(2));
  if (syncPostgresSchema()) {
    console.log('prisma/postgres/schema.prisma updated; run `node packages/db/scripts/generate.mjs` for the clients');
  }
  // Plan both before writing either, so a failure leaves no half-made pair.
  const stamp = migrationStamp();
  const planned = [];
  for (const provider of PROVIDERS) {
    planned.push({ provider, migration: await planMigration({ provider, name, url: pgUrl, stamp }) });
  }
  for (const { provider, migration } of planned) {
    if (migration) console.log(writeMigration(provider, migration));
    else console.log(`${provider}: no schema change, nothing written`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
