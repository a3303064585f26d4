import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { openSocket } from './socket-client.ts';
import { cookieOf, expectError, request, startServer, type Reply, type RunningServer } from './server.ts';

const PASSWORD = 'a long enough password';

/** Small limits, on, behind a "proxy" so that each scenario can come from its own client IP. */
const LIMITS = {
  PORTAL_API_ONLY: 'true',
  PORTAL_RATE_LIMITS: 'on',
  PORTAL_TRUST_PROXY: 'true',
  RATE_LIMIT_SESSIONS_PER_MINUTE: '3',
  RATE_LIMIT_REGISTER_PER_HOUR: '2',
  RATE_LIMIT_LOGIN_PER_MINUTE: '3',
  RATE_LIMIT_LOGIN_FAILURES_PER_HOUR: '2',
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR: '3',
  RATE_LIMIT_ENQUEUE_PER_MINUTE: '2',
  RATE_LIMIT_ENQUEUE_PER_IP_PER_MINUTE: '3',
  RATE_LIMIT_MESSAGES_PER_MINUTE: '2',
  RATE_LIMIT_MESSAGES_PER_IP_PER_MINUTE: '3',
};

function expectLimited(reply: Reply): void {
  expectError(reply, 429, 'ERR_RATE_LIMITED');
  expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
}

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`rate limits on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let servers: RunningServer[];
    let db: Database;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      // On PostgreSQL two instances share one database, and so share the counters.
      const count = provider === 'postgresql' ? 2 : 1;
      servers = [];
      for (let i = 0; i < count; i++) servers.push(await startServer({ ...LIMITS, DATABASE_URL: target.url }));
      db = await openDatabase(target.url);
    });
    afterAll(async () => {
      await db?.close();
      await Promise.all(servers.map((s) => s.stop()));
      await target?.destroy();
    });

    let ip = 0;
    /** A fresh client address, or the one given (the servers trust X-Forwarded-For here). */
    const client = (address = `198.51.100.${++ip}`) => {
      const headers = { 'x-forwarded-for': address };
      let turn = 0;
      // Requests alternate between the instances: a shared limit must count them together.
      const base = () => servers[turn++ % servers.length]!.url;
      const post = (path: string, cookie: string | null, body?: unknown) =>
        request(base(), path, { method: 'POST', cookie, body, headers });
      return { headers, base, post };
    };
    async function session(c: ReturnType<typeof client>): Promise<string> {
      const reply = await c.post('/v1/portal/session', null);
      expect(reply.status).toBe(201);
      return cookieOf(reply)!;
    }

    it('limits new sessions per IP across instances', async () => {
      const c = client();
      for (let i = 0; i < 3; i++) await session(c);
      const before = await db.prisma.session.count();
      expectLimited(await c.post('/v1/portal/session', null));
      expect(await db.prisma.session.count()).toBe(before);
      await session(client());
    });

    it('limits registrations per IP', async () => {
      const c = client();
      const names = ['reg_a', 'reg_b', 'reg_c'].map((n) => `${n}_${provider.slice(0, 2)}`);
      expect((await c.post('/v1/portal/auth/register', null, { username: names[0], password: PASSWORD })).status).toBe(
        201,
      );
      expect((await c.post('/v1/portal/auth/register', null, { username: names[1], password: PASSWORD })).status).toBe(
        201,
      );
      expectLimited(await c.post('/v1/portal/auth/register', null, { username: names[2], password: PASSWORD }));
      expect(await db.prisma.account.count({ where: { username: names[2] } })).toBe(0);
    });

    it('limits login attempts per IP, and failed logins per username and IP', async () => {
      const username = `victim_${provider.slice(0, 2)}`;
      await client().post('/v1/portal/auth/register', null, { username, password: PASSWORD });

      const guesser = client();
      for (let i = 0; i < 3; i++) {
        const reply = await guesser.post('/v1/portal/auth/login', null, { username: `nobody${i}`, password: PASSWORD });
        expectError(reply, 401, 'ERR_INVALID_CREDENTIALS');
      }
      expectLimited(await guesser.post('/v1/portal/auth/login', null, { username, password: PASSWORD }));

      // Two wrong guesses at one account from one address use up that pair's allowance, even in parallel:
      // the right password from there now waits, while the owner elsewhere is not locked out.
      const attacker = client();
      const guesses = await Promise.all(
        ['wrong guess 1', 'wrong guess 2', 'wrong guess 3'].map((password) =>
          attacker.post('/v1/portal/auth/login', null, { username, password }),
        ),
      );
      expect(guesses.map((g) => g.status).sort()).toEqual([401, 401, 429]);
      expectLimited(await attacker.post('/v1/portal/auth/login', null, { username, password: PASSWORD }));
      expect((await client().post('/v1/portal/auth/login', null, { username, password: PASSWORD })).status).toBe(200);
    });

    it('counts failed logins per account over every address; a success gives back only its own attempt', async () => {
      const username = `target_${provider.slice(0, 2)}`;
      await client().post('/v1/portal/auth/register', null, { username, password: PASSWORD });
      const guess = (password: string) => client().post('/v1/portal/auth/login', null, { username, password });

      // Each guess from its own address: the per-address limit (2) never trips.
      expectError(await guess('wrong guess 1'), 401, 'ERR_INVALID_CREDENTIALS');
      expectError(await guess('wrong guess 2'), 401, 'ERR_INVALID_CREDENTIALS');
      // The owner signs in meanwhile: that attempt is given back, the two guesses are not forgotten.
      expect((await guess(PASSWORD)).status).toBe(200);
      expectError(await guess('wrong guess 3'), 401, 'ERR_INVALID_CREDENTIALS');
      // Three failures an hour for this account, whatever the address: now nobody gets to try, not even
      // with the right password (a refusal that depended on the password would confirm a guess).
      const before = await db.prisma.session.count();
      expectLimited(await guess('wrong guess 4'));
      expectLimited(await guess(PASSWORD));
      expect(await db.prisma.session.count()).toBe(before);
      // Other accounts are not affected, and unknown usernames are counted the same way (no hint either way).
      const other = `bystander_${provider.slice(0, 2)}`;
      await client().post('/v1/portal/auth/register', null, { username: other, password: PASSWORD });
      expect((await client().post('/v1/portal/auth/login', null, { username: other, password: PASSWORD })).status).toBe(
        200,
      );
      const ghost = `ghost_${provider.slice(0, 2)}`;
      for (let i = 0; i < 3; i++) {
        const reply = await client().post('/v1/portal/auth/login', null, { username: ghost, password: PASSWORD });
        expectError(reply, 401, 'ERR_INVALID_CREDENTIALS');
      }
      expectLimited(await client().post('/v1/portal/auth/login', null, { username: ghost, password: PASSWORD }));
    });

    it('counts an IPv6 client by its /64, and an IPv4-mapped address as its IPv4 address', async () => {
      // Sessions are limited to 3 a minute per address: every address of one /64 shares them.
      const block = ['2001:db8:77:1::1', '2001:db8:77:1::2', '2001:db8:77:1:ffff:ffff:ffff:ffff'];
      for (const address of block) await session(client(address));
      expectLimited(await client('2001:db8:77:1:abcd::42').post('/v1/portal/session', null));
      // The next /64 is someone else.
      await session(client('2001:db8:77:2::1'));

      await session(client('198.51.100.200'));
      await session(client('::ffff:198.51.100.200'));
      await session(client('::ffff:c633:64c8'));
      expectLimited(await client('198.51.100.200').post('/v1/portal/session', null));

      // Failed logins per username and address: two guesses from one /64, however many addresses it uses.
      const username = `six_${provider.slice(0, 2)}`;
      await client().post('/v1/portal/auth/register', null, { username, password: PASSWORD });
      for (const address of ['2001:db8:88:1::1', '2001:db8:88:1::2']) {
        const reply = await client(address).post('/v1/portal/auth/login', null, { username, password: 'wrong one' });
        expectError(reply, 401, 'ERR_INVALID_CREDENTIALS');
      }
      expectLimited(
        await client('2001:db8:88:1::3').post('/v1/portal/auth/login', null, { username, password: PASSWORD }),
      );
    });

    it('limits enqueues per session and per IP', async () => {
      const c = client();
      const [a, b] = [await session(c), await session(c)];
      expect((await c.post('/v1/portal/match', a, { interests: ['lim1'] })).status).toBe(200);
      expect((await c.post('/v1/portal/match', a, { interests: ['lim1'] })).status).toBe(200);
      expectLimited(await c.post('/v1/portal/match', a, { interests: ['lim1'] }));
      // Session b has its own allowance, but the address has one enqueue left.
      expect((await c.post('/v1/portal/match', b, { interests: ['lim2'] })).status).toBe(200);
      expectLimited(await c.post('/v1/portal/match', b, { interests: ['lim2'] }));
    });

    it('limits messages per session, over REST and the socket together', async () => {
      const one = client();
      const two = client();
      const a = await session(one);
      const b = await session(two);
      await one.post('/v1/portal/match', a, { interests: ['talk1'] });
      const token = (await two.post('/v1/portal/match', b, { interests: ['talk1'] })).json.token as string;
      expect((await one.post(`/v1/portal/chats/${token}/messages`, a, { text: 'one' })).status).toBe(201);
      const socket = await openSocket(servers[0]!.url, a, one.headers);
      socket.send({ type: 'join', token });
      await socket.next('joined');
      socket.send({ type: 'message', token, text: 'two' });
      await socket.next('message', (e) => e.message.text === 'two');
      socket.send({ type: 'message', token, text: 'three' });
      expect(await socket.next('error')).toMatchObject({ error: 'ERR_RATE_LIMITED', token });
      expectLimited(await one.post(`/v1/portal/chats/${token}/messages`, a, { text: 'four' }));
      expect(await db.prisma.message.count({ where: { chat: { token } } })).toBe(2);
      // The partner is not limited by a's sending.
      expect((await two.post(`/v1/portal/chats/${token}/messages`, b, { text: 'hi' })).status).toBe(201);
      await socket.close();
    });
  });
}

describe('PORTAL_RATE_LIMITS=off', () => {
  it('turns every limit off and says so at start', async () => {
    const target = await createTestDatabaseUrl('sqlite');
    const server = await startServer({ ...LIMITS, PORTAL_RATE_LIMITS: 'off', DATABASE_URL: target.url });
    try {
      expect(server.output()).toMatch(/"level":"warn".*PORTAL_RATE_LIMITS=off/);
      for (let i = 0; i < 5; i++) {
        expect((await request(server.url, '/v1/portal/session', { method: 'POST' })).status).toBe(201);
      }
    } finally {
      await server.stop();
      await target.destroy();
    }
  });
});
