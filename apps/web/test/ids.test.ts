// Tokens and ids are checked at the schema (packages/contracts/src/ids.ts): a value
// outside their alphabet is answered exactly like an unknown one, on REST, tRPC and the
// socket, and never reaches the database. The fuzzer found the first case: with seed
// 1510231666 on PostgreSQL, the frame {"type":"join","token":"\u0000"} answered
// ERR_INTERNAL, because PostgreSQL text cannot hold U+0000.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { openSocket } from './socket-client.ts';
import { cookieOf, expectError, newStranger, request, runCli, startServer, type RunningServer } from './server.ts';

/** Values no token or id can be: NUL, wrong length, wrong alphabet, SQL, a valid one with a character more. */
const malformed = (valid: string): string[] => [
  '\u0000',
  `${valid.slice(0, 10)}\u0000${valid.slice(11)}`,
  'x',
  ' ',
  "' OR 1=1 --",
  'a'.repeat(300),
  'Ä'.repeat(22),
  `${valid}x`,
  valid.slice(1),
  valid.toUpperCase() === valid ? valid.toLowerCase() : valid.toUpperCase(),
];

const unknownToken = () => randomBytes(16).toString('base64url');

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`malformed tokens and ids on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    let db: Database;
    let alice: string;
    let bob: string;
    let moderator: string;
    let token: string;

    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      server = await startServer({ DATABASE_URL: target.url, PORTAL_API_ONLY: 'true' });
      db = await openDatabase(target.url);
      [alice, bob] = [await newStranger(server.url), await newStranger(server.url)];
      await post('/v1/portal/match', alice, { interests: ['idcheck'] });
      token = (await post('/v1/portal/match', bob, { interests: ['idcheck'] })).json.token as string;
      const username = `idmod_${provider.slice(0, 2)}`;
      moderator = cookieOf(
        await post('/v1/portal/auth/register', null, { username, password: 'a moderator password' }),
      )!;
      await runCli(target.url, ['role', 'set', username, 'moderator']);
    });
    afterAll(async () => {
      await db?.close();
      await server?.stop();
      await target?.destroy();
    });

    const post = (path: string, cookie: string | null, body?: unknown) =>
      request(server.url, path, { method: 'POST', cookie, body: body ?? {} });

    /** Every table a request could write to, counted. */
    const counts = async () => ({
      messages: await db.prisma.message.count(),
      reports: await db.prisma.report.count(),
      audit: await db.prisma.auditEntry.count(),
      chatsEnded: await db.prisma.chat.count({ where: { endedAt: { not: null } } }),
      restricted: await db.prisma.session.count({ where: { blockedAt: { not: null } } }),
    });

    it('answers a malformed chat token on REST exactly like an unknown one (404), and writes nothing', async () => {
      const before = await counts();
      for (const value of [unknownToken(), ...malformed(token)]) {
        const t = encodeURIComponent(value);
        const label = JSON.stringify(value);
        for (const reply of [
          await request(server.url, `/v1/portal/chats/${t}`, { cookie: alice }),
          await request(server.url, `/v1/portal/chats/${t}/messages?limit=5`, { cookie: alice }),
          await post(`/v1/portal/chats/${t}/messages`, alice, { text: 'hello' }),
          await post(`/v1/portal/chats/${t}/end`, alice),
          await post(`/v1/portal/chats/${t}/report`, alice, { reason: 'spam' }),
        ]) {
          expect(reply.status, `${label}: ${reply.text}`).toBe(404);
          expectError(reply, 404, 'ERR_CHAT_NOT_FOUND');
        }
        // Another field invalid too: 400, as with an unknown token.
        expectError(await post(`/v1/portal/chats/${t}/messages`, alice, { text: '  ' }), 400, 'ERR_BAD_REQUEST');
        // 401 still comes first.
        expectError(await request(server.url, `/v1/portal/chats/${t}`), 401, 'ERR_UNAUTHENTICATED');
      }
      expect(await counts()).toEqual(before);
      // The real token still works.
      expect((await request(server.url, `/v1/portal/chats/${token}`, { cookie: alice })).status).toBe(200);
    });

    it('answers a malformed id on the moderation paths like an unknown one (404), and writes nothing', async () => {
      const before = await counts();
      for (const value of [randomUUID(), ...malformed(randomUUID())]) {
        const id = encodeURIComponent(value);
        for (const path of [
          `/v1/portal/moderation/sessions/${id}/block`,
          `/v1/portal/moderation/sessions/${id}/unblock`,
          `/v1/portal/moderation/accounts/${id}/suspend`,
          `/v1/portal/moderation/accounts/${id}/unsuspend`,
          `/v1/portal/moderation/reports/${id}/dismiss`,
        ]) {
          const reply = await post(path, moderator, { reason: 'checking' });
          expect(reply.status, `${JSON.stringify(value)} ${path}: ${reply.text}`).toBe(404);
          expectError(reply, 404, 'ERR_NOT_FOUND');
        }
        // Not a moderator: 403 before the id is looked at.
        expectError(
          await post(`/v1/portal/moderation/sessions/${id}/block`, alice, { reason: 'x' }),
          403,
          'ERR_FORBIDDEN',
        );
      }
      expect(await counts()).toEqual(before);
    });

    it('gives tRPC clients the same 404 and code', async () => {
      for (const value of ['\u0000', 'x', unknownToken()]) {
        const input = encodeURIComponent(JSON.stringify({ token: value }));
        const reply = await request(server.url, `/api/trpc/chat.get?input=${input}`, { cookie: alice });
        expect(reply.status).toBe(404);
        expect(reply.json.error.data.appCode).toBe('ERR_CHAT_NOT_FOUND');
      }
      const block = await request(server.url, '/api/trpc/moderation.blockSession', {
        method: 'POST',
        cookie: moderator,
        body: { id: '\u0000', reason: 'x' },
      });
      expect(block.status).toBe(404);
      expect(block.json.error.data.appCode).toBe('ERR_NOT_FOUND');
    });

    it('answers the fuzzer\'s frame {"type":"join","token":"\\u0000"} with ERR_CHAT_NOT_FOUND, like an unknown token', async () => {
      const socket = await openSocket(server.url, alice);
      try {
        const before = await counts();
        const unknown = unknownToken();
        let seen = 0;
        for (const value of ['\u0000', unknown, ...malformed(token)]) {
          for (const frame of [
            { type: 'join', token: value },
            { type: 'typing', token: value },
            { type: 'message', token: value, text: 'hello' },
          ]) {
            socket.send(frame);
            const error = await socket.next('error', () => true, seen);
            seen = socket.events.length;
            expect(error, JSON.stringify(frame)).toMatchObject({ error: 'ERR_CHAT_NOT_FOUND', token: value });
          }
        }
        // Leaving a chat one never joined says nothing, malformed or not; a join after it answers in order.
        socket.send({ type: 'leave', token: '\u0000' });
        socket.send({ type: 'leave', token: unknown });
        socket.send({ type: 'join', token });
        await socket.next('joined', () => true, seen);
        expect(socket.events.slice(seen).map((e) => e.type)).toEqual(['joined']);
        expect(await counts()).toEqual(before);
        expect(server.output()).not.toMatch(/ERR_INTERNAL|"level":"error"/);
      } finally {
        await socket.close();
      }
    });
  });
}
