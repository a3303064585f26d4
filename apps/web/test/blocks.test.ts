import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { cookieOf, expectError, newStranger, request, runCli, startServer, type RunningServer } from './server.ts';
import { openSocket, type TestSocket } from './socket-client.ts';

const PASSWORD = 'a long password';

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`personal blocks over REST on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    /** On PostgreSQL a second instance on the same database: a block made on one holds on the other. */
    let other: RunningServer;
    let base: string;
    const sockets: TestSocket[] = [];
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const env = { DATABASE_URL: target.url, PORTAL_API_ONLY: 'true', PORTAL_RATE_LIMITS: 'off' };
      server = await startServer(env);
      other = provider === 'postgresql' ? await startServer(env) : server;
      base = server.url;
    });
    afterAll(async () => {
      for (const socket of sockets) await socket.close();
      if (other !== server) await other?.stop();
      await server?.stop();
      await target?.destroy();
    });

    const post = (path: string, cookie: string | null, body?: unknown, at = base) =>
      request(at, path, { method: 'POST', cookie, body });
    const del = (path: string, cookie: string | null) => request(base, path, { method: 'DELETE', cookie });
    let n = 0;
    const tag = () => `blk${++n}${provider[0]}`;
    async function pair(a: string, b: string, at = base): Promise<string> {
      const t = tag();
      expect((await post('/v1/portal/match', a, { interests: [t] }, at)).json.state).toBe('searching');
      const matched = await post('/v1/portal/match', b, { interests: [t] }, at);
      expect(matched.json.state).toBe('matched');
      return matched.json.token as string;
    }
    const blocksOf = async (cookie: string) => {
      const reply = await request(base, '/v1/portal/blocks', { cookie });
      expect(reply.status).toBe(200);
      return reply.json.blocks as { id: string; label: string; matched_interest: string; created_at: string }[];
    };

    it('ends the chat for both, lists the block, and never pairs the two again on any instance', async () => {
      const alice = await newStranger(base);
      const bob = await newStranger(base);
      const token = await pair(alice, bob);
      const bobSocket = await openSocket(other.url, bob);
      sockets.push(bobSocket);
      bobSocket.send({ type: 'join', token });
      await bobSocket.next('joined');

      const blocked = await post(`/v1/portal/chats/${token}/block`, alice);
      expect(blocked.status).toBe(200);
      expect(blocked.json).toEqual({ blocked: true });
      // The blocked person sees an ordinary end, on the other instance.
      const ended = await bobSocket.next('ended');
      expect(ended).toMatchObject({ token, reason: 'ended', by: 'partner' });
      expect((await request(base, `/v1/portal/chats/${token}`, { cookie: bob })).json.state).toBe('ended');
      expect((await request(base, '/v1/portal/session', { cookie: alice })).json.active_chats).toBe(0);

      // Idempotent: one block, listed for the blocker only.
      expect((await post(`/v1/portal/chats/${token}/block`, alice)).json).toEqual({ blocked: true });
      const list = await blocksOf(alice);
      expect(list).toEqual([
        {
          id: expect.any(String),
          label: 'Stranger',
          matched_interest: expect.any(String),
          created_at: expect.any(String),
        },
      ]);
      expect(await blocksOf(bob)).toEqual([]);

      // Either way round, on either instance: they wait, and the next person takes the blocker.
      const t = tag();
      expect((await post('/v1/portal/match', alice, { interests: [t] })).json.state).toBe('searching');
      expect((await post('/v1/portal/match', bob, { interests: [t] }, other.url)).json.state).toBe('searching');
      const carol = await newStranger(base);
      const withCarol = await post('/v1/portal/match', carol, { interests: [t] }, other.url);
      expect(withCarol.json.state).toBe('matched');
      expect((await request(base, '/v1/portal/match/status', { cookie: alice })).json.token).toBe(withCarol.json.token);
      expect((await request(base, '/v1/portal/match/status', { cookie: bob })).json.state).toBe('searching');
      await del('/v1/portal/match', bob);
    });

    it('lifts only your own block: 204, then 404, as for an id that cannot be one', async () => {
      const alice = await newStranger(base);
      const bob = await newStranger(base);
      const token = await pair(alice, bob);
      await post(`/v1/portal/chats/${token}/block`, alice);
      const [block] = await blocksOf(alice);
      expectError(await del(`/v1/portal/blocks/${block!.id}`, bob), 404, 'ERR_NOT_FOUND');
      expectError(await del(`/v1/portal/blocks/${block!.id}`, null), 401, 'ERR_UNAUTHENTICATED');
      expectError(await del('/v1/portal/blocks/not-a-block', alice), 404, 'ERR_NOT_FOUND');
      expectError(await del(`/v1/portal/blocks/${'%00'.repeat(3)}`, alice), 404, 'ERR_NOT_FOUND');
      const lifted = await del(`/v1/portal/blocks/${block!.id}`, alice);
      expect(lifted.status).toBe(204);
      expect(lifted.text).toBe('');
      expect(await blocksOf(alice)).toEqual([]);
      expectError(await del(`/v1/portal/blocks/${block!.id}`, alice), 404, 'ERR_NOT_FOUND');
    });

    it('answers the documented errors on the block path', async () => {
      const alice = await newStranger(base);
      const bob = await newStranger(base);
      const eve = await newStranger(base);
      const token = await pair(alice, bob);
      expectError(await post(`/v1/portal/chats/${token}/block`, null), 401, 'ERR_UNAUTHENTICATED');
      expectError(await post(`/v1/portal/chats/${token}/block`, eve), 404, 'ERR_CHAT_NOT_FOUND');
      expectError(await post('/v1/portal/chats/nosuchchat/block', alice), 404, 'ERR_CHAT_NOT_FOUND');
      expectError(await post(`/v1/portal/chats/${token}/block`, alice, { extra: 1 }), 400, 'ERR_BAD_REQUEST');
      expectError(await request(base, '/v1/portal/blocks'), 401, 'ERR_UNAUTHENTICATED');
      expectError(await request(base, '/v1/portal/blocks?x=1', { cookie: alice }), 400, 'ERR_BAD_REQUEST');
      // Nothing changed: the chat still runs, nobody is blocked.
      expect((await request(base, `/v1/portal/chats/${token}`, { cookie: bob })).json.state).toBe('active');
      expect(await blocksOf(alice)).toEqual([]);
    });

    it('a report blocks too, and its block stays while the report is open (409 ERR_REPORT_OPEN)', async () => {
      const modName = `mod${provider[0]}${Date.now().toString(36)}`;
      const registered = await post('/v1/portal/auth/register', await newStranger(base), {
        username: modName,
        password: PASSWORD,
      });
      const moderator = cookieOf(registered)!;
      expect((await runCli(target.url, ['role', 'set', modName, 'moderator'])).code).toBe(0);

      const victim = await newStranger(base);
      const abuser = await newStranger(base);
      const token = await pair(victim, abuser);
      expect((await post(`/v1/portal/chats/${token}/report`, victim, { reason: 'rude' })).status).toBe(201);
      const [block] = await blocksOf(victim);
      expect(block).toMatchObject({ label: 'Stranger' });
      expectError(await del(`/v1/portal/blocks/${block!.id}`, victim), 409, 'ERR_REPORT_OPEN');
      // Blocking the reported chat again changes nothing.
      expect((await post(`/v1/portal/chats/${token}/block`, victim)).json).toEqual({ blocked: true });
      expect(await blocksOf(victim)).toHaveLength(1);

      const t = tag();
      await post('/v1/portal/match', abuser, { interests: [t] });
      expect((await post('/v1/portal/match', victim, { interests: [t] })).json.state).toBe('searching');
      await del('/v1/portal/match', abuser);
      await del('/v1/portal/match', victim);

      const reports = await request(base, '/v1/portal/moderation/reports', { cookie: moderator });
      const report = (reports.json.reports as { id: string; reason: string }[]).find((r) => r.reason === 'rude')!;
      expect((await post(`/v1/portal/moderation/reports/${report.id}/dismiss`, moderator, {})).status).toBe(200);
      expect((await del(`/v1/portal/blocks/${block!.id}`, victim)).status).toBe(204);
    });

    it('labels a registered person by username', async () => {
      const alice = await newStranger(base);
      const bob = await newStranger(base);
      const token = await pair(alice, bob);
      const username = `bob${provider[0]}${Date.now().toString(36)}`;
      expect((await post('/v1/portal/auth/register', bob, { username, password: PASSWORD })).status).toBe(201);
      await post(`/v1/portal/chats/${token}/block`, alice);
      expect((await blocksOf(alice)).map((b) => b.label)).toEqual([username]);
    });
  });
}
