// Starts the production server (dist/server.mjs, built by `turbo run build`) as a
// child process on a free port, and speaks raw HTTP to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { natsAvailable, natsTestUrl, postgresAvailable, type Provider } from '@portal/db/testing';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../dist/server.mjs', import.meta.url));
/** Makes a server stop by itself once this test process is gone, however it ended. */
const EXIT_WITH_PARENT = fileURLToPath(new URL('../../../scripts/exit-with-parent.mjs', import.meta.url));

/** Servers this process started and has not stopped yet: killed when it exits, whatever a test did. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
const CLI = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** `pnpm portal <args>`: runs the operator's command line (the bundle that script runs) against a database. */
export async function runCli(databaseUrl: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

/** How instances share events on PostgreSQL: NOTIFY alone, or NATS beside it (PORTAL_BUS_URL). */
export interface Bus {
  /** `LISTEN/NOTIFY` or `NATS`, for test names. */
  name: string;
  /** What every instance's environment adds. */
  env: Record<string, string>;
  skip: boolean;
}

/**
 * The buses the suites that start several instances on one PostgreSQL database run
 * with. Each call has a NATS subject of its own, so that test files running side by
 * side never hear each other.
 */
export async function postgresBuses(): Promise<Bus[]> {
  const pgSkip = !(await postgresAvailable());
  return [
    // Explicitly none: PORTAL_* variables of the shell reach the servers.
    { name: 'LISTEN/NOTIFY', env: { PORTAL_BUS_URL: '' }, skip: pgSkip },
    {
      name: 'NATS',
      env: { PORTAL_BUS_URL: natsTestUrl(), PORTAL_BUS_SUBJECT: `portal.test.${randomUUID()}` },
      skip: pgSkip || !(await natsAvailable()),
    },
  ];
}

/** SQLite (one instance), then PostgreSQL with each bus: the suites that run on both databases. */
export async function deployments(): Promise<(Bus & { provider: Provider; label: string })[]> {
  return [
    { provider: 'sqlite', label: 'sqlite', name: 'in process', env: { PORTAL_BUS_URL: '' }, skip: false },
    ...(await postgresBuses()).map((bus) => ({
      ...bus,
      provider: 'postgresql' as const,
      label: `postgresql (${bus.name})`,
    })),
  ];
}

export interface RunningServer {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run the build first (npm test does)`);
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, SERVER], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NEXT_TELEMETRY_DISABLED: '1',
      // Every test client is 127.0.0.1: limits are on only where a test turns them on.
      PORTAL_RATE_LIMITS: 'off',
      // Likewise the per-IP socket cap (a connection limit, on whatever the line above says).
      SOCKET_MAX_PER_IP: '100000',
      // No balancer to wait for: SIGTERM closes at once (the cluster test drains for real).
      SHUTDOWN_DRAIN_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const onData = () => {
      const match = /"msg":"listening","url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(log);
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${log}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions inspect arbitrary bodies
}

export interface RequestOptions {
  method?: string;
  cookie?: string | null;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer is sent as is. */
  body?: unknown;
}

export function request(base: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = `psession=${options.cookie}`;
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) payload = Buffer.from(options.body);
    else {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] ??= 'application/json';
    }
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The psession value a response sets ('' when it clears it), or null. */
export function cookieOf(reply: Reply): string | null {
  const match = /psession=([^;]*)/.exec(String(reply.headers['set-cookie'] ?? ''));
  return match ? match[1]! : null;
}

/** A person with a cookie jar of one cookie. */
export async function newStranger(base: string): Promise<string> {
  const reply = await request(base, '/v1/portal/session', { method: 'POST' });
  const cookie = String(reply.headers['set-cookie'] ?? '');
  const token = /psession=([^;]+)/.exec(cookie)?.[1];
  if (reply.status !== 201 || !token) throw new Error(`no session: ${reply.status} ${reply.text}`);
  return token;
}

/** The documented error: exactly `{error, message}`, the right status, no stack trace. */
export function expectError(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, body: reply.json }).toEqual({
    status,
    body: { error: code, message: expect.any(String) },
  });
  expect(Object.keys(reply.json as object)).toEqual(['error', 'message']);
  expect(reply.text).not.toMatch(/\bat .*\.(m?js|ts):\d+/);
}
