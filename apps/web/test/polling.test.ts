import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchStateEtag } from '@portal/contracts';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import {
  cookieOf,
  expectError,
  newStranger,
  request,
  runCli,
  startServer,
  type Reply,
  type RunningServer,
} from './server.ts';

// SPEC §9 "Cheap polling": GET /match/status with an ETag, 304 on If-None-Match, and
// requests held with ?wait until the state changes on any instance.

const STATUS = '/v1/portal/match/status';
const PASSWORD = 'a long password';
/** SPEC §9: a held request returns within 100 ms of the change. */
const PROMPT_MS = 100;

interface Timed {
  reply: Reply;
  /** performance.now() when the answer had fully arrived. */
  at: number;
}

const timed = async (pending: Promise<Reply>): Promise<Timed> => {
  const reply = await pending;
  return { reply, at: performance.now() };
};

/** Status requests held by this server now (its metrics gauge): a test waits for the hold, never sleeps. */
async function waitUntilHeld(server: RunningServer, count: number): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 10_000;) {
    const metrics = await request(server.url, '/v1/portal/metrics');
    const held = /^portal_status_held (\d+)$/m.exec(metrics.text)?.[1];
    if (Number(held) === count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${server.url} never held ${count} status requests`);
}

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`cheap status polling over REST on ${provider}`, () => {
    let target: TestDatabaseUrl;
    /** Holds the requests. */
    let server: RunningServer;
    /** Makes the changes: on PostgreSQL a second instance on the same database. */
    let other: RunningServer;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const env = { DATABASE_URL: target.url, PORTAL_API_ONLY: 'true', PORTAL_RATE_LIMITS: 'off' };
      server = await startServer(env);
      other = provider === 'postgresql' ? await startServer(env) : server;
    });
    afterAll(async () => {
      if (other !== server) await other?.stop();
      await server?.stop();
      await target?.destroy();
    });

    let n = 0;
    const tag = () => `poll${++n}${provider[0]}`;
    const status = (cookie: string, headers: Record<string, string> = {}, query = '', at = server.url) =>
      request(at, `${STATUS}${query}`, { cookie, headers });
    const hold = (cookie: string, etag: string, wait: number, at = server.url) =>
      timed(status(cookie, { 'if-none-match': etag }, `?wait=${wait}`, at));
    const post = (path: string, cookie: string, body?: unknown, at = other.url) =>
      request(at, path, { method: 'POST', cookie, body });
    async function current(cookie: string): Promise<{ etag: string; json: unknown }> {
      const reply = await status(cookie);
      expect(reply.status).toBe(200);
      const etag = String(reply.headers.etag);
      return { etag, json: reply.json };
    }
    async function searching(cookie: string, t = tag()): Promise<string> {
      const reply = await post('/v1/portal/match', cookie, { interests: [t] }, server.url);
      expect(reply.json.state).toBe('searching');
      return t;
    }
    /** The held answer came within PROMPT_MS of the change's own answer (the change happened before that). */
    const expectPrompt = (held: Timed, changeAnsweredAt: number) =>
      expect(held.at - changeAnsweredAt).toBeLessThanOrEqual(PROMPT_MS);

    it('tags every answer with the state: 304 with no body for the current tag, at once; 200 for another', async () => {
      const me = await newStranger(server.url);
      const idle = await status(me);
      expect(idle.status).toBe(200);
      expect(idle.json).toEqual({ state: 'idle' });
      // The tag is the one the web client computes from the state it holds (tRPC carries no headers).
      expect(idle.headers.etag).toBe(matchStateEtag(idle.json));
      expect(idle.headers['cache-control']).toBe('no-store');

      const started = performance.now();
      const same = await status(me, { 'if-none-match': String(idle.headers.etag) });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(same.status).toBe(304);
      expect(same.text).toBe('');
      expect(same.headers.etag).toBe(idle.headers.etag);
      expect(same.headers['content-type']).toBeUndefined();
      // Weak and listed forms name it too (RFC 9110 compares If-None-Match weakly).
      expect((await status(me, { 'if-none-match': `"nope", W/${String(idle.headers.etag)}` })).status).toBe(304);

      await searching(me);
      const changed = await status(me, { 'if-none-match': String(idle.headers.etag) });
      expect(changed.status).toBe(200);
      expect(changed.json.state).toBe('searching');
      expect(changed.headers.etag).toBe(matchStateEtag(changed.json));
      expect(changed.headers.etag).not.toBe(idle.headers.etag);

      // `wait` without If-None-Match (or with a stale tag): the client lacks the state, so it gets it at once.
      for (const headers of [{}, { 'if-none-match': String(idle.headers.etag) }] as Record<string, string>[]) {
        const began = performance.now();
        const reply = await status(me, headers, '?wait=30');
        expect(reply.status).toBe(200);
        expect(performance.now() - began).toBeLessThan(1000);
      }
      await request(server.url, '/v1/portal/match', { method: 'DELETE', cookie: me });
    });

    it('refuses a bad wait and any other query parameter with 400, before holding anything', async () => {
      const me = await newStranger(server.url);
      const { etag } = await current(me);
      for (const query of [
        '?wait=0',
        '?wait=31',
        '?wait=1.5',
        '?wait=abc',
        '?wait=-1',
        '?wait=',
        '?x=1',
        '?wait=5&x=1',
      ]) {
        const began = performance.now();
        expectError(await status(me, { 'if-none-match': etag }, query), 400, 'ERR_BAD_REQUEST');
        expectError(await status(me, {}, query), 400, 'ERR_BAD_REQUEST');
        expect(performance.now() - began).toBeLessThan(2000);
      }
      expectError(
        await request(server.url, `${STATUS}?wait=5`, { headers: { 'if-none-match': etag } }),
        401,
        'ERR_UNAUTHENTICATED',
      );
    });

    it('holds until the wait passes, then 304 with the tag', async () => {
      const me = await newStranger(server.url);
      const { etag } = await current(me);
      const began = performance.now();
      const held = await hold(me, etag, 1);
      expect(held.reply.status).toBe(304);
      expect(held.reply.text).toBe('');
      expect(held.reply.headers.etag).toBe(etag);
      expect(held.at - began).toBeGreaterThanOrEqual(1000);
      expect(held.at - began).toBeLessThan(1000 + 500);
    });

    it(`answers a held search when a match is made${provider === 'postgresql' ? ' on the other instance' : ''}`, async () => {
      const alice = await newStranger(server.url);
      const bob = await newStranger(server.url);
      const t = await searching(alice);
      const { etag } = await current(alice);
      const pending = hold(alice, etag, 20);
      await waitUntilHeld(server, 1);
      const matched = await timed(post('/v1/portal/match', bob, { interests: [t] }));
      expect(matched.reply.json.state).toBe('matched');
      const held = await pending;
      expect(held.reply.status).toBe(200);
      expect(held.reply.json).toMatchObject({ state: 'matched', token: matched.reply.json.token });
      expect(held.reply.headers.etag).toBe(matchStateEtag(held.reply.json));
      expectPrompt(held, matched.at);
      await waitUntilHeld(server, 0);
    });

    it('answers a held search when the same session cancels from another tab', async () => {
      const me = await newStranger(server.url);
      await searching(me);
      const { etag } = await current(me);
      const pending = hold(me, etag, 20);
      await waitUntilHeld(server, 1);
      const cancelled = await timed(request(other.url, '/v1/portal/match', { method: 'DELETE', cookie: me }));
      expect(cancelled.reply.status).toBe(200);
      const held = await pending;
      expect(held.reply.status).toBe(200);
      expect(held.reply.json).toEqual({ state: 'idle' });
      expectPrompt(held, cancelled.at);
      // A cancel with no search to end changes nothing and wakes nothing.
      const again = hold(me, String(held.reply.headers.etag), 1);
      await waitUntilHeld(server, 1);
      expect((await request(other.url, '/v1/portal/match', { method: 'DELETE', cookie: me })).status).toBe(200);
      expect((await again).reply.status).toBe(304);
    });

    it('answers a held search idle when a search again meets the slot limit, which ends it', async () => {
      // One free account, two devices: the first waits, the second fills the one chat slot.
      const username = `ps${provider[0]}${Date.now().toString(36)}`;
      const waiter = cookieOf(
        await post('/v1/portal/auth/register', await newStranger(server.url), { username, password: PASSWORD }),
      )!;
      const device = cookieOf(
        await post('/v1/portal/auth/login', await newStranger(server.url), { username, password: PASSWORD }),
      )!;
      const t = tag();
      await searching(waiter, t);
      const pending = hold(waiter, (await current(waiter)).etag, 20);
      await waitUntilHeld(server, 1);
      const u = tag();
      await searching(device, u);
      expect((await post('/v1/portal/match', await newStranger(server.url), { interests: [u] })).json.state).toBe(
        'matched',
      );
      // The slot filled on the other device; this one's waiting search cannot lead to a chat any more.
      expect((await status(waiter)).json.state).toBe('searching');
      const refused = await timed(post('/v1/portal/match', waiter, { interests: [t] }));
      expectError(refused.reply, 409, 'ERR_MATCH_SLOT_LIMIT');
      const held = await pending;
      expect(held.reply.status).toBe(200);
      expect(held.reply.json).toEqual({ state: 'idle' });
      expectPrompt(held, refused.at);
    });

    it("answers the partner's held matched state when a chat is blocked", async () => {
      const alice = await newStranger(server.url);
      const bob = await newStranger(server.url);
      const t = await searching(alice);
      const token = (await post('/v1/portal/match', bob, { interests: [t] })).json.token as string;
      const { etag, json } = await current(bob);
      expect(json).toMatchObject({ state: 'matched', token });
      const pending = hold(bob, etag, 20);
      await waitUntilHeld(server, 1);
      const blocked = await timed(post(`/v1/portal/chats/${token}/block`, alice));
      expect(blocked.reply.json).toEqual({ blocked: true });
      const held = await pending;
      expect(held.reply.status).toBe(200);
      expect(held.reply.json).toEqual({ state: 'idle' });
      expectPrompt(held, blocked.at);
    });

    it('answers a held request with 401 when its session signs out or is deleted, and idle when blocked', async () => {
      // Logout with the same cookie, from another tab.
      const alice = await newStranger(server.url);
      await searching(alice);
      const pending = hold(alice, (await current(alice)).etag, 20);
      await waitUntilHeld(server, 1);
      const out = await timed(post('/v1/portal/auth/logout', alice));
      expect(out.reply.status).toBe(204);
      const held = await pending;
      expectError(held.reply, 401, 'ERR_UNAUTHENTICATED');
      expectPrompt(held, out.at);

      // A stranger deletes their person.
      const bob = await newStranger(server.url);
      await searching(bob);
      const bobHeld = hold(bob, (await current(bob)).etag, 20);
      await waitUntilHeld(server, 1);
      const deleted = await timed(request(other.url, '/v1/portal/account', { method: 'DELETE', cookie: bob }));
      expect(deleted.reply.status).toBe(204);
      expectError((await bobHeld).reply, 401, 'ERR_UNAUTHENTICATED');
      expectPrompt(await bobHeld, deleted.at);

      // A moderator blocks a searching stranger: the search is gone, the session still reads its status.
      const modName = `pm${provider[0]}${Date.now().toString(36)}`;
      const registered = await post('/v1/portal/auth/register', await newStranger(server.url), {
        username: modName,
        password: PASSWORD,
      });
      const moderator = cookieOf(registered)!;
      expect((await runCli(target.url, ['role', 'set', modName, 'moderator'])).code).toBe(0);
      const carol = await newStranger(server.url);
      await searching(carol);
      const carolId = (await request(server.url, '/v1/portal/session', { cookie: carol })).json.id as string;
      const carolHeld = hold(carol, (await current(carol)).etag, 20);
      await waitUntilHeld(server, 1);
      const block = await timed(post(`/v1/portal/moderation/sessions/${carolId}/block`, moderator, { reason: 'spam' }));
      expect(block.reply.status).toBe(200);
      const answer = await carolHeld;
      expect(answer.reply.status).toBe(200);
      expect(answer.reply.json).toEqual({ state: 'idle' });
      expectPrompt(answer, block.at);
    });

    it('holds over tRPC too: the state comes back, same or new, and the client compares', async () => {
      const me = await newStranger(server.url);
      const { etag, json } = await current(me);
      const input = encodeURIComponent(JSON.stringify({ wait: 1 }));
      const began = performance.now();
      const reply = await request(server.url, `/api/trpc/match.status?input=${input}`, {
        cookie: me,
        headers: { 'if-none-match': etag },
      });
      expect(reply.status).toBe(200);
      expect(reply.json.result.data).toEqual(json);
      expect(matchStateEtag(reply.json.result.data)).toBe(etag);
      expect(performance.now() - began).toBeGreaterThanOrEqual(1000);
    });
  });

  describe.skipIf(skip)(`held status requests at the edges on ${provider}`, () => {
    let target: TestDatabaseUrl;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
    });
    afterAll(() => target?.destroy());

    it('answers a held search idle at its queue deadline', async () => {
      const server = await startServer({
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
        MATCH_QUEUE_TTL_SECONDS: '2',
      });
      try {
        const me = await newStranger(server.url);
        const enqueued = await request(server.url, '/v1/portal/match', {
          method: 'POST',
          cookie: me,
          body: { interests: [`dl${provider[0]}`] },
        });
        expect(enqueued.json.state).toBe('searching');
        const deadline = Date.parse(enqueued.json.expires_at as string);
        const etag = String((await request(server.url, STATUS, { cookie: me })).headers.etag);
        const held = await request(server.url, `${STATUS}?wait=10`, { cookie: me, headers: { 'if-none-match': etag } });
        const answeredAt = Date.now();
        expect(held.status).toBe(200);
        expect(held.json).toEqual({ state: 'idle' });
        expect(answeredAt).toBeGreaterThanOrEqual(deadline);
        expect(answeredAt - deadline).toBeLessThanOrEqual(PROMPT_MS);
      } finally {
        await server.stop();
      }
    });

    it('counts a held request once against the rate limit', async () => {
      const server = await startServer({
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
        PORTAL_RATE_LIMITS: 'on',
        RATE_LIMIT_PER_MINUTE: '4',
      });
      try {
        const me = await newStranger(server.url);
        const { headers } = await request(server.url, STATUS, { cookie: me }); // 1
        const etag = String(headers.etag);
        const held = await request(server.url, `${STATUS}?wait=2`, { cookie: me, headers: { 'if-none-match': etag } }); // 2
        expect(held.status).toBe(304);
        expect((await request(server.url, STATUS, { cookie: me })).status).toBe(200); // 3
        expect((await request(server.url, STATUS, { cookie: me })).status).toBe(200); // 4
        const refused = await request(server.url, STATUS, { cookie: me });
        expectError(refused, 429, 'ERR_RATE_LIMITED');
        expect(refused.headers['retry-after']).toBeDefined();
      } finally {
        await server.stop();
      }
    });

    it('answers held requests at once when the server shuts down, so that it stops without waiting', async () => {
      const server = await startServer({
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
        SHUTDOWN_GRACE_SECONDS: '60',
      });
      const me = await newStranger(server.url);
      const etag = String((await request(server.url, STATUS, { cookie: me })).headers.etag);
      const held = request(server.url, `${STATUS}?wait=30`, { cookie: me, headers: { 'if-none-match': etag } });
      await waitUntilHeld(server, 1);
      const began = performance.now();
      expect(await server.stop()).toBe(0);
      expect(performance.now() - began).toBeLessThan(5000);
      const reply = await held;
      expect(reply.status).toBe(304);
      expect(reply.headers.etag).toBe(etag);
    });
  });
}
