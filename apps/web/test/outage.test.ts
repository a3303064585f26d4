// SPEC §11, the database down: every request that needs it answers 503
// ERR_UNAVAILABLE with Retry-After (never 500), health is 503, and service resumes by
// itself when the database is back, live socket events included. The machine's
// PostgreSQL is never stopped: a TCP proxy in front of it is cut and restored.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@portal/db';
import {
  createTestDatabaseUrl,
  natsAvailable,
  natsTestUrl,
  postgresAvailable,
  type TestDatabaseUrl,
} from '@portal/db/testing';
import { openSocket, type TestSocket } from './socket-client.ts';
import {
  expectError,
  newStranger,
  request,
  startServer,
  type Reply,
  type RequestOptions,
  type RunningServer,
} from './server.ts';
import { proxyFor, startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/** Short limits, so that a hanging database is noticed quickly. */
const TIMEOUTS = { DB_STATEMENT_TIMEOUT_MS: '1000', DB_CONNECT_TIMEOUT_MS: '1000' };

/** Polls `probe` until `done` holds (state, not time, is what a test waits for). */
async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectUnavailable(reply: Reply, what: string): void {
  expect({ what, status: reply.status, body: reply.json }).toEqual({
    what,
    status: 503,
    body: { error: 'ERR_UNAVAILABLE', message: expect.any(String) },
  });
  expect(Number(reply.headers['retry-after']), what).toBeGreaterThanOrEqual(1);
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { security?: unknown }>>;
}

/** A request for every REST operation that needs the database, well-formed enough to get that far. */
function everyOperation(doc: OpenApiDoc, token: string): { label: string; path: string; options: RequestOptions }[] {
  // Public operations parse their input before touching the database; the others authenticate first.
  const bodies: Record<string, unknown> = {
    'post /v1/portal/auth/login': { username: 'nobody', password: 'not the password' },
    'post /v1/portal/auth/register': { username: `out_${Date.now().toString(36)}`, password: 'long enough pw' },
    'post /v1/portal/match': { interests: ['outage'] },
  };
  const skip = new Set(['/v1/openapi.json', '/v1/portal/socket', '/v1/portal/health', '/v1/portal/metrics']);
  const ops = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    if (skip.has(template)) continue;
    for (const method of Object.keys(item)) {
      const path = template.replace('{token}', token).replace('{id}', randomUUID());
      const key = `${method} ${template}`;
      const body = method === 'post' ? (bodies[key] ?? {}) : undefined;
      ops.push({ label: key, path, options: { method: method.toUpperCase(), ...(body ? { body } : {}) } });
    }
  }
  return ops;
}

/** Two people in a chat, each with a socket joined to it. */
async function pairOn(base: string, tag: string) {
  const post = (cookie: string, body: unknown) => request(base, '/v1/portal/match', { method: 'POST', cookie, body });
  const [alice, bob] = [await newStranger(base), await newStranger(base)];
  expect((await post(alice, { interests: [tag] })).json.state).toBe('searching');
  const token = (await post(bob, { interests: [tag] })).json.token as string;
  const sockets = { alice: await openSocket(base, alice), bob: await openSocket(base, bob) };
  for (const socket of Object.values(sockets)) {
    socket.send({ type: 'join', token });
    await socket.next('joined');
  }
  return { alice, bob, token, sockets };
}

/** A message sent over REST by `cookie` reaches `socket` live: the event bus works. */
async function expectDeliveredOn(base: string, cookie: string, token: string, socket: TestSocket, text: string) {
  const from = socket.events.length;
  const sent = await request(base, `/v1/portal/chats/${token}/messages`, { method: 'POST', cookie, body: { text } });
  expect(sent.status).toBe(201);
  const event = await socket.next('message', (e) => e.message.text === text, from);
  expect(event.message.from).toBe('partner');
}

const pgSkip = !(await postgresAvailable());

