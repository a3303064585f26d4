import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { expectError, newStranger, request, startServer, type RunningServer } from './server.ts';
import { openSocket } from './socket-client.ts';

const API_ONLY = { PORTAL_API_ONLY: 'true' };

describe('operations on SQLite', () => {
  let target: TestDatabaseUrl;
  beforeAll(async () => {
    target = await createTestDatabaseUrl('sqlite');
  });
  afterAll(() => target?.destroy());

  it('limits new sessions per IP and requests per session, with Retry-After', async () => {
    const server = await startServer({
      ...API_ONLY,
      DATABASE_URL: target.url,
      PORTAL_RATE_LIMITS: 'on',
      RATE_LIMIT_SESSIONS_PER_MINUTE: '3',
      RATE_LIMIT_PER_MINUTE: '5',
    });
    try {
      const tokens = [await newStranger(server.url), await newStranger(server.url), await newStranger(server.url)];
      const limited = await request(server.url, '/v1/portal/session', { method: 'POST' });
      expect(limited.status).toBe(429);
      expect(limited.json).toEqual({ error: 'ERR_RATE_LIMITED', message: expect.any(String) });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // A caller who already has a session is not creating one.
      expect((await request(server.url, '/v1/portal/session', { method: 'POST', cookie: tokens[0] })).status).toBe(200);

      const polls = [];
      for (let i = 0; i < 6; i++)
        polls.push(await request(server.url, '/v1/portal/match/status', { cookie: tokens[1] }));
      expect(polls.slice(0, 5).every((r) => r.status === 200)).toBe(true);
      expect(polls[5]!.status).toBe(429);
      expect(polls[5]!.headers['retry-after']).toBeDefined();
      // Another session has its own allowance, shared by its socket; a refused frame says which chat it was for.
      expect((await request(server.url, '/v1/portal/match/status', { cookie: tokens[2] })).status).toBe(200);
      const socket = await openSocket(server.url, tokens[2]!);
      for (let i = 0; i < 5; i++) socket.send({ type: 'typing', token: 'some-chat' });
      expect(await socket.next('error', (e) => e.error === 'ERR_RATE_LIMITED')).toMatchObject({ token: 'some-chat' });
      await socket.close();
    } finally {
      await server.stop();
    }
  });

  it('marks the cookie Secure behind a trusted https proxy', async () => {
    const server = await startServer({ ...API_ONLY, DATABASE_URL: target.url, PORTAL_TRUST_PROXY: 'true' });
    try {
      const reply = await request(server.url, '/v1/portal/session', {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
      });
      expect(reply.status).toBe(201);
      expect(String(reply.headers['set-cookie'])).toMatch(/; Secure/);
      const origin = await request(server.url, '/v1/portal/session', {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https', origin: `http://127.0.0.1:${server.port}` },
      });
      expect(origin.status).toBe(403);
    } finally {
      await server.stop();
    }
  });

  it('speaks tRPC at /api/trpc with the same error codes', async () => {
    const server = await startServer({ ...API_ONLY, DATABASE_URL: target.url });
    try {
      const anonymous = await request(server.url, '/api/trpc/session.get');
      expect(anonymous.status).toBe(401);
      expect(anonymous.json.error.data.appCode).toBe('ERR_UNAUTHENTICATED');
      expect(JSON.stringify(anonymous.json)).not.toContain('stack');

      const me = await newStranger(server.url);
      const bad = await request(server.url, '/api/trpc/match.enqueue', {
        method: 'POST',
        cookie: me,
        body: { interests: ['NO'] },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.error.data.appCode).toBe('ERR_MATCH_UNSUPPORTED_INTEREST');

      const ok = await request(server.url, '/api/trpc/match.enqueue', {
        method: 'POST',
        cookie: me,
        body: { interests: ['rpchttp'] },
      });
      expect(ok.json.result.data).toMatchObject({ state: 'searching', interests: ['rpchttp'] });
      const foreign = await request(server.url, '/api/trpc/match.cancel', {
        method: 'POST',
        cookie: me,
        body: {},
        headers: { origin: 'http://evil.example' },
      });
      expect(foreign.status).toBe(403);
      expect(foreign.json).toEqual({ error: 'ERR_BAD_ORIGIN', message: expect.any(String) });
    } finally {
      await server.stop();
    }
  });

  it('shuts down gracefully on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = await startServer({ ...API_ONLY, DATABASE_URL: target.url });
      await newStranger(server.url);
      expect(await server.stop(signal)).toBe(0);
      expect(server.output()).toContain('"msg":"stopped"');
    }
  });

  it('refuses a malformed configuration at start', async () => {
    await expect(startServer({ DATABASE_URL: 'mysql://nope' })).rejects.toThrow(/DATABASE_URL/);
    await expect(startServer({ DATABASE_URL: target.url, PORTAL_BUS_URL: 'redis://nope' })).rejects.toThrow(
      /PORTAL_BUS_URL/,
    );
    // NATS carries events between instances, and SQLite has one.
    await expect(
      startServer({ ...API_ONLY, DATABASE_URL: target.url, PORTAL_BUS_URL: 'nats://127.0.0.1:4222' }),
    ).rejects.toThrow(/PORTAL_BUS_URL needs PostgreSQL/);
  });
});

const pgSkip = !(await postgresAvailable());

describe.skipIf(pgSkip)('operations on PostgreSQL', () => {
  it('keeps matching exactly-once across two server instances on one database', async () => {
    const target = await createTestDatabaseUrl('postgresql');
    const env = { ...API_ONLY, DATABASE_URL: target.url, PG_POOL_SIZE: '10' };
    const servers: RunningServer[] = [await startServer(env), await startServer(env)];
    try {
      const people = await Promise.all(Array.from({ length: 120 }, (_, i) => newStranger(servers[i % 2]!.url)));
      const replies = await Promise.all(
        people.map((p, i) =>
          request(servers[i % 2]!.url, '/v1/portal/match', {
            method: 'POST',
            cookie: p,
            body: { interests: ['twoinst'] },
          }),
        ),
      );
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(replies.filter((r) => r.json.state === 'matched')).toHaveLength(60);
      const statuses = await Promise.all(
        people.map((p, i) => request(servers[(i + 1) % 2]!.url, '/v1/portal/match/status', { cookie: p })),
      );
      const perToken = new Map<string, number>();
      for (const s of statuses) perToken.set(s.json.token, (perToken.get(s.json.token) ?? 0) + 1);
      expect(perToken.size).toBe(60);
      expect([...perToken.values()].every((n) => n === 2)).toBe(true);
    } finally {
      for (const server of servers) await server.stop();
      await target.destroy();
    }
  });

  it('reports 503 from health when the database goes away, and never crashes', async () => {
    const target = await createTestDatabaseUrl('postgresql');
    const server = await startServer({ ...API_ONLY, DATABASE_URL: target.url });
    try {
      const me = await newStranger(server.url);
      expect((await request(server.url, '/v1/portal/health')).status).toBe(200);
      await target.destroy();
      const health = await request(server.url, '/v1/portal/health');
      expect({ status: health.status, body: health.json }).toEqual({
        status: 503,
        body: { status: 'degraded', db: 'down', bus: expect.stringMatching(/^(ok|down)$/) },
      });
      const status = await request(server.url, '/v1/portal/match/status', { cookie: me });
      expectError(status, 503, 'ERR_UNAVAILABLE');
      expect(Number(status.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(server.child.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  });
});
