// Node 20 cannot run TypeScript (--experimental-strip-types arrived in Node
// 22.6). `node --import ./scripts/ts-loader.mjs file.ts` transpiles this
// package's .ts files with the workspace's TypeScript instead: no type check,
// which is fine for erasable syntax; `tsc --noEmit` does the checking.
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import ts from 'typescript';

// --import runs this on the main thread; the hooks below then run in Node's loader thread.
if (isMainThread) register(import.meta.url);

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2023,
  verbatimModuleSyntax: true,
  allowImportingTsExtensions: true,
  sourceMap: false,
  inlineSourceMap: true,
};

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) {
    return nextLoad(url, context);
  }
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(fileName, 'utf8'), { fileName, compilerOptions });
  return { format: 'module', source: outputText, shortCircuit: true };
}
