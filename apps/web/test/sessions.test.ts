import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { openSocket, type TestSocket } from './socket-client.ts';
import { cookieOf, expectError, newStranger, request, startServer, type Reply, type RunningServer } from './server.ts';

const PASSWORD = 'a long enough password';
const NEW_PASSWORD = 'another long password';
const DAY_S = 86_400;
const DAY = DAY_S * 1000;
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

const NO_INPUT = encodeURIComponent('{}');

const maxAgeOf = (reply: Reply): number | null => {
  const match = /Max-Age=(\d+)/.exec(String(reply.headers['set-cookie'] ?? ''));
  return match ? Number(match[1]) : null;
};

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`sessions, expiry and password over HTTP on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    /** On PostgreSQL a second instance on the same database: revocations close sockets there too. */
    let other: RunningServer;
    let db: Database;
    let base: string;
    const sockets: TestSocket[] = [];
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const env = { DATABASE_URL: target.url, PORTAL_API_ONLY: 'true', SOCKET_PING_SECONDS: '1' };
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

    let n = 0;
    const name = (prefix: string) => `${prefix}${++n}${provider.slice(0, 2)}`;
    const post = (path: string, cookie: string | null, body?: unknown, headers: Record<string, string> = {}) =>
      request(base, path, { method: 'POST', cookie, body, headers });
    const get = (path: string, cookie: string | null) => request(base, path, { cookie });
    const idOf = async (cookie: string) => (await get('/v1/portal/session', cookie)).json.id as string;
    async function socket(cookie: string, at = base): Promise<TestSocket> {
      const s = await openSocket(at, cookie);
      sockets.push(s);
      return s;
    }
    async function closedWith4401(s: TestSocket) {
      await s.next('error', (e) => e.error === 'ERR_UNAUTHENTICATED');
      expect((await s.closed).code).toBe(4401);
    }
    /** An account with sessions signed in from these user agents (the first registers). */
    async function account(agents: string[]): Promise<{ username: string; cookies: string[] }> {
      const username = name('acc');
      const cookies: string[] = [];
      for (const [i, agent] of agents.entries()) {
        const path = i === 0 ? '/v1/portal/auth/register' : '/v1/portal/auth/login';
        const reply = await post(path, null, { username, password: PASSWORD }, { 'user-agent': agent });
        expect(reply.status).toBe(i === 0 ? 201 : 200);
        cookies.push(cookieOf(reply)!);
      }
      return { username, cookies };
    }
    /** Moves a session's stored timestamps into the past (the server's clock cannot be moved). */
    async function age(sessionId: string, by: { created?: number; lastSeen?: number }) {
      const row = await db.prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
      await db.prisma.session.update({
        where: { id: sessionId },
        data: {
          createdAt: new Date(row.createdAt.getTime() - (by.created ?? 0)),
          lastSeenAt: new Date(row.lastSeenAt.getTime() - (by.lastSeen ?? 0)),
        },
      });
    }

    it('sets the cookie for what is left of the session: 30 days when it is new', async () => {
      // Whole seconds, rounded down: the milliseconds since the session was stamped are not given back.
      // The stamp and the cookie are a few statements apart inside one request: on a loaded machine
      // that can be a second or two, never more than the request took.
      const freshFor30Days = async (send: () => Promise<Reply>): Promise<Reply> => {
        const began = performance.now();
        const reply = await send();
        const tookS = Math.ceil((performance.now() - began) / 1000);
        expect(maxAgeOf(reply)).toBeLessThanOrEqual(30 * DAY_S);
        expect(maxAgeOf(reply)).toBeGreaterThanOrEqual(30 * DAY_S - 1 - tookS);
        return reply;
      };
      const created = await freshFor30Days(() => post('/v1/portal/session', null));
      expect(created.status).toBe(201);
      const username = name('cki');
      await freshFor30Days(() => post('/v1/portal/auth/register', cookieOf(created), { username, password: PASSWORD }));
      const login = await freshFor30Days(() => post('/v1/portal/auth/login', null, { username, password: PASSWORD }));
      // Within the hour nothing is written and no cookie is sent again.
      const polled = await get('/v1/portal/match/status', cookieOf(login));
      expect(polled.status).toBe(200);
      expect(polled.headers['set-cookie']).toBeUndefined();
    });

    it('writes last_seen_at once an hour old, and renews the cookie with it, never past the absolute end', async () => {
      const cookie = await newStranger(base);
      const id = await idOf(cookie);
      await age(id, { created: 179 * DAY + DAY / 2, lastSeen: 2 * 3_600_000 });
      const before = Date.now();
      const reply = await get('/v1/portal/match/status', cookie);
      expect(reply.status).toBe(200);
      expect(cookieOf(reply)).toBe(cookie);
      // Half a day of the 180 is left: the cookie gets that, not 30 days.
      expect(maxAgeOf(reply)).toBeGreaterThan(DAY_S / 2 - 60);
      expect(maxAgeOf(reply)).toBeLessThanOrEqual(DAY_S / 2);
      await expect
        .poll(async () => (await db.prisma.session.findUniqueOrThrow({ where: { id } })).lastSeenAt.getTime())
        .toBeGreaterThanOrEqual(before - 1000);
      // Written: the next request sends no cookie.
      expect((await get('/v1/portal/match/status', cookie)).headers['set-cookie']).toBeUndefined();
      // tRPC renews the same way.
      await age(id, { lastSeen: 2 * 3_600_000 });
      const trpc = await get(`/api/trpc/session.get?input=${NO_INPUT}`, cookie);
      expect(trpc.status).toBe(200);
      expect(maxAgeOf(trpc)).toBeGreaterThan(DAY_S / 2 - 60);
      expect(maxAgeOf(trpc)).toBeLessThanOrEqual(DAY_S / 2);
    });

    it('refuses an idle-expired and an absolutely expired session everywhere: REST, tRPC, socket upgrade', async () => {
      const idle = await newStranger(base);
      const old = await newStranger(base);
      await age(await idOf(idle), { lastSeen: 30 * DAY + 60_000 });
      // Created 180 days ago, though seen a minute ago.
      await age(await idOf(old), { created: 180 * DAY + 60_000 });
      for (const cookie of [idle, old]) {
        expectError(await get('/v1/portal/session', cookie), 401, 'ERR_UNAUTHENTICATED');
        expectError(await get('/v1/portal/match/status', cookie), 401, 'ERR_UNAUTHENTICATED');
        expectError(await post('/v1/portal/match', cookie, { interests: ['music'] }), 401, 'ERR_UNAUTHENTICATED');
        expectError(await get('/v1/portal/auth/sessions', cookie), 401, 'ERR_UNAUTHENTICATED');
        const trpc = await get(`/api/trpc/session.get?input=${NO_INPUT}`, cookie);
        expect(trpc.status).toBe(401);
        expect(trpc.json.error.data.appCode).toBe('ERR_UNAUTHENTICATED');
        await expect(openSocket(base, cookie)).rejects.toMatchObject({ status: 401 });
        // POST /session with an expired cookie starts a new session.
        const fresh = await post('/v1/portal/session', cookie);
        expect(fresh.status).toBe(201);
        expect(cookieOf(fresh)).not.toBe(cookie);
      }
    });

    it('closes an open socket whose session expires, at the next ping check', async () => {
      const cookie = await newStranger(base);
      const s = await socket(cookie);
      await age(await idOf(cookie), { lastSeen: 31 * DAY });
      await closedWith4401(s);
    });

    it('lists the sessions: every live one of an account, this one first, with a device label', async () => {
      const { cookies } = await account([FIREFOX, SAFARI_IPHONE, FIREFOX]);
      const [mine, phone, gone] = cookies as [string, string, string];
      expect((await post(`/v1/portal/auth/sessions/${await idOf(gone)}/revoke`, mine)).status).toBe(204);
      const reply = await get('/v1/portal/auth/sessions', mine);
      expect(reply.status).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.json).toEqual({
        sessions: [
          {
            id: await idOf(mine),
            current: true,
            created_at: expect.any(String),
            last_seen_at: expect.any(String),
            user_agent: FIREFOX,
            device: 'Firefox on Windows',
          },
          {
            id: await idOf(phone),
            current: false,
            created_at: expect.any(String),
            last_seen_at: expect.any(String),
            user_agent: SAFARI_IPHONE,
            device: 'Safari on iPhone',
          },
        ],
      });
      // A stranger sees only their own session, and the same through tRPC.
      const stranger = await newStranger(base);
      const theirs = await get('/v1/portal/auth/sessions', stranger);
      expect(theirs.json.sessions).toHaveLength(1);
      expect(theirs.json.sessions[0]).toMatchObject({ id: await idOf(stranger), current: true });
      const trpc = await get(`/api/trpc/auth.sessions?input=${NO_INPUT}`, stranger);
      expect(trpc.json.result.data.sessions[0].id).toBe(await idOf(stranger));
      expectError(await get('/v1/portal/auth/sessions', null), 401, 'ERR_UNAUTHENTICATED');
      expectError(await get('/v1/portal/auth/sessions?x=1', stranger), 400, 'ERR_BAD_REQUEST');
    });

    it('revokes one session (204): signed out, its search gone, its sockets closed with 4401 on every instance', async () => {
      const { cookies } = await account([FIREFOX, SAFARI_IPHONE]);
      const [mine, lost] = cookies as [string, string];
      const lostId = await idOf(lost);
      expect((await post('/v1/portal/match', lost, { interests: [`lost${n}`] })).json.state).toBe('searching');
      const here = await socket(lost);
      const there = await socket(lost, other.url);
      const reply = await post(`/v1/portal/auth/sessions/${lostId}/revoke`, mine);
      expect(reply.status).toBe(204);
      expect(reply.text).toBe('');
      expect(reply.headers['set-cookie']).toBeUndefined();
      await closedWith4401(here);
      await closedWith4401(there);
      expectError(await get('/v1/portal/session', lost), 401, 'ERR_UNAUTHENTICATED');
      expect(await db.prisma.queueEntry.count({ where: { sessionId: lostId } })).toBe(0);
      expect((await get('/v1/portal/session', mine)).status).toBe(200);
      // Gone already: 404 now.
      expectError(await post(`/v1/portal/auth/sessions/${lostId}/revoke`, mine), 404, 'ERR_NOT_FOUND');
    });

    it('answers 404 for a session that is not yours, and for a malformed id, changing nothing', async () => {
      const { cookies } = await account([FIREFOX]);
      const mine = cookies[0]!;
      const stranger = await newStranger(base);
      const someone = await account([FIREFOX, FIREFOX]);
      for (const id of [
        await idOf(stranger),
        await idOf(someone.cookies[1]!),
        '00000000-0000-4000-8000-000000000000',
        'not-an-id',
        'ABCDEF00-0000-4000-8000-000000000000',
      ]) {
        expectError(await post(`/v1/portal/auth/sessions/${id}/revoke`, mine), 404, 'ERR_NOT_FOUND');
      }
      expectError(await post(`/v1/portal/auth/sessions/${await idOf(mine)}/revoke`, stranger), 404, 'ERR_NOT_FOUND');
      for (const cookie of [stranger, ...someone.cookies, mine]) {
        expect((await get('/v1/portal/session', cookie)).status).toBe(200);
      }
      expectError(await post(`/v1/portal/auth/sessions/${await idOf(mine)}/revoke`, null), 401, 'ERR_UNAUTHENTICATED');
      expectError(
        await post(`/v1/portal/auth/sessions/${await idOf(mine)}/revoke`, mine, { extra: 1 }),
        400,
        'ERR_BAD_REQUEST',
      );
    });

    it('revoking the current session is a logout: 204 and the cookie cleared', async () => {
      const stranger = await newStranger(base);
      const s = await socket(stranger);
      const reply = await post(`/v1/portal/auth/sessions/${await idOf(stranger)}/revoke`, stranger);
      expect(reply.status).toBe(204);
      expect(String(reply.headers['set-cookie'])).toMatch(/^psession=; .*Max-Age=0/);
      await closedWith4401(s);
      expectError(await get('/v1/portal/session', stranger), 401, 'ERR_UNAUTHENTICATED');
    });

    it('revokes every other session (204), closing their sockets on every instance', async () => {
      const { cookies } = await account([FIREFOX, SAFARI_IPHONE, FIREFOX]);
      const [mine, a, b] = cookies as [string, string, string];
      const mineSocket = await socket(mine);
      const aSocket = await socket(a, other.url);
      const bSocket = await socket(b);
      const reply = await post('/v1/portal/auth/sessions/revoke-others', mine);
      expect(reply.status).toBe(204);
      await closedWith4401(aSocket);
      await closedWith4401(bSocket);
      for (const c of [a, b]) expectError(await get('/v1/portal/session', c), 401, 'ERR_UNAUTHENTICATED');
      expect((await get('/v1/portal/auth/sessions', mine)).json.sessions).toHaveLength(1);
      // Mine stays open: a round trip proves it.
      mineSocket.send({ type: 'join', token: 'AAAAAAAAAAAAAAAAAAAAAA' });
      await mineSocket.next('error', (e) => e.error === 'ERR_CHAT_NOT_FOUND');
      expect(mineSocket.ws.readyState).toBe(mineSocket.ws.OPEN);
      // A stranger has no others: 204, still signed in.
      const stranger = await newStranger(base);
      expect((await post('/v1/portal/auth/sessions/revoke-others', stranger)).status).toBe(204);
      expect((await get('/v1/portal/session', stranger)).status).toBe(200);
      expectError(await post('/v1/portal/auth/sessions/revoke-others', null), 401, 'ERR_UNAUTHENTICATED');
      expectError(await post('/v1/portal/auth/sessions/revoke-others', mine, { all: true }), 400, 'ERR_BAD_REQUEST');
    });

    it('changes the password (204) and signs out every other session, sockets closed on every instance', async () => {
      const { username, cookies } = await account([FIREFOX, SAFARI_IPHONE]);
      const [mine, phone] = cookies as [string, string];
      const here = await socket(phone);
      const there = await socket(phone, other.url);
      const reply = await post('/v1/portal/auth/password', mine, {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expect(reply.status).toBe(204);
      await closedWith4401(here);
      await closedWith4401(there);
      expectError(await get('/v1/portal/session', phone), 401, 'ERR_UNAUTHENTICATED');
      expect((await get('/v1/portal/session', mine)).status).toBe(200);
      expectError(
        await post('/v1/portal/auth/login', null, { username, password: PASSWORD }),
        401,
        'ERR_INVALID_CREDENTIALS',
      );
      expect((await post('/v1/portal/auth/login', null, { username, password: NEW_PASSWORD })).status).toBe(200);
    });

    it('refuses a wrong password (401), a stranger (403), bad input (400), no session (401), changing nothing', async () => {
      const { username, cookies } = await account([FIREFOX, FIREFOX]);
      const [mine, second] = cookies as [string, string];
      const hash = async () => (await db.prisma.account.findUniqueOrThrow({ where: { username } })).passwordHash;
      const before = await hash();
      const path = '/v1/portal/auth/password';
      expectError(
        await post(path, mine, { current_password: 'wrong password', new_password: NEW_PASSWORD }),
        401,
        'ERR_INVALID_CREDENTIALS',
      );
      const bad: unknown[] = [
        { current_password: PASSWORD, new_password: 'short' },
        { current_password: PASSWORD, new_password: 'x'.repeat(201) },
        { current_password: PASSWORD },
        { new_password: NEW_PASSWORD },
        { current_password: '', new_password: NEW_PASSWORD },
        { current_password: PASSWORD, new_password: NEW_PASSWORD, extra: true },
        { current_password: 42, new_password: NEW_PASSWORD },
      ];
      for (const body of bad) expectError(await post(path, mine, body), 400, 'ERR_BAD_REQUEST');
      const stranger = await newStranger(base);
      const body = { current_password: PASSWORD, new_password: NEW_PASSWORD };
      expectError(await post(path, stranger, body), 403, 'ERR_FORBIDDEN');
      // 403 comes before the input is read: a stranger learns nothing about the body.
      expectError(await post(path, stranger, { nonsense: 1 }), 403, 'ERR_FORBIDDEN');
      expectError(await post(path, null, body), 401, 'ERR_UNAUTHENTICATED');
      expectError(await post(path, null, { nonsense: 1 }), 401, 'ERR_UNAUTHENTICATED');
      expect(await hash()).toBe(before);
      expect((await get('/v1/portal/session', second)).status).toBe(200);
      const trpc = await post('/api/trpc/auth.changePassword', stranger, body);
      expect(trpc.status).toBe(403);
      expect(trpc.json.error.data.appCode).toBe('ERR_FORBIDDEN');
    });
  });

  describe.skipIf(skip)(`password change counts as a failed login on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      server = await startServer({
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
        PORTAL_RATE_LIMITS: 'on',
        RATE_LIMIT_LOGIN_FAILURES_PER_HOUR: '3',
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      });
    });
    afterAll(async () => {
      await server?.stop();
      await target?.destroy();
    });

    it('a wrong current password uses up the login-failure allowance of the account and address', async () => {
      const post = (path: string, cookie: string | null, body: unknown) =>
        request(server.url, path, { method: 'POST', cookie, body });
      const username = `rl${provider.slice(0, 2)}`;
      const registered = await post('/v1/portal/auth/register', null, { username, password: PASSWORD });
      const cookie = cookieOf(registered)!;
      const wrong = { current_password: 'wrong password', new_password: NEW_PASSWORD };
      for (let i = 0; i < 3; i++) {
        expectError(await post('/v1/portal/auth/password', cookie, wrong), 401, 'ERR_INVALID_CREDENTIALS');
      }
      const limited = await post('/v1/portal/auth/password', cookie, wrong);
      expectError(limited, 429, 'ERR_RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The same allowance as a login of that name from this address: used up too, even with the right password.
      expectError(await post('/v1/portal/auth/login', null, { username, password: PASSWORD }), 429, 'ERR_RATE_LIMITED');
      expectError(
        await post('/v1/portal/auth/password', cookie, { current_password: PASSWORD, new_password: NEW_PASSWORD }),
        429,
        'ERR_RATE_LIMITED',
      );
    });
  });
}
