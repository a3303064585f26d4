// SPEC §9 over real HTTP and real sockets, with the servers' own matchmakers running:
// fallback pairs made without a request and pushed to both people, exactly once across
// two instances on PostgreSQL; a page that went away leaves the queue after the grace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '@portal/db/testing';
import { deployments, expectError, newStranger, request, startServer, type RunningServer } from './server.ts';
import { openSocket, type TestSocket } from './socket-client.ts';

const FALLBACK_SECONDS = 1;
const GRACE_SECONDS = 1;

for (const { provider, label, env: busEnv, skip } of await deployments()) {
  describe.skipIf(skip)(`fallback and presence over HTTP on ${label}`, () => {
    let target: TestDatabaseUrl;
    let db: Database;
    let servers: RunningServer[];
    const sockets: TestSocket[] = [];
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const env = {
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
        ...busEnv,
        MATCH_FALLBACK_SECONDS: String(FALLBACK_SECONDS),
        MATCH_PRESENCE_GRACE_SECONDS: String(GRACE_SECONDS),
      };
      // On PostgreSQL two instances, each with its own matchmaker, on one database.
      servers = [await startServer(env)];
      if (provider === 'postgresql') servers.push(await startServer(env));
      db = await openDatabase(target.url);
    });
    afterAll(async () => {
      for (const socket of sockets) await socket.close();
      await db?.close();
      for (const server of servers ?? []) await server.stop();
      await target?.destroy();
    });

    const at = (i: number) => servers[i % servers.length]!.url;
    const enqueue = (cookie: string, body: unknown, i = 0) =>
      request(at(i), '/v1/portal/match', { method: 'POST', cookie, body });
    const socketOf = async (cookie: string, i = 0) => {
      const socket = await openSocket(at(i), cookie);
      sockets.push(socket);
      return socket;
    };
    let n = 0;
    const tag = () => `fbh${++n}${provider[0]}`;

    it('two people with no shared tag who both agreed are paired within 2 s of the second opening, and told by socket', async () => {
      const alice = await newStranger(at(0));
      const bob = await newStranger(at(1));
      const [aliceSocket, bobSocket] = [await socketOf(alice, 0), await socketOf(bob, 1)];

      const first = await enqueue(alice, { interests: [tag()], fallback: true }, 0);
      expect(first.json).toMatchObject({ state: 'searching', fallback: true, fallback_at: expect.any(String) });
      const second = await enqueue(bob, { interests: [tag()], fallback: true }, 1);
      expect(second.json.state).toBe('searching');
      const opened = Date.parse(second.json.fallback_at as string);

      const [forAlice, forBob] = await Promise.all([aliceSocket.next('matched'), bobSocket.next('matched')]);
      expect(Date.now() - opened).toBeLessThan(2_000);
      expect(forAlice.match).toEqual({
        state: 'matched',
        token: expect.any(String),
        common_interests: [],
        expires_at: expect.any(String),
        fallback: true,
      });
      expect(forBob.match).toEqual(forAlice.match);
      for (const [cookie, i] of [
        [alice, 1],
        [bob, 0],
      ] as const) {
        expect((await request(at(i), '/v1/portal/match/status', { cookie })).json).toEqual(forAlice.match);
        const { json } = await request(at(i), '/v1/portal/chats', { cookie });
        expect(json.chats).toEqual([expect.objectContaining({ token: forAlice.match.token, matched_interest: null })]);
      }
    });

    it('many searchers on both instances end in disjoint pairs, each person in exactly one chat', async () => {
      const people = await Promise.all(Array.from({ length: 12 }, (_, i) => newStranger(at(i))));
      const listening = await Promise.all(people.map((cookie, i) => socketOf(cookie, i)));
      await Promise.all(people.map((cookie, i) => enqueue(cookie, { interests: [tag()], fallback: true }, i)));
      const pushed = await Promise.all(listening.map((socket) => socket.next('matched')));
      const tokens = pushed.map((event) => event.match.token!);
      const counts = new Map<string, number>();
      for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
      expect([...counts.values()]).toEqual(Array.from({ length: 6 }, () => 2));
      expect(await db.prisma.chatParticipant.count({ where: { chat: { token: { in: tokens } } } })).toBe(12);
      // Nobody was pushed twice.
      for (const socket of listening) expect(socket.events.filter((e) => e.type === 'matched')).toHaveLength(1);
    });

    it('fallback must be a boolean: 400, and nothing is queued', async () => {
      const carol = await newStranger(at(0));
      for (const fallback of ['yes', 1, null]) {
        expectError(await enqueue(carol, { interests: [tag()], fallback }), 400, 'ERR_BAD_REQUEST');
      }
      expect((await request(at(0), '/v1/portal/match/status', { cookie: carol })).json).toEqual({ state: 'idle' });
    });

    it('a page whose socket closed leaves the queue after the grace, so a newcomer on its tag keeps searching', async () => {
      const dave = await newStranger(at(0));
      const t = tag();
      const socket = await socketOf(dave, 0);
      expect((await enqueue(dave, { interests: [t] }, 0)).json.state).toBe('searching');
      const session = (await db.prisma.queueEntry.findFirstOrThrow({ where: { interests: t } })).sessionId;
      await socket.close();
      const closedAt = Date.now();
      // Watched in the database: reading dave's status would count as presence.
      while ((await db.prisma.queueEntry.count({ where: { sessionId: session } })) > 0) {
        expect(Date.now() - closedAt, 'gone within a second after the grace').toBeLessThan(
          GRACE_SECONDS * 1000 + 1_500,
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 100);
      const erin = await newStranger(at(1));
      expect((await enqueue(erin, { interests: [t] }, 1)).json.state).toBe('searching');
      await request(at(1), '/v1/portal/match', { method: 'DELETE', cookie: erin });
    });

    it('a REST client that never opened a socket keeps its search', async () => {
      const frank = await newStranger(at(0));
      const t = tag();
      expect((await enqueue(frank, { interests: [t] }, 0)).json.state).toBe('searching');
      const entry = await db.prisma.queueEntry.findFirstOrThrow({ where: { interests: t } });
      expect(entry.presentUntil).toBeNull();
    });
  });
}
