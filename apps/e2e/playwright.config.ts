import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig, devices, type PlaywrightTestConfig } from '@playwright/test';
import type { PortalOptions } from './tests/fixtures.ts';

/**
 * The real production server (apps/web/dist/server.mjs, built by turbo before this
 * runs), once on a fresh SQLite file and once on a fresh PostgreSQL database,
 * driven by Debian's Chromium: Playwright cannot download its own browsers here.
 */
const SQLITE_PORT = Number(process.env.E2E_PORT ?? 3199);
const PG_PORT = SQLITE_PORT - 1;
const SQLITE_DB = join(tmpdir(), `portal-e2e-${SQLITE_PORT}.db`);
const PG_ADMIN = process.env.PG_TEST_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const PG_DB = `portal_e2e_${PG_PORT}`;
const PG_URL = PG_ADMIN.replace(/\/[^/?]*(\?|$)/, `/${PG_DB}$1`);
const SQLITE_URL = `file:${SQLITE_DB}`;
/** HAProxy in front of three instances of their own (tests/cluster.spec.ts starts them). */
const CLUSTER_PORT = SQLITE_PORT - 2;
const haproxyUp = ['haproxy', '/usr/sbin/haproxy'].some((cmd) => spawnSync(cmd, ['-v']).status === 0);

// Like the other suites: PostgreSQL is required under CI=true, skipped loudly otherwise.
const pgUp = spawnSync('pg_isready', ['-d', PG_ADMIN, '-q']).status === 0;
if (!pgUp && process.env.CI === 'true') throw new Error(`CI=true requires PostgreSQL at ${PG_ADMIN}`);
if (!pgUp) console.warn(`\n!!! PostgreSQL at ${PG_ADMIN} is unreachable: the browser suite runs on SQLite only.\n`);
if (!haproxyUp && process.env.CI === 'true') throw new Error('CI=true requires HAProxy: apt-get install -y haproxy');
if (!haproxyUp) console.warn('\n!!! HAProxy is not installed: the browser suite behind a balancer is SKIPPED.\n');

// Each server stops by itself once this runner is gone (killed, crashed, interrupted):
// Playwright stops its web servers only when it lives to shut down cleanly.
const SERVE = 'exec node --import ../../scripts/exit-with-parent.mjs ../web/dist/server.mjs';

const serverEnv = (databaseUrl: string, port: number) => ({
  DATABASE_URL: databaseUrl,
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  NEXT_TELEMETRY_DISABLED: '1',
  // Every browser context comes from 127.0.0.1: acceptance runs turn the limits off
  // (the rate-limit tests in apps/web/test run with them on).
  PORTAL_RATE_LIMITS: 'off',
  // Off, so that in the block test only the block keeps two people apart.
  MATCH_REPEAT_COOLDOWN_MINUTES: '0',
  // "Match me with anyone" opens after 2 s, so the fallback test does not wait the default 15 s.
  MATCH_FALLBACK_SECONDS: '2',
  // The per-IP socket cap stays on without rate limits: raised the same way.
  SOCKET_MAX_PER_IP: '100000',
  // No balancer in front: SIGTERM closes at once.
  SHUTDOWN_DRAIN_SECONDS: '0',
});

const webServer: NonNullable<PlaywrightTestConfig['webServer']> = [
  {
    command: `rm -f ${SQLITE_DB} ${SQLITE_DB}-wal ${SQLITE_DB}-shm && ${SERVE}`,
    url: `http://127.0.0.1:${SQLITE_PORT}/v1/portal/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: serverEnv(SQLITE_URL, SQLITE_PORT),
  },
];
if (pgUp) {
  // For teardown.ts, which drops the database after the run.
  process.env.PORTAL_E2E_PG_DB = PG_DB;
  process.env.PORTAL_E2E_PG_ADMIN = PG_ADMIN;
  webServer.push({
    command:
      `psql "${PG_ADMIN}" -qc 'DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)' -c 'CREATE DATABASE ${PG_DB}' ` +
      `&& ${SERVE}`,
    url: `http://127.0.0.1:${PG_PORT}/v1/portal/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: serverEnv(PG_URL, PG_PORT),
  });
}

const chromium = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  },
};

// `databaseUrl`: the operator's command line in the tests talks to the same database as the project's server.
export default defineConfig<object, PortalOptions>({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
  projects: [
    {
      name: 'sqlite',
      use: { ...chromium, baseURL: `http://127.0.0.1:${SQLITE_PORT}`, databaseUrl: SQLITE_URL },
      testIgnore: /cluster/,
    },
    ...(pgUp
      ? [
          {
            name: 'postgresql',
            use: { ...chromium, baseURL: `http://127.0.0.1:${PG_PORT}`, databaseUrl: PG_URL },
            testIgnore: /screenshots|cluster/,
          },
        ]
      : []),
    ...(pgUp && haproxyUp
      ? [
          {
            name: 'cluster',
            use: { ...chromium, baseURL: `http://127.0.0.1:${CLUSTER_PORT}` },
            testMatch: /cluster\.spec/,
          },
        ]
      : []),
  ],
  webServer,
  globalTeardown: './teardown.ts',
});