describe.skipIf(pgSkip)('the database down on PostgreSQL', () => {
  let target: TestDatabaseUrl;
  let proxy: TcpProxy;
  let server: RunningServer;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    target = await createTestDatabaseUrl('postgresql');
    proxy = await proxyFor(target.url);
    server = await startServer({
      ...TIMEOUTS,
      DATABASE_URL: proxy.through(target.url),
      PORTAL_API_ONLY: 'true',
      // As in production: limits on, their counters in PostgreSQL (each instance falls back to memory).
      PORTAL_RATE_LIMITS: 'on',
    });
    doc = (await request(server.url, '/v1/openapi.json')).json as OpenApiDoc;
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await target?.destroy();
  });

  const health = () => request(server.url, '/v1/portal/health');
  const post = (path: string, cookie: string | null, body: unknown = {}) =>
    request(server.url, path, { method: 'POST', cookie, body });
  const pair = (tag: string) => pairOn(server.url, tag);
  const expectDelivered = (cookie: string, token: string, socket: TestSocket, text: string) =>
    expectDeliveredOn(server.url, cookie, token, socket, text);

  it('answers 503 with Retry-After everywhere while the database is gone, and resumes by itself', async () => {
    const before = await pair('cutover');
    await expectDelivered(before.alice, before.token, before.sockets.bob, 'before the cut');

    await proxy.cut();
    const down = await waitFor(health, (r) => r.json?.db === 'down' && r.json?.bus === 'down', 'health down');
    expect({ status: down.status, body: down.json }).toEqual({
      status: 503,
      body: { status: 'degraded', db: 'down', bus: 'down' },
    });

    // Every REST operation, with a session and without one.
    for (const op of everyOperation(doc, before.token)) {
      expectUnavailable(await request(server.url, op.path, { ...op.options, cookie: before.alice }), op.label);
    }
    expectUnavailable(await post('/v1/portal/session', null), 'new session');
    expectUnavailable(await request(server.url, '/v1/portal/metrics'), 'metrics');

    // tRPC: the same code in error data, 503 and Retry-After, single calls and batches.
    const rpc = await request(server.url, '/api/trpc/session.get', { cookie: before.alice });
    expect(rpc.status).toBe(503);
    expect(rpc.json.error.data.appCode).toBe('ERR_UNAVAILABLE');
    expect(Number(rpc.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const batch = await request(server.url, '/api/trpc/session.get,match.status?batch=1&input=%7B%7D', {
      cookie: before.alice,
    });
    expect(batch.status).toBe(503);
    const calls = batch.json as { error: { data: { appCode: string } } }[];
    expect(calls.map((r) => r.error.data.appCode)).toEqual(['ERR_UNAVAILABLE', 'ERR_UNAVAILABLE']);
    const enqueue = await request(server.url, '/api/trpc/match.enqueue', {
      method: 'POST',
      cookie: before.bob,
      body: { interests: ['outage'] },
    });
    expect(enqueue.status).toBe(503);
    expect(enqueue.json.error.data.appCode).toBe('ERR_UNAVAILABLE');

    // The socket: a frame that needs the database gets an error event and the socket stays;
    // a new socket is refused with 503 (and Retry-After) instead of being dropped.
    const from = before.sockets.alice.events.length;
    before.sockets.alice.send({ type: 'message', token: before.token, text: 'while down' });
    expect(await before.sockets.alice.next('error', () => true, from)).toMatchObject({
      error: 'ERR_UNAVAILABLE',
      token: before.token,
    });
    await expect(openSocket(server.url, before.bob)).rejects.toMatchObject({ status: 503 });

    expect(server.output()).not.toMatch(/"status":500|ERR_INTERNAL|"level":"error","msg":"(request|trpc call) failed"/);
    expect(server.child.exitCode).toBeNull();

    await proxy.restore();
    const up = await waitFor(health, (r) => r.status === 200, 'health back');
    expect(up.json).toEqual({ status: 'ok', db: 'ok', bus: 'ok' });

    // The bus was deaf for a while: the sockets open through the gap are told to catch up.
    expect((await before.sockets.alice.closed).code).toBe(1012);
    expect((await before.sockets.bob.closed).code).toBe(1012);

    // Normal answers again, nothing lost, and live events between two people, without a restart.
    const chat = await request(server.url, `/v1/portal/chats/${before.token}`, { cookie: before.bob });
    expect(chat.status).toBe(200);
    const history = chat.json.messages as { id: number; text: string }[];
    expect(history.map((m) => m.text)).toEqual(['before the cut']);
    const again = { alice: await openSocket(server.url, before.alice), bob: await openSocket(server.url, before.bob) };
    for (const socket of Object.values(again)) {
      socket.send({ type: 'join', token: before.token, after: history[0]!.id });
      await socket.next('joined');
    }
    await expectDelivered(before.alice, before.token, again.bob, 'after the cut');
    await expectDelivered(before.bob, before.token, again.alice, 'and back');
    const after = await pair('cutback');
    await expectDelivered(after.bob, after.token, after.sockets.alice, 'a new pair');
    for (const socket of [...Object.values(again), ...Object.values(after.sockets)]) await socket.close();
    expect(server.output()).not.toMatch(/"status":500|ERR_INTERNAL/);
  });

  it('gives up on a database that accepts connections and never answers (connect timeout)', async () => {
    const alice = await newStranger(server.url);
    await proxy.blackhole();
    try {
      const started = Date.now();
      expectUnavailable(await request(server.url, '/v1/portal/session', { cookie: alice }), 'hanging database');
      // The connect timeout (1 s here), not a hang.
      expect(Date.now() - started).toBeLessThan(10_000);
      const down = await waitFor(health, (r) => r.status === 503, 'health down');
      expect(down.json).toMatchObject({ status: 'degraded', db: 'down' });
    } finally {
      await proxy.restore();
    }
    await waitFor(health, (r) => r.status === 200, 'health back');
    expect((await request(server.url, '/v1/portal/session', { cookie: alice })).status).toBe(200);
    expect(server.output()).not.toMatch(/"status":500|ERR_INTERNAL/);
  });

  it('stops a statement that runs past DB_STATEMENT_TIMEOUT_MS (503), and the next one works', async () => {
    const alice = await newStranger(server.url);
    // Another client holds a lock every authenticated request must wait for.
    const db = await openDatabase(target.url, { poolSize: 1 });
    if (db.provider !== 'postgresql') throw new Error('expected PostgreSQL');
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      expectUnavailable(await request(server.url, '/v1/portal/session', { cookie: alice }), 'statement timeout');
      expect(Date.now() - started).toBeLessThan(10_000);
      await blocker.query('ROLLBACK');
      expect((await request(server.url, '/v1/portal/session', { cookie: alice })).status).toBe(200);
    } finally {
      blocker.release();
      await db.close();
    }
    expect(server.output()).not.toMatch(/"status":500|ERR_INTERNAL/);
  });
});

