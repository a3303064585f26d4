// SPEC §10 over real HTTP and real sockets: export, deletion, and a purge run by the
// operator's command line, on SQLite and on PostgreSQL (there with two instances).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '@portal/db/testing';
import {
  cookieOf,
  deployments,
  expectError,
  newStranger,
  request,
  runCli,
  startServer,
  type RunningServer,
} from './server.ts';
import { openSocket, type TestSocket } from './socket-client.ts';

const PASSWORD = 'a long password';
const DAY = 24 * 3_600_000;

for (const { provider, label, env: busEnv, skip } of await deployments()) {
  describe.skipIf(skip)(`account data over REST on ${label}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    /** On PostgreSQL a second instance: the partner's socket lives there. */
    let other: RunningServer;
    let base: string;
    let db: Database;
    const sockets: TestSocket[] = [];
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const env = {
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
        ...busEnv,
        // Limits on, so that a wrong deletion password counts like a failed login; the rest roomy.
        PORTAL_RATE_LIMITS: 'on',
        RATE_LIMIT_LOGIN_FAILURES_PER_HOUR: '3',
        RATE_LIMIT_REGISTER_PER_HOUR: '1000',
        RATE_LIMIT_SESSIONS_PER_MINUTE: '1000',
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        RATE_LIMIT_ENQUEUE_PER_MINUTE: '1000',
        RATE_LIMIT_ENQUEUE_PER_IP_PER_MINUTE: '1000',
        RATE_LIMIT_MESSAGES_PER_MINUTE: '1000',
        RATE_LIMIT_MESSAGES_PER_IP_PER_MINUTE: '1000',
        RATE_LIMIT_PER_MINUTE: '10000',
      };
      server = await startServer(env);
      other = provider === 'postgresql' ? await startServer(env) : server;
      base = server.url;
      db = await openDatabase(target.url);
    });
    afterAll(async () => {
      for (const socket of sockets) await socket.close();
      await db?.close();
      if (other !== server) await other?.stop();
      await server?.stop();
      await target?.destroy();
    });

    const post = (path: string, cookie: string | null, body?: unknown) =>
      request(base, path, { method: 'POST', cookie, body });
    const deleteAccount = (cookie: string | null, body?: unknown, path = '/v1/portal/account') =>
      request(base, path, { method: 'DELETE', cookie, ...(body === undefined ? {} : { body }) });
    let n = 0;
    const tag = () => `acc${++n}${provider[0]}`;
    async function register(username: string): Promise<string> {
      const reply = await post('/v1/portal/auth/register', null, { username, password: PASSWORD });
      expect(reply.status).toBe(201);
      return cookieOf(reply)!;
    }
    async function pair(a: string, b: string): Promise<string> {
      const t = tag();
      expect((await post('/v1/portal/match', a, { interests: [t] })).json.state).toBe('searching');
      const matched = await post('/v1/portal/match', b, { interests: [t] });
      expect(matched.json.state).toBe('matched');
      return matched.json.token as string;
    }
    async function joined(at: string, cookie: string, token: string): Promise<TestSocket> {
      const socket = await openSocket(at, cookie);
      sockets.push(socket);
      socket.send({ type: 'join', token });
      await socket.next('joined');
      return socket;
    }

    it('exports the person as a JSON attachment, with only their own messages', async () => {
      const alice = await register(`exa${provider[0]}`);
      const bob = await register(`exb${provider[0]}`);
      const token = await pair(alice, bob);
      await post(`/v1/portal/chats/${token}/messages`, alice, { text: 'my words' });
      await post(`/v1/portal/chats/${token}/messages`, bob, { text: 'partner words' });

      const reply = await request(base, '/v1/portal/account/export', { cookie: alice });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.headers['content-disposition']).toMatch(
        /^attachment; filename="portal-export-\d{4}-\d{2}-\d{2}\.json"$/,
      );
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.json.person).toMatchObject({ kind: 'registered', username: `exa${provider[0]}`, plan: 'free' });
      expect(reply.json.sessions).toEqual([expect.objectContaining({ current: true, revoked: false })]);
      expect(reply.json.chats).toEqual([
        expect.objectContaining({
          token,
          partner: `exb${provider[0]}`,
          ended_at: null,
          messages: [expect.objectContaining({ text: 'my words' })],
        }),
      ]);
      expect(reply.text).not.toContain('partner words');

      // The same document over tRPC (no attachment header there: a batch answers several calls).
      const trpc = await request(base, `/api/trpc/account.export?input=${encodeURIComponent('{}')}`, {
        cookie: alice,
      });
      expect(trpc.status).toBe(200);
      expect(trpc.json.result.data).toMatchObject({ person: reply.json.person, chats: reply.json.chats });

      expectError(await request(base, '/v1/portal/account/export'), 401, 'ERR_UNAUTHENTICATED');
      expectError(await request(base, '/v1/portal/account/export?x=1', { cookie: alice }), 400, 'ERR_BAD_REQUEST');
    });

    it('deletes a registered person: chats end, text removed for the partner live, sockets closed, name free', async () => {
      const name = `del${provider[0]}`;
      const alice = await register(name);
      const bob = await register(`delb${provider[0]}`);
      const token = await pair(alice, bob);
      await post(`/v1/portal/chats/${token}/messages`, alice, { text: 'soon gone' });
      await post(`/v1/portal/chats/${token}/messages`, bob, { text: 'stays' });
      const bobSocket = await joined(other.url, bob, token);
      const aliceSocket = await joined(base, alice, token);

      // Wrong, missing and malformed confirmations change nothing.
      expectError(await deleteAccount(alice, { password: 'not my password' }), 401, 'ERR_INVALID_CREDENTIALS');
      expectError(await deleteAccount(alice, {}), 400, 'ERR_BAD_REQUEST');
      expectError(await deleteAccount(alice), 400, 'ERR_BAD_REQUEST');
      expectError(await deleteAccount(alice, { password: PASSWORD, extra: 1 }), 400, 'ERR_BAD_REQUEST');
      expectError(await deleteAccount(alice, { password: 7 }), 400, 'ERR_BAD_REQUEST');
      expectError(await deleteAccount(alice, [PASSWORD]), 400, 'ERR_BAD_REQUEST');
      expectError(
        await deleteAccount(alice, { password: PASSWORD }, `/v1/portal/account?password=x`),
        400,
        'ERR_BAD_REQUEST',
      );
      expectError(
        await request(base, '/v1/portal/account', {
          method: 'DELETE',
          cookie: alice,
          body: 'password=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        415,
        'ERR_UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(await deleteAccount(null, { password: PASSWORD }), 401, 'ERR_UNAUTHENTICATED');
      expect((await request(base, '/v1/portal/session', { cookie: alice })).json.username).toBe(name);

      const deleted = await deleteAccount(alice, { password: PASSWORD });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect(cookieOf(deleted)).toBe('');

      // The partner's open chat updates at once: the text is removed and the chat ends.
      expect(await bobSocket.next('messages_removed')).toEqual({ type: 'messages_removed', token, from: 'partner' });
      expect(await bobSocket.next('ended')).toMatchObject({ token, reason: 'ended', by: 'partner' });
      expect((await aliceSocket.closed).code).toBe(4401);
      const seen = await request(base, `/v1/portal/chats/${token}`, { cookie: bob });
      expect(seen.json.state).toBe('ended');
      const messages = seen.json.messages as Record<string, unknown>[];
      expect(messages.map((m) => [m.from, m.text, m.deleted ?? false])).toEqual([
        ['partner', '', true],
        ['me', 'stays', false],
      ]);
      // A socket that joins afterwards sees the same.
      const later = await openSocket(base, bob);
      sockets.push(later);
      later.send({ type: 'join', token });
      expect((await later.next('joined')).messages[0]).toMatchObject({ from: 'partner', text: '', deleted: true });

      expectError(await request(base, '/v1/portal/session', { cookie: alice }), 401, 'ERR_UNAUTHENTICATED');
      expectError(await deleteAccount(alice, { password: PASSWORD }), 401, 'ERR_UNAUTHENTICATED');
      // The name can be registered again, by anyone.
      const reborn = await post('/v1/portal/auth/register', null, { username: name, password: 'another password' });
      expect(reborn.status).toBe(201);
      expect(server.output()).toMatch(/"event":"account_deleted"/);
    });

    it('counts wrong deletion passwords like failed logins (429 past the limit)', async () => {
      const carol = await register(`rl${provider[0]}`);
      for (let i = 0; i < 3; i++) {
        expectError(await deleteAccount(carol, { password: `guess number ${i}` }), 401, 'ERR_INVALID_CREDENTIALS');
      }
      const limited = await deleteAccount(carol, { password: PASSWORD });
      expectError(limited, 429, 'ERR_RATE_LIMITED');
      expect(limited.headers['retry-after']).toBeDefined();
      expect((await request(base, '/v1/portal/session', { cookie: carol })).status).toBe(200);
    });

    it('deletes a stranger with {} or no body, and their search with them', async () => {
      for (const body of [{}, undefined]) {
        const stranger = await newStranger(base);
        const partner = await newStranger(base);
        const token = await pair(stranger, partner);
        await post(`/v1/portal/chats/${token}/messages`, stranger, { text: 'hello there' });
        const partnerSocket = await joined(other.url, partner, token);
        const reply = await deleteAccount(stranger, body);
        expect(reply.status).toBe(204);
        await partnerSocket.next('messages_removed');
        await partnerSocket.next('ended');
        expectError(await request(base, '/v1/portal/session', { cookie: stranger }), 401, 'ERR_UNAUTHENTICATED');
        const seen = await request(base, `/v1/portal/chats/${token}/messages`, { cookie: partner });
        expect(seen.json.messages).toEqual([expect.objectContaining({ text: '', deleted: true })]);
      }
      const searching = await newStranger(base);
      expect((await post('/v1/portal/match', searching, { interests: [tag()] })).json.state).toBe('searching');
      expect((await deleteAccount(searching, {})).status).toBe(204);
      expect(await db.prisma.queueEntry.count()).toBe(0);
    });

    it('purges chats past retention when the operator runs `portal purge`: a purged chat is 404', async () => {
      const a = await newStranger(base);
      const b = await newStranger(base);
      const token = await pair(a, b);
      await post(`/v1/portal/chats/${token}/messages`, a, { text: 'old news' });
      await post(`/v1/portal/chats/${token}/end`, a);
      // Move the chat 31 days into the past, as if the clock had run.
      const long = new Date(Date.now() - 31 * DAY);
      await db.prisma.chat.update({
        where: { token },
        data: { createdAt: long, expiresAt: new Date(long.getTime() + DAY), endedAt: long },
      });
      const run = await runCli(target.url, ['purge']);
      expect(run).toMatchObject({ code: 0 });
      expect(run.out).toMatch(/Purged 1 chats \(1 messages\)/);
      expectError(await request(base, `/v1/portal/chats/${token}`, { cookie: b }), 404, 'ERR_CHAT_NOT_FOUND');
      expectError(await request(base, `/v1/portal/chats/${token}/messages`, { cookie: a }), 404, 'ERR_CHAT_NOT_FOUND');
      expect((await request(base, '/v1/portal/account/export', { cookie: a })).json.chats).toEqual([]);
    });
  });
}
