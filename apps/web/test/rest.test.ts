import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { expectError, newStranger, request, startServer, type RunningServer } from './server.ts';

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`REST over HTTP against the production server on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    let db: Database;
    let base: string;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      server = await startServer({
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'false',
        PG_POOL_SIZE: '20',
      });
      base = server.url;
      db = await openDatabase(target.url);
    });
    afterAll(async () => {
      await db?.close();
      await server?.stop();
      await target?.destroy();
    });

    const post = (path: string, cookie: string | null, body?: unknown, headers?: Record<string, string>) =>
      request(base, path, { method: 'POST', cookie, body, headers });
    const enqueue = (cookie: string | null, interests: unknown) => post('/v1/portal/match', cookie, { interests });
    const sessionId = async (cookie: string) =>
      (await request(base, '/v1/portal/session', { cookie })).json.id as string;
    const entries = (id: string) => db.prisma.queueEntry.count({ where: { sessionId: id } });

    it('creates a session with a hardened cookie, then returns it', async () => {
      const created = await post('/v1/portal/session', null);
      expect(created.status).toBe(201);
      const cookie = String(created.headers['set-cookie']);
      expect(cookie).toMatch(/^psession=[A-Za-z0-9_-]{43}; /);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).toContain('Path=/');
      expect(cookie).not.toContain('Secure');
      const token = /psession=([^;]+)/.exec(cookie)![1]!;
      expect(created.json).toEqual({
        id: expect.any(String),
        kind: 'stranger',
        plan: 'free',
        role: 'user',
        active_chats: 0,
        chat_limit: 1,
      });

      const again = await post('/v1/portal/session', token, {});
      expect(again.status).toBe(200);
      expect(again.headers['set-cookie']).toBeUndefined();
      expect(again.json).toEqual(created.json);
      expect((await request(base, '/v1/portal/session', { cookie: token })).json).toEqual(created.json);
      expectError(await request(base, '/v1/portal/session'), 401, 'ERR_UNAUTHENTICATED');
      expectError(await request(base, '/v1/portal/session', { cookie: 'forged' }), 401, 'ERR_UNAUTHENTICATED');
      expectError(await request(base, '/v1/portal/session', { cookie: '%E0%A4' }), 401, 'ERR_UNAUTHENTICATED');
    });

    it('matches two people over REST, exactly as the seed page describes', async () => {
      const alice = await newStranger(base);
      const bob = await newStranger(base);
      const searching = await enqueue(alice, ['gaming', 'music']);
      expect(searching.status).toBe(200);
      expect(searching.json).toEqual({
        state: 'searching',
        interests: ['gaming', 'music'],
        expires_at: expect.any(String),
      });
      expect(Date.parse(searching.json.expires_at) - Date.now()).toBeGreaterThan(55_000);
      expect((await request(base, '/v1/portal/match/status', { cookie: alice })).json).toEqual(searching.json);

      const matched = await enqueue(bob, ['music']);
      expect(matched.json).toEqual({
        state: 'matched',
        token: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        matched_interest: 'music',
        common_interests: ['music'],
        expires_at: expect.any(String),
      });
      expect((await request(base, '/v1/portal/match/status', { cookie: alice })).json).toEqual(matched.json);
      expect((await request(base, '/v1/portal/session', { cookie: bob })).json.active_chats).toBe(1);
      expectError(await enqueue(bob, ['other']), 409, 'ERR_MATCH_SLOT_LIMIT');
    });

    it('applies the documented check order on POST /match', async () => {
      expectError(await enqueue(null, ['BAD TAG']), 401, 'ERR_UNAUTHENTICATED');
      expectError(
        await post('/v1/portal/match', null, '{not json', { 'content-type': 'application/json' }),
        401,
        'ERR_UNAUTHENTICATED',
      );

      const me = await newStranger(base);
      const id = await sessionId(me);
      expect((await enqueue(me, ['order'])).json.state).toBe('searching');
      expectError(await enqueue(me, ['BAD']), 400, 'ERR_MATCH_UNSUPPORTED_INTEREST');
      expectError(await enqueue(me, ['other']), 409, 'ERR_MATCH_ALREADY_SEARCHING');
      expect((await enqueue(me, ['order', 'order'])).json.state).toBe('searching');

      await db.prisma.session.update({ where: { id }, data: { blockedAt: new Date() } });
      expectError(await enqueue(me, ['BAD']), 403, 'ERR_STRANGER_BLOCKED');
      expectError(await enqueue(me, ['order']), 403, 'ERR_STRANGER_BLOCKED');
    });

    it('rejects bad input with the documented error and writes nothing', async () => {
      const me = await newStranger(base);
      const id = await sessionId(me);
      for (const interests of [
        [],
        ['ab'],
        ['toolongtag123'],
        ['UPPER'],
        ['a b c'],
        [1],
        [null],
        [{}],
        ['one', 'two', 'three', 'four'],
      ]) {
        expectError(await enqueue(me, interests), 400, 'ERR_MATCH_UNSUPPORTED_INTEREST');
      }
      for (const body of [
        {},
        { interests: null },
        { interests: 'music' },
        { interests: { a: 1 } },
        { interests: ['music'], extra: true },
        // Words of a database failure in the input are still the client's mistake, not a 503.
        { interests: ['music'], 'Connection terminated unexpectedly': true },
        { interests: ['music'], ECONNREFUSED: 'P1001' },
      ]) {
        expectError(await post('/v1/portal/match', me, body), 400, 'ERR_BAD_REQUEST');
      }
      for (const raw of ['{bad', '[1,2]', '"music"', 'null']) {
        expectError(
          await post('/v1/portal/match', me, raw, { 'content-type': 'application/json' }),
          400,
          'ERR_BAD_REQUEST',
        );
      }
      expectError(
        await post('/v1/portal/match', me, 'interests=music', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'ERR_UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        await post('/v1/portal/match', me, '{"interests":["music"]}', { 'content-type': 'text/plain' }),
        415,
        'ERR_UNSUPPORTED_MEDIA_TYPE',
      );
      const big = JSON.stringify({ interests: ['music'], pad: 'x'.repeat(17 * 1024) });
      expectError(
        await post('/v1/portal/match', me, big, { 'content-type': 'application/json' }),
        413,
        'ERR_PAYLOAD_TOO_LARGE',
      );
      expectError(
        await post('/v1/portal/match', me, { interests: ['music'] }, { origin: 'http://evil.example' }),
        403,
        'ERR_BAD_ORIGIN',
      );
      expectError(
        await post('/v1/portal/match', me, { interests: ['music'] }, { origin: 'null' }),
        403,
        'ERR_BAD_ORIGIN',
      );
      expectError(
        await request(base, '/v1/portal/match', {
          method: 'DELETE',
          cookie: me,
          headers: { origin: 'https://evil.example' },
        }),
        403,
        'ERR_BAD_ORIGIN',
      );
      expectError(await request(base, '/v1/portal/match/status?x=1', { cookie: me }), 400, 'ERR_BAD_REQUEST');
      expect(await entries(id)).toBe(0);

      expect((await post('/v1/portal/match', me, { interests: ['samesite'] }, { origin: base })).status).toBe(200);
      expect(await entries(id)).toBe(1);
    });

    it('answers unknown paths and methods with 404 ERR_NOT_FOUND', async () => {
      expectError(await request(base, '/v1/portal/nope'), 404, 'ERR_NOT_FOUND');
      expectError(await request(base, '/v1/portal/match', { method: 'PUT', body: {} }), 404, 'ERR_NOT_FOUND');
      expectError(await request(base, '/v1/portal/session', { method: 'DELETE' }), 404, 'ERR_NOT_FOUND');
    });

    it('accepts a POST without a body or content type', async () => {
      const reply = await request(base, '/v1/portal/session', { method: 'POST' });
      expect(reply.status).toBe(201);
    });

    it('leaves the queue idempotently with DELETE /match', async () => {
      const me = await newStranger(base);
      await enqueue(me, ['leaving']);
      for (let i = 0; i < 2; i++) {
        const reply = await request(base, '/v1/portal/match', { method: 'DELETE', cookie: me });
        expect({ status: reply.status, body: reply.json }).toEqual({ status: 200, body: { state: 'idle' } });
      }
      expect((await request(base, '/v1/portal/match/status', { cookie: me })).json).toEqual({ state: 'idle' });
      expectError(await request(base, '/v1/portal/match', { method: 'DELETE' }), 401, 'ERR_UNAUTHENTICATED');
    });

    it('pairs 200 parallel HTTP clients on one tag into 100 disjoint pairs', async () => {
      const people = await Promise.all(Array.from({ length: 200 }, () => newStranger(base)));
      const replies = await Promise.all(people.map((p) => enqueue(p, ['httpburst'])));
      expect(replies.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`)).toEqual([]);
      expect(replies.filter((r) => r.json.state === 'matched')).toHaveLength(100);
      const statuses = await Promise.all(people.map((p) => request(base, '/v1/portal/match/status', { cookie: p })));
      const tokens = statuses.map((s) => s.json.token as string);
      expect(tokens.every(Boolean)).toBe(true);
      const perToken = new Map<string, number>();
      for (const t of tokens) perToken.set(t, (perToken.get(t) ?? 0) + 1);
      expect(perToken.size).toBe(100);
      expect([...perToken.values()].every((n) => n === 2)).toBe(true);
    });

    it('serves health, metrics and a truthful OpenAPI document', async () => {
      expect((await request(base, '/v1/portal/health')).json).toEqual({ status: 'ok', db: 'ok', bus: 'ok' });
      const metrics = await request(base, '/v1/portal/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.text).toMatch(/portal_queue_depth\{tag="[a-z0-9]+"\} \d+/);
      expect(metrics.text).toMatch(/portal_matches_total [1-9]\d*/);
      expect(metrics.text).toContain('portal_time_to_match_seconds_bucket');
      expect(metrics.text).toContain('portal_active_chats');

      const doc = (await request(base, '/v1/openapi.json')).json;
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/portal/session',
          '/v1/portal/match',
          '/v1/portal/match/status',
          '/v1/portal/health',
          '/v1/portal/metrics',
        ]),
      );
      expect(doc.components.securitySchemes).toEqual({
        psession: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'psession' }),
        metricsToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      });
      expect(doc.components.schemas.Error.required).toEqual(['error', 'message']);
      const match = doc.paths['/v1/portal/match'];
      expect(Object.keys(match.post.responses).sort()).toEqual([
        '200',
        '400',
        '401',
        '403',
        '409',
        '413',
        '415',
        '429',
        '500',
        '503',
      ]);
      expect(match.post.responses['503'].headers['Retry-After']).toBeDefined();
      expect(match.post.security).toEqual([{ psession: [] }]);
      expect(match.delete.responses['200']).toBeDefined();
      expect(doc.paths['/v1/portal/session'].post.responses['201']).toBeDefined();
      expect(doc.paths['/v1/portal/session'].post.security).toEqual([]);
      expect(Object.keys(doc.paths['/v1/portal/blocks/{id}'].delete.responses)).toContain('204');
      expect(doc.paths['/v1/portal/blocks/{id}'].delete.responses['200']).toBeUndefined();
      expect(doc.paths['/v1/portal/health'].get.responses['503']).toBeDefined();
      expect(JSON.stringify(doc)).not.toMatch(/Authorization|"code":\{/);
    });

    it('serves the web page on the same port', async () => {
      const page = await request(base, '/');
      expect(page.status).toBe(200);
      expect(page.text).toContain('<h1>Find a partner</h1>');
      expect(page.text).toContain('Pick one to three interests');
    });
  });
}
