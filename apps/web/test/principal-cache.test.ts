// The principal cache (docs/sessions.md) over HTTP: every change to what a session
// is allowed is seen by the next request on every instance (on PostgreSQL a second
// one shares the database), whoever made it: a request of either instance, the
// operator's command line, or a write behind the services' back. Each check first has
// both instances authenticate the session, so that a stale copy would be in memory if
// invalidation failed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCore,
  createNatsBus,
  createPostgresBus,
  createSplitBus,
  type Core,
  type EventBus,
  type PortalEvent,
} from '@portal/core';
import { openDatabase, pgClientConfig, type Database } from '@portal/db';
import {
  createTestDatabase,
  createTestDatabaseUrl,
  natsAvailable,
  natsTestUrl,
  postgresAvailable,
  type TestDatabase,
  type TestDatabaseUrl,
} from '@portal/db/testing';
import {
  cookieOf,
  deployments,
  newStranger,
  request,
  runCli,
  startServer,
  type Reply,
  type RunningServer,
} from './server.ts';
import { proxyFor, startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const PASSWORD = 'a long enough password';

for (const { provider, label, env: busEnv, skip } of await deployments()) {
  describe.skipIf(skip)(`the principal cache over HTTP on ${label}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    /** On PostgreSQL a second instance on the same database; on SQLite the same one. */
    let other: RunningServer;
    let db: Database;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const env = { DATABASE_URL: target.url, PORTAL_API_ONLY: 'true', ...busEnv };
      server = await startServer(env);
      other = provider === 'postgresql' ? await startServer(env) : server;
      db = await openDatabase(target.url);
    });
    afterAll(async () => {
      await db?.close();
      if (other !== server) await other?.stop();
      await server?.stop();
      await target?.destroy();
    });

    let n = 0;
    const name = (prefix: string) => `${prefix}${++n}${provider.slice(0, 2)}`;
    const post = (cookie: string | null, path: string, body: unknown = {}, at = server) =>
      request(at.url, path, { method: 'POST', cookie, body });
    const session = (cookie: string, at = server) => request(at.url, '/v1/portal/session', { cookie });
    /** An enqueue with a tag nobody accepts: 403 for a blocked or suspended person, 400 otherwise, nothing stored. */
    const tryMatch = (cookie: string, at = server) => post(cookie, '/v1/portal/match', { interests: ['BAD'] }, at);
    const instances = () => (other === server ? [server] : [server, other]);

    /** Authenticated once on every instance: from here on, each one may answer from memory. */
    async function warm(cookie: string, expected = 200): Promise<void> {
      for (const at of instances()) expect((await session(cookie, at)).status).toBe(expected);
    }
    /**
     * `holds` is true of the next reply of every instance: the one that made the change,
     * the other one, or (a change made by another process) neither. No polling: a
     * change whose writer has been answered is never served stale.
     */
    async function seenEverywhere(ask: (at: RunningServer) => Promise<Reply>, holds: (r: Reply) => boolean) {
      for (const at of instances()) {
        const reply = await ask(at);
        expect(holds(reply), `${reply.status} ${JSON.stringify(reply.json)}`).toBe(true);
      }
    }
    const seenByAll = seenEverywhere;
    const refused = (r: Reply) => r.status === 401 && r.json?.error === 'ERR_UNAUTHENTICATED';
    const refusedAs = (code: string) => (r: Reply) => r.status === 403 && r.json?.error === code;
    const allowed = (r: Reply) => r.status === 400 && r.json?.error === 'ERR_MATCH_UNSUPPORTED_INTEREST';

    /** A registered person with `count` sessions, each warmed on every instance. */
    async function account(count: number) {
      const username = name('pc');
      const registered = await post(null, '/v1/portal/auth/register', { username, password: PASSWORD });
      expect(registered.status).toBe(201);
      const cookies = [cookieOf(registered)!];
      for (let i = 1; i < count; i++) {
        cookies.push(cookieOf(await post(null, '/v1/portal/auth/login', { username, password: PASSWORD }))!);
      }
      for (const cookie of cookies) await warm(cookie);
      const id = (await session(cookies[0]!)).json.account_id as string;
      return { username, cookies, id };
    }
    async function moderator(): Promise<string> {
      const { username, cookies } = await account(1);
      expect((await runCli(target.url, ['role', 'set', username, 'moderator'])).code).toBe(0);
      await seenByAll(
        (at) => session(cookies[0]!, at),
        (r) => r.json?.role === 'moderator',
      );
      return cookies[0]!;
    }

    it('sees a logout', async () => {
      const { cookies } = await account(2);
      expect((await post(cookies[1]!, '/v1/portal/auth/logout')).status).toBe(204);
      await seenEverywhere((at) => session(cookies[1]!, at), refused);
      await warm(cookies[0]!);
    });

    it('sees the other sessions revoked, one by one or all at once', async () => {
      const { cookies } = await account(3);
      const id = (await session(cookies[1]!)).json.id as string;
      expect((await post(cookies[0]!, `/v1/portal/auth/sessions/${id}/revoke`)).status).toBe(204);
      await seenEverywhere((at) => session(cookies[1]!, at), refused);
      expect((await post(cookies[0]!, '/v1/portal/auth/sessions/revoke-others')).status).toBe(204);
      await seenEverywhere((at) => session(cookies[2]!, at), refused);
      await warm(cookies[0]!);
    });

    it('sees a password change sign the other sessions out', async () => {
      const { cookies } = await account(2);
      const change = { current_password: PASSWORD, new_password: 'another long password' };
      expect((await post(cookies[0]!, '/v1/portal/auth/password', change)).status).toBe(204);
      await seenEverywhere((at) => session(cookies[1]!, at), refused);
      await warm(cookies[0]!);
    });

    it('sees a stranger register (the old cookie dies) and a login replace a session', async () => {
      const stranger = await newStranger(server.url);
      await warm(stranger);
      const registered = await post(stranger, '/v1/portal/auth/register', { username: name('up'), password: PASSWORD });
      expect(registered.status).toBe(201);
      await seenEverywhere((at) => session(stranger, at), refused);
      await warm(cookieOf(registered)!);

      const { username } = await account(1);
      const replaced = await newStranger(server.url);
      await warm(replaced);
      expect((await post(replaced, '/v1/portal/auth/login', { username, password: PASSWORD })).status).toBe(200);
      await seenEverywhere((at) => session(replaced, at), refused);
    });

    it('sees a moderator block a stranger, and lift it', async () => {
      const mod = await moderator();
      const stranger = await newStranger(server.url);
      await warm(stranger);
      for (const at of instances()) expect(allowed(await tryMatch(stranger, at))).toBe(true);
      const id = (await session(stranger)).json.id as string;
      const block = await post(mod, `/v1/portal/moderation/sessions/${id}/block`, { reason: 'spam' });
      expect(block.status).toBe(200);
      await seenEverywhere((at) => tryMatch(stranger, at), refusedAs('ERR_STRANGER_BLOCKED'));
      expect((await post(mod, `/v1/portal/moderation/sessions/${id}/unblock`)).status).toBe(200);
      await seenEverywhere((at) => tryMatch(stranger, at), allowed);
    });

    it('sees a suspension and its lifting, by a moderator and by the operator', async () => {
      const mod = await moderator();
      const { cookies, id, username } = await account(2);
      for (const at of instances()) expect(allowed(await tryMatch(cookies[1]!, at))).toBe(true);
      expect((await post(mod, `/v1/portal/moderation/accounts/${id}/suspend`, { reason: 'abuse' })).status).toBe(200);
      await seenEverywhere((at) => tryMatch(cookies[1]!, at), refusedAs('ERR_ACCOUNT_SUSPENDED'));
      expect((await post(mod, `/v1/portal/moderation/accounts/${id}/unsuspend`)).status).toBe(200);
      await seenEverywhere((at) => tryMatch(cookies[1]!, at), allowed);

      expect((await runCli(target.url, ['suspend', username])).code).toBe(0);
      await seenByAll((at) => tryMatch(cookies[1]!, at), refusedAs('ERR_ACCOUNT_SUSPENDED'));
      expect((await runCli(target.url, ['unsuspend', username])).code).toBe(0);
      await seenByAll((at) => tryMatch(cookies[1]!, at), allowed);
    });

    it('sees a plan and a role set by the operator, and sessions the operator revokes', async () => {
      const { cookies, username } = await account(2);
      expect((await session(cookies[0]!)).json).toMatchObject({ plan: 'free', role: 'user', chat_limit: 1 });
      expect((await runCli(target.url, ['plan', 'set', username, 'premium'])).code).toBe(0);
      await seenByAll(
        (at) => session(cookies[1]!, at),
        (r) => r.json?.plan === 'premium' && r.json?.chat_limit === 3,
      );
      expect((await runCli(target.url, ['role', 'set', username, 'moderator'])).code).toBe(0);
      await seenByAll(
        (at) => session(cookies[0]!, at),
        (r) => r.json?.role === 'moderator',
      );
      expect((await runCli(target.url, ['sessions', 'revoke', username, '--all'])).code).toBe(0);
      for (const cookie of cookies) await seenByAll((at) => session(cookie, at), refused);
    });

    it('sees an account deleted', async () => {
      const { cookies } = await account(2);
      const deleted = await request(server.url, '/v1/portal/account', {
        method: 'DELETE',
        cookie: cookies[0]!,
        body: { password: PASSWORD },
      });
      expect(deleted.status).toBe(204);
      await seenEverywhere((at) => session(cookies[1]!, at), refused);
    });

    it('sees a write behind the services’ back (another connection, no event of Portal’s)', async () => {
      const stranger = await newStranger(server.url);
      await warm(stranger);
      const id = (await session(stranger)).json.id as string;
      await db.prisma.session.update({ where: { id }, data: { lastSeenAt: new Date(Date.now() - 31 * 86_400_000) } });
      await seenByAll((at) => session(stranger, at), refused);
    });

    it('never serves a session blocked behind its back once the write has committed (40 rounds, both instances at once)', async () => {
      // The request races the change's announcement to the instances: it leaves the
      // moment the write is acknowledged, while the notification is on its way.
      for (let round = 0; round < 40; round++) {
        const stranger = await newStranger(server.url);
        await warm(stranger);
        const id = (await session(stranger)).json.id as string;
        await db.prisma.session.update({ where: { id }, data: { blockedAt: new Date() } });
        const replies = await Promise.all(instances().map((at) => tryMatch(stranger, at)));
        for (const reply of replies) {
          expect(
            refusedAs('ERR_STRANGER_BLOCKED')(reply),
            `round ${round}: ${reply.status} ${JSON.stringify(reply.json)}`,
          ).toBe(true);
        }
      }
    });
  });
}

const pgSkip = !(await postgresAvailable());

/** A stranger, a block made behind the services' back (only the database's trigger announces it), and what authentication says. */
function probes(core: () => Core, test: () => TestDatabase) {
  return {
    stranger: async () => {
      const { token } = await core().sessions.create();
      return { token, id: (await core().sessions.authenticate(token)).sessionId };
    },
    block: (id: string) => test().db.prisma.session.update({ where: { id }, data: { blockedAt: new Date() } }),
    blocked: async (token: string) => (await core().sessions.authenticate(token)).blocked,
  };
}

describe.skipIf(pgSkip)('the principal cache while the PostgreSQL bus is not listening', () => {
  let test: TestDatabase;
  let proxy: TcpProxy;
  let bus: EventBus;
  let core: Core;
  beforeAll(async () => {
    test = await createTestDatabase('postgresql');
    if (test.db.provider !== 'postgresql') throw new Error('a PostgreSQL database was asked for');
    proxy = await proxyFor(test.url);
    // Only the bus's listening connection goes through the proxy: the database stays up.
    bus = await createPostgresBus({
      connection: pgClientConfig(proxy.through(test.url)),
      pool: test.db.pool,
      loadMessage: () => Promise.resolve(null),
      onError: () => undefined,
    });
    core = createCore(test.db, { bus, config: { principalCacheSize: 100 } });
  });
  afterAll(async () => {
    await bus?.close();
    await proxy?.close();
    await test?.destroy();
  });

  const { stranger, block, blocked } = probes(
    () => core,
    () => test,
  );

  it('reads the database while the bus is cut off, and starts afresh after the resync', async () => {
    // Heard: the trigger's event is in before the next lookup trusts the cached row.
    const heard = await stranger();
    await block(heard.id);
    expect(await blocked(heard.token)).toBe(true);

    // Lost while the listener is away; no lookup meanwhile: only the resync can drop it.
    const missed = await stranger();
    await proxy.cut();
    await expect.poll(() => bus.listening()).toBe(false);
    await block(missed.id);
    await proxy.restore();
    await expect.poll(() => bus.listening(), { timeout: 5000 }).toBe(true);
    expect(await blocked(missed.token)).toBe(true);

    // A lookup while the bus is away reads the database: a change shows at once.
    const meanwhile = await stranger();
    await proxy.cut();
    await expect.poll(() => bus.listening()).toBe(false);
    await block(meanwhile.id);
    expect(await blocked(meanwhile.token)).toBe(true);
    await proxy.restore();
    await expect.poll(() => bus.listening(), { timeout: 5000 }).toBe(true);
  });
});

describe.skipIf(pgSkip || !(await natsAvailable()))('the principal cache while the NATS bus is not listening', () => {
  let test: TestDatabase;
  let proxy: TcpProxy;
  let bus: EventBus;
  let core: Core;
  const resyncs: PortalEvent[] = [];
  const typed: string[] = [];
  beforeAll(async () => {
    test = await createTestDatabase('postgresql');
    if (test.db.provider !== 'postgresql') throw new Error('a PostgreSQL database was asked for');
    const nats = new URL(natsTestUrl());
    proxy = await startTcpProxy({ host: nats.hostname, port: Number(nats.port || 4222) });
    // Only NATS goes through the proxy; PostgreSQL, its listener and the fence stay up.
    const fanOut = await createNatsBus({
      url: `nats://127.0.0.1:${proxy.port}`,
      subject: `portal.test.${randomUUID()}`,
      onError: () => undefined,
    });
    const database = await createPostgresBus({
      connection: pgClientConfig(test.url),
      pool: test.db.pool,
      loadMessage: () => Promise.resolve(null),
      onError: () => undefined,
    });
    bus = createSplitBus(fanOut, database);
    bus.subscribe((event) => {
      if (event.type === 'resync') resyncs.push(event);
      if (event.type === 'typing') typed.push(event.sender);
    });
    core = createCore(test.db, { bus, config: { principalCacheSize: 100 } });
  });
  afterAll(async () => {
    await bus?.close();
    await proxy?.close();
    await test?.destroy();
  });

  const { stranger, block, blocked } = probes(
    () => core,
    () => test,
  );
  const typing = (sender: string) => bus.publish({ type: 'typing', chat: 'c', sender });

  it('is not listening while NATS is cut off, resyncs when it is back, and events flow again', async () => {
    await typing('before');
    await expect.poll(() => typed).toEqual(['before']);

    const meanwhile = await stranger();
    await proxy.cut();
    await expect.poll(() => bus.listening()).toBe(false);
    // Health says so (bus: "down"), and a lookup reads the database: a change shows at once.
    expect(await core.health()).toMatchObject({ status: 'degraded', db: 'ok', bus: 'down' });
    await block(meanwhile.id);
    expect(await blocked(meanwhile.token)).toBe(true);
    expect(resyncs).toEqual([]);

    await proxy.restore();
    await expect.poll(() => bus.listening(), { timeout: 10_000 }).toBe(true);
    expect(resyncs).toEqual([{ type: 'resync' }]);
    expect(await core.health()).toMatchObject({ status: 'ok', bus: 'ok' });
    await typing('after');
    await expect.poll(() => typed).toEqual(['before', 'after']);
  });
});
