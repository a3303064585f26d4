import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { openSocket } from './socket-client.ts';
import { cookieOf, expectError, newStranger, request, runCli, startServer, type RunningServer } from './server.ts';

const PASSWORD = 'a long enough password';

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`accounts and moderation over HTTP on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    let db: Database;
    let base: string;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      server = await startServer({ DATABASE_URL: target.url, PORTAL_API_ONLY: 'true', SOCKET_PING_SECONDS: '1' });
      base = server.url;
      db = await openDatabase(target.url);
    });
    afterAll(async () => {
      await db?.close();
      await server?.stop();
      await target?.destroy();
    });

    let n = 0;
    const name = (prefix: string) => `${prefix}${++n}${provider.slice(0, 2)}`;
    const post = (path: string, cookie: string | null, body?: unknown) =>
      request(base, path, { method: 'POST', cookie, body });
    const me = async (cookie: string): Promise<Record<string, unknown>> =>
      (await request(base, '/v1/portal/session', { cookie })).json as Record<string, unknown>;
    async function register(username: string, cookie: string | null = null): Promise<string> {
      const reply = await post('/v1/portal/auth/register', cookie, { username, password: PASSWORD });
      expect(reply.status).toBe(201);
      return cookieOf(reply)!;
    }
    async function pair(a: string, b: string): Promise<string> {
      const tag = `http${++n}`;
      expect((await post('/v1/portal/match', a, { interests: [tag] })).json.state).toBe('searching');
      const matched = await post('/v1/portal/match', b, { interests: [tag] });
      expect(matched.json.state).toBe('matched');
      return matched.json.token as string;
    }
    const counts = async () => ({
      accounts: await db.prisma.account.count(),
      sessions: await db.prisma.session.count(),
      audit: await db.prisma.auditEntry.count(),
      reports: await db.prisma.report.count(),
    });

    it('registers a stranger in place: 201, a new cookie, the same chats', async () => {
      const stranger = await newStranger(base);
      const partner = await newStranger(base);
      const token = await pair(stranger, partner);
      const username = name('ann');
      const reply = await post('/v1/portal/auth/register', stranger, { username, password: PASSWORD });
      expect(reply.status).toBe(201);
      expect(String(reply.headers['set-cookie'])).toMatch(
        /^psession=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/,
      );
      const cookie = cookieOf(reply)!;
      expect(cookie).not.toBe(stranger);
      expect(reply.json).toMatchObject({ kind: 'registered', username, plan: 'free', role: 'user', active_chats: 1 });
      expect((await request(base, `/v1/portal/chats/${token}`, { cookie })).json.state).toBe('active');
      expectError(await request(base, '/v1/portal/session', { cookie: stranger }), 401, 'ERR_UNAUTHENTICATED');
    });

    it('refuses bad and taken usernames and short passwords, writing nothing', async () => {
      const username = name('bea');
      await register(username);
      const before = await counts();
      const bad: [unknown, number, string][] = [
        [{ username, password: PASSWORD }, 409, 'ERR_USERNAME_TAKEN'],
        [{ username: 'Caps', password: PASSWORD }, 400, 'ERR_BAD_REQUEST'],
        [{ username: 'ab', password: PASSWORD }, 400, 'ERR_BAD_REQUEST'],
        [{ username: name('ok'), password: 'short' }, 400, 'ERR_BAD_REQUEST'],
        [{ username: name('ok'), password: 'x'.repeat(201) }, 400, 'ERR_BAD_REQUEST'],
        [{ username: name('ok'), password: PASSWORD, plan: 'premium' }, 400, 'ERR_BAD_REQUEST'],
        [{ username: name('ok') }, 400, 'ERR_BAD_REQUEST'],
        [{ username: 42, password: PASSWORD }, 400, 'ERR_BAD_REQUEST'],
      ];
      for (const [body, status, code] of bad)
        expectError(await post('/v1/portal/auth/register', null, body), status, code);
      expect(await counts()).toEqual(before);
    });

    it('gives exactly one of ten simultaneous registrations of a name', async () => {
      const username = name('race');
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => post('/v1/portal/auth/register', null, { username, password: PASSWORD })),
      );
      expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of replies.filter((r) => r.status !== 201)) expectError(r, 409, 'ERR_USERNAME_TAKEN');
    });

    it('logs in with one answer for an unknown user and a wrong password', async () => {
      const username = name('cat');
      await register(username);
      const wrong = await post('/v1/portal/auth/login', null, { username, password: 'wrong password!' });
      const unknown = await post('/v1/portal/auth/login', null, { username: name('nobody'), password: PASSWORD });
      expectError(wrong, 401, 'ERR_INVALID_CREDENTIALS');
      expect(unknown.json).toEqual(wrong.json);
      expectError(await post('/v1/portal/auth/login', null, { username }), 400, 'ERR_BAD_REQUEST');
      // PostgreSQL text cannot hold NUL: malformed input, not a server error.
      expectError(
        await post('/v1/portal/auth/login', null, { username: 'a\u0000', password: PASSWORD }),
        400,
        'ERR_BAD_REQUEST',
      );

      const ok = await post('/v1/portal/auth/login', null, { username, password: PASSWORD });
      expect(ok.status).toBe(200);
      expect((await me(cookieOf(ok)!)).username).toBe(username);
    });

    it('logs out one session only (204, cookie cleared) and closes its sockets', async () => {
      const username = name('dan');
      const first = await register(username);
      const second = cookieOf(await post('/v1/portal/auth/login', null, { username, password: PASSWORD }))!;
      const socket = await openSocket(base, first);
      const reply = await post('/v1/portal/auth/logout', first);
      expect(reply.status).toBe(204);
      expect(reply.text).toBe('');
      expect(String(reply.headers['set-cookie'])).toMatch(/^psession=; .*Max-Age=0/);
      await socket.next('error', (e) => e.error === 'ERR_UNAUTHENTICATED');
      expect((await socket.closed).code).toBe(4401);
      expectError(await request(base, '/v1/portal/session', { cookie: first }), 401, 'ERR_UNAUTHENTICATED');
      expect((await me(second)).username).toBe(username);
      expectError(await post('/v1/portal/auth/logout', null), 401, 'ERR_UNAUTHENTICATED');
    });

    it('makes a premium member through the command line: three chats, the fourth refused', async () => {
      const username = name('eve');
      const member = await register(username);
      const cli = await runCli(target.url, ['plan', 'set', username, 'premium']);
      expect(cli).toEqual({ code: 0, out: `${username} is now on the premium plan.\n` });
      expect(await me(member)).toMatchObject({ plan: 'premium', chat_limit: 3 });
      for (let i = 0; i < 3; i++) await pair(await newStranger(base), member);
      expect((await me(member)).active_chats).toBe(3);
      expectError(await post('/v1/portal/match', member, { interests: ['more1'] }), 409, 'ERR_MATCH_SLOT_LIMIT');
      expect((await request(base, '/v1/portal/chats', { cookie: member })).json.chats).toHaveLength(3);

      expect((await runCli(target.url, ['plan', 'set', username, 'gold'])).code).toBe(2);
      expect(await runCli(target.url, ['plan', 'set', name('ghost'), 'free'])).toMatchObject({ code: 1 });
    });

    it('holds a premium account to three chats when its sessions search at once', async () => {
      const username = name('fay');
      await register(username);
      await runCli(target.url, ['plan', 'set', username, 'premium']);
      const sessions = await Promise.all(
        Array.from({ length: 5 }, async () =>
          cookieOf(await post('/v1/portal/auth/login', null, { username, password: PASSWORD }))!,
        ),
      );
      const strangers = await Promise.all(Array.from({ length: 10 }, () => newStranger(base)));
      const replies = await Promise.all(
        [...sessions, ...strangers].map((c) => post('/v1/portal/match', c, { interests: ['crowd'] })),
      );
      for (const r of replies) expect([200, 409]).toContain(r.status);
      expect((await me(sessions[0]!)).active_chats).toBeLessThanOrEqual(3);
    });

    it('lets the command line list and revoke sessions; the socket closes at the next ping', async () => {
      const username = name('gus');
      const cookie = await register(username);
      const id = (await me(cookie)).id as string;
      const list = await runCli(target.url, ['sessions', 'list', username]);
      expect(list.out).toContain(`${id}  created`);
      const socket = await openSocket(base, cookie);
      expect(await runCli(target.url, ['sessions', 'revoke', username, '--all'])).toEqual({
        code: 0,
        out: `Revoked 1 session of ${username}.\n`,
      });
      expectError(await request(base, '/v1/portal/session', { cookie }), 401, 'ERR_UNAUTHENTICATED');
      // PostgreSQL tells the server over NOTIFY; SQLite's server finds out at its next ping (1 s here).
      await socket.next('error', (e) => e.error === 'ERR_UNAUTHENTICATED');
      expect((await socket.closed).code).toBe(4401);
    });

    it('reports, lists for moderators only, blocks at once everywhere, and audits', async () => {
      const modName = name('mod');
      const moderator = await register(modName);
      const victim = await newStranger(base);
      const abuser = await newStranger(base);
      const token = await pair(victim, abuser);
      await post(`/v1/portal/chats/${token}/messages`, abuser, { text: 'nasty <script>' });

      // Who may see the reports: 401, then 403 for non-moderators.
      expectError(await request(base, '/v1/portal/moderation/reports'), 401, 'ERR_UNAUTHENTICATED');
      expectError(await request(base, '/v1/portal/moderation/reports', { cookie: victim }), 403, 'ERR_FORBIDDEN');
      expectError(await request(base, '/v1/portal/moderation/reports', { cookie: moderator }), 403, 'ERR_FORBIDDEN');
      expectError(
        await post(`/v1/portal/moderation/sessions/${await me(abuser).then((s) => s.id as string)}/block`, victim, {
          reason: 'x',
        }),
        403,
        'ERR_FORBIDDEN',
      );
      expect((await runCli(target.url, ['role', 'set', modName, 'moderator'])).code).toBe(0);

      const abuserSocket = await openSocket(base, abuser);
      const victimSocket = await openSocket(base, victim);
      victimSocket.send({ type: 'join', token });
      await victimSocket.next('joined');
      expectError(await post(`/v1/portal/chats/${token}/report`, victim, { reason: '   ' }), 400, 'ERR_BAD_REQUEST');
      expectError(
        await post(`/v1/portal/chats/${token}/report`, victim, { reason: 'x\u0000' }),
        400,
        'ERR_BAD_REQUEST',
      );
      expectError(
        await post(`/v1/portal/chats/${token}/messages`, victim, { text: 'x\u0000' }),
        400,
        'ERR_BAD_REQUEST',
      );
      const filed = await post(`/v1/portal/chats/${token}/report`, victim, { reason: 'threats' });
      expect(filed.status).toBe(201);
      await victimSocket.next('ended', (e) => e.reason === 'reported' && e.by === 'me');
      const again = await post(`/v1/portal/chats/${token}/report`, victim, { reason: 'threats' });
      expect(again.status).toBe(200);
      expect(again.json).toEqual(filed.json);

      const reports = await request(base, '/v1/portal/moderation/reports', { cookie: moderator });
      expect(reports.status).toBe(200);
      const report = (reports.json.reports as { id: string; reported: { session_id: string } }[]).find(
        (r) => r.id === filed.json.id,
      )!;
      expect(report).toMatchObject({
        reason: 'threats',
        reported: { account_id: null, username: null, restricted: false },
        excerpt: [{ from: 'reported', text: 'nasty <script>' }],
      });

      // The abuser is in a new chat and searching again when the block lands.
      const bystander = await newStranger(base);
      const second = await pair(abuser, bystander);
      const bystanderSocket = await openSocket(base, bystander);
      bystanderSocket.send({ type: 'join', token: second });
      await bystanderSocket.next('joined');
      const blockPath = `/v1/portal/moderation/sessions/${report.reported.session_id}/block`;
      expectError(await post(blockPath, moderator, {}), 400, 'ERR_BAD_REQUEST');
      const blocked = await post(blockPath, moderator, { reason: 'threats in chat' });
      expect(blocked.status).toBe(200);
      expect(blocked.json).toMatchObject({ restricted: true, chats_ended: 1 });
      await bystanderSocket.next('ended', (e) => e.token === second && e.reason === 'moderated');
      await abuserSocket.next('error', (e) => e.error === 'ERR_STRANGER_BLOCKED');
      expect((await abuserSocket.closed).code).toBe(4403);
      // A new socket opens only to be told and closed.
      const refused = await openSocket(base, abuser);
      await refused.next('error', (e) => e.error === 'ERR_STRANGER_BLOCKED');
      expect((await refused.closed).code).toBe(4403);
      // 403 before any other check but authentication.
      expectError(await post('/v1/portal/match', abuser, { interests: ['fine1'] }), 403, 'ERR_STRANGER_BLOCKED');
      expectError(await post('/v1/portal/match', abuser, { interests: 'nope' }), 403, 'ERR_STRANGER_BLOCKED');
      expectError(await post('/v1/portal/match', null, { interests: ['fine1'] }), 401, 'ERR_UNAUTHENTICATED');
      expectError(
        await post('/v1/portal/auth/register', abuser, { username: name('esc'), password: PASSWORD }),
        403,
        'ERR_STRANGER_BLOCKED',
      );

      const audit = await request(base, '/v1/portal/moderation/audit?limit=5', { cookie: moderator });
      expect(audit.json.entries[0]).toMatchObject({
        actor: 'moderator',
        actor_username: modName,
        action: 'block',
        target_id: report.reported.session_id,
        reason: 'threats in chat',
      });
      expectError(
        await request(base, '/v1/portal/moderation/audit?limit=0', { cookie: moderator }),
        400,
        'ERR_BAD_REQUEST',
      );
      expectError(
        await post('/v1/portal/moderation/sessions/nope/block', moderator, { reason: 'x' }),
        404,
        'ERR_NOT_FOUND',
      );

      const lifted = await post(`/v1/portal/moderation/sessions/${report.reported.session_id}/unblock`, moderator);
      expect(lifted.json).toMatchObject({ restricted: false });
      expect((await post('/v1/portal/match', abuser, { interests: ['fine1'] })).status).toBe(200);
      await Promise.all([victimSocket.close(), bystanderSocket.close()]);
    });

    it('suspends an account on all its sessions and lifts it', async () => {
      const modName = name('mod');
      const moderator = await register(modName);
      await runCli(target.url, ['role', 'set', modName, 'moderator']);
      const username = name('hal');
      const one = await register(username);
      const two = cookieOf(await post('/v1/portal/auth/login', null, { username, password: PASSWORD }))!;
      const account = (await me(one)).account_id as string;
      const socket = await openSocket(base, two);
      const reply = await post(`/v1/portal/moderation/accounts/${account}/suspend`, moderator, { reason: 'spam' });
      expect(reply.status).toBe(200);
      await socket.next('error', (e) => e.error === 'ERR_ACCOUNT_SUSPENDED');
      for (const cookie of [one, two]) {
        expectError(await post('/v1/portal/match', cookie, { interests: ['x'] }), 403, 'ERR_ACCOUNT_SUSPENDED');
      }
      const modId = (await me(moderator)).account_id as string;
      expectError(
        await post(`/v1/portal/moderation/accounts/${modId}/suspend`, moderator, { reason: 'x' }),
        403,
        'ERR_FORBIDDEN',
      );
      await post(`/v1/portal/moderation/accounts/${account}/unsuspend`, moderator, { reason: 'appeal' });
      expect((await post('/v1/portal/match', one, { interests: ['back1'] })).status).toBe(200);
    });

    it('keeps moderators off each other and off reports about themselves (403); the operator suspends one', async () => {
      const [modA, modB] = [name('moda'), name('modb')];
      const a = await register(modA);
      const b = await register(modB);
      for (const username of [modA, modB]) await runCli(target.url, ['role', 'set', username, 'moderator']);
      const bAccount = (await me(b)).account_id as string;
      const bSession = (await me(b)).id as string;
      const before = await counts();
      for (const [path, body] of [
        [`/v1/portal/moderation/accounts/${bAccount}/suspend`, { reason: 'x' }],
        [`/v1/portal/moderation/accounts/${bAccount}/unsuspend`, {}],
        [`/v1/portal/moderation/sessions/${bSession}/block`, { reason: 'x' }],
      ] as const) {
        expectError(await post(path, a, body), 403, 'ERR_FORBIDDEN');
      }
      expect(await counts()).toEqual(before);

      // A report about moderator b: b cannot dismiss it, a can.
      const reporter = await newStranger(base);
      const token = await pair(reporter, b);
      const filed = await post(`/v1/portal/chats/${token}/report`, reporter, { reason: 'rude moderator' });
      expect(filed.status).toBe(201);
      const dismissPath = `/v1/portal/moderation/reports/${filed.json.id}/dismiss`;
      const filedCounts = await counts();
      expectError(await post(dismissPath, b, {}), 403, 'ERR_FORBIDDEN');
      expect(await counts()).toEqual(filedCounts);
      expect(await db.prisma.report.count({ where: { id: filed.json.id, resolvedAt: null } })).toBe(1);
      expect((await post(dismissPath, a, { reason: 'looked into it' })).status).toBe(200);

      // The operator: b's chats end, b's sockets close with 4403, b cannot search, the audit says operator.
      const partner = await newStranger(base);
      const chat = await pair(partner, b);
      const partnerSocket = await openSocket(base, partner);
      const bSocket = await openSocket(base, b);
      for (const socket of [partnerSocket, bSocket]) {
        socket.send({ type: 'join', token: chat });
        await socket.next('joined');
      }
      const suspended = await runCli(target.url, ['suspend', modB, 'abuse', 'of', 'power']);
      expect(suspended).toMatchObject({ code: 0, out: expect.stringContaining(`${modB} is suspended`) });
      // At once on PostgreSQL (the command line publishes over LISTEN/NOTIFY), at the next ping on SQLite.
      expect((await bSocket.closed).code).toBe(4403);
      expect((await request(base, `/v1/portal/chats/${chat}`, { cookie: partner })).json.state).toBe('ended');
      expectError(await post('/v1/portal/match', b, { interests: ['again'] }), 403, 'ERR_ACCOUNT_SUSPENDED');
      if (provider === 'postgresql') {
        await partnerSocket.next('ended', (e) => e.token === chat && e.reason === 'moderated');
      }
      const audit = await request(base, '/v1/portal/moderation/audit?limit=1', { cookie: a });
      expect(audit.json.entries[0]).toMatchObject({
        actor: 'operator',
        actor_username: null,
        action: 'suspend',
        target_kind: 'account',
        target_id: bAccount,
        reason: 'abuse of power',
      });
      // Another moderator still cannot lift it; the operator can.
      expectError(await post(`/v1/portal/moderation/accounts/${bAccount}/unsuspend`, a, {}), 403, 'ERR_FORBIDDEN');
      expect(await runCli(target.url, ['unsuspend', modB])).toMatchObject({ code: 0 });
      expect((await post('/v1/portal/match', b, { interests: ['again'] })).status).toBe(200);
      expect((await request(base, '/v1/portal/moderation/audit?limit=1', { cookie: a })).json.entries[0]).toMatchObject(
        {
          actor: 'operator',
          action: 'unsuspend',
          target_id: bAccount,
        },
      );
      expect(await runCli(target.url, ['suspend', 'nobody_at_all'])).toMatchObject({
        code: 1,
        out: expect.stringContaining('No account named nobody_at_all'),
      });
      expect((await runCli(target.url, ['suspend'])).code).toBe(2);
      await partnerSocket.close();
    });

    it('refuses to register a new account from a session of a suspended account (403)', async () => {
      const modName = name('modr');
      const moderator = await register(modName);
      await runCli(target.url, ['role', 'set', modName, 'moderator']);
      const evader = await register(name('eva'));
      const account = (await me(evader)).account_id as string;
      expect((await post(`/v1/portal/moderation/accounts/${account}/suspend`, moderator, { reason: 'x' })).status).toBe(
        200,
      );
      const before = await counts();
      expectError(
        await post('/v1/portal/auth/register', evader, { username: name('fresh'), password: PASSWORD }),
        403,
        'ERR_ACCOUNT_SUSPENDED',
      );
      expect(await counts()).toEqual(before);
      expect((await me(evader)).account_id).toBe(account); // still signed in, still suspended
    });
  });
}