// NATS lost (PORTAL_BUS_URL), the database up: requests are served, live events stop,
// health says the bus is down; when NATS is back the sockets are told to catch up.
// The machine's NATS is never stopped: a TCP proxy in front of it is cut and restored.
describe.skipIf(pgSkip || !(await natsAvailable()))('NATS down beside PostgreSQL', () => {
  let target: TestDatabaseUrl;
  let proxy: TcpProxy;
  let server: RunningServer;

  beforeAll(async () => {
    target = await createTestDatabaseUrl('postgresql');
    const nats = new URL(natsTestUrl());
    proxy = await startTcpProxy({ host: nats.hostname, port: Number(nats.port || 4222) });
    server = await startServer({
      DATABASE_URL: target.url,
      PORTAL_API_ONLY: 'true',
      PORTAL_BUS_URL: `nats://127.0.0.1:${proxy.port}`,
      PORTAL_BUS_SUBJECT: `portal.test.${randomUUID()}`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await target?.destroy();
  });

  const health = () => request(server.url, '/v1/portal/health');

  it('reports the bus down while NATS is gone, then resyncs the sockets and delivers live again', async () => {
    const before = await pairOn(server.url, 'natscut');
    await expectDeliveredOn(server.url, before.alice, before.token, before.sockets.bob, 'before the cut');

    await proxy.cut();
    const down = await waitFor(health, (r) => r.json?.bus === 'down', 'health down');
    expect({ status: down.status, body: down.json }).toEqual({
      status: 503,
      body: { status: 'degraded', db: 'ok', bus: 'down' },
    });
    // The database answers: a message is stored (its live event waits for NATS, or is lost).
    const sent = await request(server.url, `/v1/portal/chats/${before.token}/messages`, {
      method: 'POST',
      cookie: before.bob,
      body: { text: 'while NATS is away' },
    });
    expect(sent.status).toBe(201);

    await proxy.restore();
    const up = await waitFor(health, (r) => r.status === 200, 'health back');
    expect(up.json).toEqual({ status: 'ok', db: 'ok', bus: 'ok' });
    expect((await before.sockets.alice.closed).code).toBe(1012);
    expect((await before.sockets.bob.closed).code).toBe(1012);
    expect(server.output()).toMatch(/event bus \(NATS\) lost its connection/);
    expect(server.output()).toMatch(/event bus \(NATS\) listening again/);

    // Catching up with `after` finds what was written meanwhile; live events flow again.
    const chat = await request(server.url, `/v1/portal/chats/${before.token}`, { cookie: before.alice });
    const history = chat.json.messages as { id: number; text: string }[];
    expect(history.map((m) => m.text)).toEqual(['before the cut', 'while NATS is away']);
    const again = { alice: await openSocket(server.url, before.alice), bob: await openSocket(server.url, before.bob) };
    for (const socket of Object.values(again)) {
      socket.send({ type: 'join', token: before.token, after: history[0]!.id });
      expect((await socket.next('joined')).messages.map((m) => m.text)).toEqual(['while NATS is away']);
    }
    await expectDeliveredOn(server.url, before.alice, before.token, again.bob, 'after the cut');
    for (const socket of Object.values(again)) await socket.close();
    expect(server.output()).not.toMatch(/"status":500|ERR_INTERNAL/);
  });
});

describe('the database busy on SQLite', () => {
  let target: TestDatabaseUrl;
  let server: RunningServer;
  beforeAll(async () => {
    target = await createTestDatabaseUrl('sqlite');
    server = await startServer({ ...TIMEOUTS, DATABASE_URL: target.url, PORTAL_API_ONLY: 'true' });
  });
  afterAll(async () => {
    await server?.stop();
    await target?.destroy();
  });

  it('answers 503 with Retry-After when a write waits past the busy timeout, then recovers', async () => {
    const alice = await newStranger(server.url);
    // Another process holding the write lock (a backup, an operator's command).
    const db = await openDatabase(target.url);
    if (db.provider !== 'sqlite') throw new Error('expected SQLite');
    const other = db.sqlite;
    try {
      other.exec('BEGIN IMMEDIATE');
      expectUnavailable(await request(server.url, '/v1/portal/session', { method: 'POST' }), 'new session');
      expectUnavailable(
        await request(server.url, '/v1/portal/match', { method: 'POST', cookie: alice, body: { interests: ['busy'] } }),
        'enqueue',
      );
      // Reads go on (WAL): the session itself still answers.
      expect((await request(server.url, '/v1/portal/session', { cookie: alice })).status).toBe(200);
      other.exec('ROLLBACK');
    } finally {
      await db.close();
    }
    expect((await request(server.url, '/v1/portal/session', { method: 'POST' })).status).toBe(201);
    expect(
      (await request(server.url, '/v1/portal/match', { method: 'POST', cookie: alice, body: { interests: ['busy'] } }))
        .status,
    ).toBe(200);
    expect(server.output()).not.toMatch(/"status":500|ERR_INTERNAL/);
    expectError(await request(server.url, '/v1/portal/nope'), 404, 'ERR_NOT_FOUND');
  });
});
