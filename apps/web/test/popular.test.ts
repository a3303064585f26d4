import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { expectError, newStranger, request, startServer, type Reply, type RunningServer } from './server.ts';

const PATH = '/v1/portal/interests/popular';
const API_ONLY = { PORTAL_API_ONLY: 'true' };

/** Asks until `done` holds (the numbers are at most 5 s old), then returns the answer and how long it took. */
async function until(ask: () => Promise<Reply>, done: (reply: Reply) => boolean, withinMs: number) {
  const started = Date.now();
  for (;;) {
    const reply = await ask();
    if (done(reply)) return { reply, ms: Date.now() - started };
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms: ${reply.status} ${reply.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// SPEC §9 "What is happening now" over real HTTP. On PostgreSQL two instances share the
// tables: people search on one, the other lists the tag.
for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`GET ${PATH} on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let servers: RunningServer[] = [];
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const env = { ...API_ONLY, DATABASE_URL: target.url };
      servers = [await startServer(env)];
      if (provider === 'postgresql') servers.push(await startServer(env));
    });
    afterAll(async () => {
      for (const server of servers) await server.stop();
      await target?.destroy();
    });

    const searchOn = async (base: string, cookie: string, tag: string, stay = false) => {
      const reply = await request(base, '/v1/portal/match', { method: 'POST', cookie, body: { interests: [tag] } });
      expect(reply.json.state).toBe('searching');
      if (!stay) expect((await request(base, '/v1/portal/match', { method: 'DELETE', cookie })).status).toBe(200);
    };

    it('needs no session, may be cached for 2 s, and starts empty', async () => {
      const base = servers[0]!.url;
      const reply = await request(base, PATH);
      expect(reply.status).toBe(200);
      expect(reply.headers['cache-control']).toBe('public, max-age=2');
      expect(reply.headers['set-cookie']).toBeUndefined();
      expect(reply.json).toEqual({ interests: [], generated_at: expect.any(String) });
      expect(Math.abs(Date.parse(reply.json.generated_at) - Date.now())).toBeLessThan(5_000);
      // A cookie changes nothing: an unknown one is not a 401, a real one gets the same list.
      expect((await request(base, PATH, { cookie: 'not-a-session' })).json).toEqual({
        interests: [],
        generated_at: expect.any(String),
      });
      expect((await request(base, PATH, { cookie: await newStranger(base) })).status).toBe(200);
      // tRPC, as the web app calls it: no session either (tRPC answers are never cached).
      const rpc = await request(base, `/api/trpc/interests.popular?input=${encodeURIComponent('{}')}`);
      expect(rpc.status).toBe(200);
      expect(rpc.json.result.data.interests).toEqual([]);
      expect(rpc.headers['cache-control']).toBe('no-store');
    });

    it('refuses any query parameter with 400, never cached', async () => {
      const base = servers[0]!.url;
      for (const query of ['?limit=5', '?tag=music', '?wait=1', '?input=%7B%7D']) {
        const reply = await request(base, `${PATH}${query}`);
        expectError(reply, 400, 'ERR_BAD_REQUEST');
        expect(reply.headers['cache-control'], query).toBe('no-store');
      }
      expectError(await request(base, PATH, { method: 'POST', body: {} }), 404, 'ERR_NOT_FOUND');
    });

    it('lists a tag within 5 s of its third searcher, with the people waiting on it', async () => {
      const [first, last] = [servers[0]!.url, servers.at(-1)!.url];
      const tag = `http${Date.now().toString(36).slice(-6)}`;
      await searchOn(first, await newStranger(first), tag);
      await searchOn(first, await newStranger(first), tag);
      expect((await request(last, PATH)).json.interests).toEqual([]);
      // The third person, on the other instance where there are two, stays in the queue.
      await searchOn(last, await newStranger(last), tag, true);
      const listed = (reply: Reply) => reply.json.interests.length > 0;
      for (const base of new Set([first, last])) {
        const { reply, ms } = await until(() => request(base, PATH), listed, 5_000);
        expect(ms).toBeLessThan(5_000);
        expect(reply.headers['cache-control']).toBe('public, max-age=2');
        expect(reply.json.interests).toEqual([{ tag, waiting: 1, matches_last_hour: 0, median_wait_seconds: null }]);
      }

      // A fourth person takes the one waiting: one match, nobody waiting.
      const matched = await request(first, '/v1/portal/match', {
        method: 'POST',
        cookie: await newStranger(first),
        body: { interests: [tag] },
      });
      expect(matched.json.state).toBe('matched');
      const { reply } = await until(
        () => request(last, PATH),
        (r) => r.json.interests[0]?.matches_last_hour === 1,
        5_000,
      );
      expect(reply.json.interests).toEqual([{ tag, waiting: 0, matches_last_hour: 1, median_wait_seconds: null }]);
    });
  });
}
