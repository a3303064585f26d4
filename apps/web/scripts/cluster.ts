// Portal as it runs at scale: production instances (dist/server.mjs) on one fresh
// PostgreSQL database behind Debian's HAProxy, with the shipped config
// (deploy/haproxy/haproxy.cfg). The harness of test/cluster.test.ts, and of
// `npm run cluster`, which serves the whole app this way until Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase, pgTestBaseUrl } from '@portal/db/testing';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SERVER = `${ROOT}apps/web/dist/server.mjs`;
export const HAPROXY_CONFIG = `${ROOT}deploy/haproxy/haproxy.cfg`;
/** How often the harness reads HAProxy's view of the instances while it waits for one. */
const STATS_POLL_MS = 50;
const WAIT_LIMIT_MS = 30_000;

export interface ClusterOptions {
  /** Instances behind the balancer (the shipped config names three). */
  size?: 1 | 2 | 3;
  /** Variables for every instance, over the harness's own. */
  env?: Record<string, string>;
  /** Serve the web app too (`npm run cluster`), or the API only (the tests). */
  pages?: boolean;
  /** HAProxy's port (a free one by default). */
  port?: number;
  /** Health-check intervals (the shipped config says 2s and 500ms). */
  checkInterval?: string;
  checkFastInterval?: string;
  /** Node flags for each instance (the tests preload a guard that stops orphans). */
  nodeArgs?: string[];
}

export interface Instance {
  /** HAProxy's name for it: web1, web2, web3. */
  name: string;
  url: string;
  port: number;
  process: ChildProcess | undefined;
  /** What it printed since it last started. */
  output(): string;
}

export interface Cluster {
  /** HAProxy's front: what clients use. */
  url: string;
  databaseUrl: string;
  instances: Instance[];
  /** HAProxy's view: instance name → status (`UP`, `DOWN`, `UP 1/2`, `DOWN 1/2`, ...). */
  states(): Promise<Map<string, string>>;
  /** Resolves once HAProxy reports the instance `UP` (taking requests) or `DOWN`. */
  waitFor(name: string, status: 'UP' | 'DOWN'): Promise<void>;
  /** Starts the instance and waits until HAProxy sends to it. */
  start(index: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  stop(index: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
  close(): Promise<void>;
}

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** HAProxy's command, or undefined when it is not installed (`apt-get install -y haproxy`). */
export function haproxyCommand(): string | undefined {
  for (const candidate of ['haproxy', '/usr/sbin/haproxy']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  return undefined;
}

function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const haproxy = haproxyCommand();
  if (!haproxy) throw new Error('HAProxy is not installed: apt-get install -y haproxy');
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: build first (npm test and npm start do)`);
  const size = options.size ?? 3;
  // Fresh and empty: the instances migrate it as they start (one at a time, under a lock).
  const database = await createScratchDatabase(pgTestBaseUrl(), 'portal_cluster');

  const ports = [];
  for (let i = 0; i < 3; i += 1) ports.push(await freePort());
  const frontPort = options.port ?? (await freePort());
  const statsPort = await freePort();
  const instances: Instance[] = ports.slice(0, size).map((port, i) => ({
    name: `web${i + 1}`,
    port,
    url: `http://127.0.0.1:${port}`,
    process: undefined,
    output: () => '',
  }));

  const balancer = spawn(haproxy, ['-db', '-f', HAPROXY_CONFIG], {
    env: {
      ...process.env,
      PORTAL_HAPROXY_BIND: `127.0.0.1:${frontPort}`,
      PORTAL_HAPROXY_STATS: `127.0.0.1:${statsPort}`,
      PORTAL_HAPROXY_LOG_LEVEL: 'err',
      // The shipped config names three servers; the ones not started stay DOWN.
      PORTAL_WEB1: `127.0.0.1:${ports[0]}`,
      PORTAL_WEB2: `127.0.0.1:${ports[1]}`,
      PORTAL_WEB3: `127.0.0.1:${ports[2]}`,
      ...(options.checkInterval ? { PORTAL_CHECK_INTER: options.checkInterval } : {}),
      ...(options.checkFastInterval ? { PORTAL_CHECK_FASTINTER: options.checkFastInterval } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let balancerLog = '';
  balancer.stdout.on('data', (chunk: Buffer) => (balancerLog += chunk.toString()));
  balancer.stderr.on('data', (chunk: Buffer) => (balancerLog += chunk.toString()));
  const balancerExit = once(balancer, 'exit');
  // However this process ends (a test runner tearing its worker down), the balancer goes too.
  const orphaned = () => balancer.kill('SIGKILL');
  process.once('exit', orphaned);

  const states = async (): Promise<Map<string, string>> => {
    const { status, text } = await get(`http://127.0.0.1:${statsPort}/stats;csv`);
    if (status !== 200) throw new Error(`HAProxy stats answered ${status}`);
    const lines = text.replace(/^# /, '').trim().split('\n');
    const header = lines[0]!.split(',');
    const column = (name: string) => header.indexOf(name);
    const result = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      if (cells[column('pxname')] === 'instances' && /^web\d$/.test(cells[column('svname')]!)) {
        result.set(cells[column('svname')]!, cells[column('status')]!);
      }
    }
    return result;
  };

  const waitFor = async (name: string, status: 'UP' | 'DOWN') => {
    const started = Date.now();
    for (;;) {
      const now = await states().catch(() => new Map<string, string>());
      if (now.get(name) === status) return;
      if (Date.now() - started > WAIT_LIMIT_MS) {
        throw new Error(`HAProxy never reported ${name} ${status} (last: ${now.get(name)}):\n${balancerLog}`);
      }
      await new Promise((resolve) => setTimeout(resolve, STATS_POLL_MS));
    }
  };

  const start = async (index: number) => {
    const instance = instances[index]!;
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        PORT: String(instance.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        NEXT_TELEMETRY_DISABLED: '1',
        // HAProxy on this host adds X-Forwarded-For: rate limits count the client's address.
        PORTAL_TRUST_PROXY: '127.0.0.1',
        ...(options.pages ? {} : { PORTAL_API_ONLY: 'true' }),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const output = () => log;
    instance.process = child;
    instance.output = output;
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    // In once HAProxy's checks pass; an instance that exits first (a bad variable, a
    // database it cannot reach) says why.
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`${instance.name} exited (${code}) before it was up:\n${log}`);
    });
    await Promise.race([waitFor(instance.name, 'UP'), exited]);
    exited.catch(() => undefined);
  };

  const stop = async (index: number, signal: 'SIGTERM' | 'SIGKILL') => {
    const child = instances[index]!.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  };

  const close = async () => {
    await Promise.all(instances.map((_, i) => stop(i, 'SIGKILL')));
    process.off('exit', orphaned);
    balancer.kill('SIGTERM');
    await balancerExit;
    await database.drop();
  };

  try {
    await Promise.all(instances.map((_, i) => start(i)));
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return {
    url: `http://127.0.0.1:${frontPort}`,
    databaseUrl: database.url,
    instances,
    states,
    waitFor,
    start,
    stop,
    close,
  };
}

// `npm run cluster`: the whole app, three instances behind HAProxy, until Ctrl-C.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = Number(process.env.PORT ?? 8080);
  const cluster = await startCluster({ pages: true, port });
  process.stdout.write(
    `Portal: ${cluster.url} (HAProxy) → ${cluster.instances.map((i) => `${i.name} ${i.url}`).join(', ')}\n` +
      `database ${cluster.databaseUrl} (dropped on exit). Ctrl-C stops everything.\n`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cluster.close().then(() => process.exit(0)));
  }
}
