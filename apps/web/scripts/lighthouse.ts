// Lighthouse against the production server (scripts/lighthouse.sh). Starts the bundle on a
// scratch SQLite file and a free port, makes a person (cookie) with a chat of three
// messages, then runs Lighthouse on each page in turn, printing every run and the medians.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const [lighthouse = 'lighthouse', runsArg = '5'] = process.argv.slice(2);
const runs = Number(runsArg);
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The headless flags of STACK.md (Playwright as root).
const chromeFlags =
  '--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking ' +
  '--disable-component-update --disable-sync --disable-dev-shm-usage';

/** The parts of Lighthouse's JSON report read here. */
interface LighthouseReport {
  categories: Record<string, { score: number }>;
  audits: Record<string, { numericValue: number }>;
}

const dir = await mkdtemp(join(tmpdir(), 'portal-lighthouse-'));
const server = spawn(process.execPath, [fileURLToPath(new URL('../dist/server.mjs', import.meta.url))], {
  env: {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${join(dir, 'portal.db')}`,
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_SECONDS: '0',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const stop = async () => {
  server.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
};

try {
  // The server says where it listens once it does (port 0: the system picks a free one).
  const base = await new Promise<string>((resolve, reject) => {
    let log = '';
    server.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const url = /"msg":"listening","url":"(http:[^"]+)"/.exec(log)?.[1];
      if (url) resolve(url);
    });
    server.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${log}`)));
  });
  const call = async (cookie: string | null, method: string, path: string, body?: object) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { origin: base, ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
    return { res, json: (res.status === 204 ? null : await res.json()) as { token?: string } | null };
  };
  const person = async () => {
    const { res } = await call(null, 'POST', '/v1/portal/session');
    return (res.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
  };
  const [me, partner] = [await person(), await person()];
  const tag = `lh${Date.now().toString(36).slice(-8)}`;
  await call(me, 'POST', '/v1/portal/match', { interests: [tag] });
  const { json: matched } = await call(partner, 'POST', '/v1/portal/match', { interests: [tag] });
  const token = matched?.token;
  if (!token) throw new Error('the two people were not matched');
  for (const text of ['Hello there', 'Hi! What are you listening to?', 'Mostly jazz lately.']) {
    await call(me, 'POST', `/v1/portal/chats/${token}/messages`, { text });
  }

  const pages = ['/', '/login', '/chats', '/account', `/chat/${token}`, '/docs'];
  const medians: [string, number, number[]][] = [];
  for (const page of pages) {
    const scores: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const output = join(dir, 'report.json');
      await promisify(execFile)(
        lighthouse,
        [
          `${base}${page}`,
          '--quiet',
          `--chrome-flags=${chromeFlags}`,
          `--extra-headers=${JSON.stringify({ Cookie: me })}`,
          '--only-categories=performance,accessibility,best-practices,seo',
          '--output=json',
          `--output-path=${output}`,
        ],
        { env: { ...process.env, CHROME_PATH: chromium }, maxBuffer: 64 * 1024 * 1024 },
      );
      const { categories, audits } = JSON.parse(await readFile(output, 'utf8')) as LighthouseReport;
      const score = (name: string) => Math.round(categories[name]!.score * 100);
      const metric = (name: string) => audits[name]!.numericValue;
      scores.push(score('performance'));
      console.log(
        `${page.padEnd(32)} run ${run}: ${['performance', 'accessibility', 'best-practices', 'seo'].map(score).join(' / ')}` +
          `  FCP ${metric('first-contentful-paint').toFixed(0)} ms, LCP ${metric('largest-contentful-paint').toFixed(0)} ms,` +
          ` TBT ${metric('total-blocking-time').toFixed(0)} ms, CLS ${metric('cumulative-layout-shift').toFixed(3)}`,
      );
    }
    const sorted = [...scores].sort((a, b) => a - b);
    medians.push([page, sorted[Math.floor(sorted.length / 2)]!, scores]);
  }
  console.log('\nperformance, median of each page (its runs):');
  for (const [page, median, scores] of medians) console.log(`${page.padEnd(32)} ${median} (${scores.join(', ')})`);
} finally {
  await stop();
}
