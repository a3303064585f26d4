// Lighthouse against the production server (scripts/lighthouse.sh). Starts the bundle on a
// scratch SQLite file and a free port, makes a person (cookie) with a chat of three
// messages, then runs Lighthouse on each page in turn, printing every run and the medians.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const [lighthouse, runsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The headless flags of STACK.md (Playwright as root).
const chromeFlags =
  '--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking ' +
  '--disable-component-update --disable-sync --disable-dev-shm-usage';

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

const dir = await mkdtemp(join(tmpdir(), 'portal-lighthouse-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [fileURLToPath(new URL('../dist/server.mjs', import.meta.url))], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${join(dir, 'portal.db')}`,
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_SECONDS: '0',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stop = async () => {
  server.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
};

try {
  for (let tries = 0; ; tries++) {
    const health = await fetch(`${base}/v1/portal/health`).catch(() => null);
    if (health?.ok) break;
    if (tries > 300) throw new Error('the server did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const call = async (cookie, method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { origin: base, ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
    return { res, json: res.status === 204 ? null : await res.json() };
  };
  const person = async () => {
    const { res } = await call(null, 'POST', '/v1/portal/session');
    return res.headers.get('set-cookie').split(';', 1)[0];
  };
  const [me, partner] = [await person(), await person()];
  const tag = `lh${Date.now().toString(36).slice(-8)}`;
  await call(me, 'POST', '/v1/portal/match', { interests: [tag] });
  const { json: matched } = await call(partner, 'POST', '/v1/portal/match', { interests: [tag] });
  for (const text of ['Hello there', 'Hi! What are you listening to?', 'Mostly jazz lately.']) {
    await call(me, 'POST', `/v1/portal/chats/${matched.token}/messages`, { text });
  }

  const pages = ['/', '/login', '/chats', '/account', `/chat/${matched.token}`, '/docs'];
  const medians = [];
  for (const page of pages) {
    const scores = [];
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
      const { categories, audits } = JSON.parse(await readFile(output, 'utf8'));
      const score = (name) => Math.round(categories[name].score * 100);
      const metric = (name) => Math.round(audits[name].numericValue);
      scores.push(score('performance'));
      console.log(
        `${page.padEnd(32)} run ${run}: ${['performance', 'accessibility', 'best-practices', 'seo'].map(score).join(' / ')}` +
          `  FCP ${metric('first-contentful-paint')} ms, LCP ${metric('largest-contentful-paint')} ms,` +
          ` TBT ${metric('total-blocking-time')} ms, CLS ${audits['cumulative-layout-shift'].numericValue.toFixed(3)}`,
      );
    }
    const sorted = [...scores].sort((a, b) => a - b);
    medians.push([page, sorted[Math.floor(sorted.length / 2)], scores]);
  }
  console.log('\nperformance, median of each page (its runs):');
  for (const [page, median, scores] of medians) console.log(`${page.padEnd(32)} ${median} (${scores.join(', ')})`);
} finally {
  await stop();
}
