import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, deviceLabel, LAST_SEEN_RESOLUTION_MS, type PortalEvent, type Principal } from '../src/index.ts';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const IDLE = 30 * DAY;
const MAX = 180 * DAY;
const PASSWORD = 'correct horse battery';
const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('device labels', () => {
  it.each([
    [CHROME_LINUX, 'Chrome on Linux'],
    [SAFARI_IPHONE, 'Safari on iPhone'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Edge on Windows',
    ],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on macOS'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'Safari on macOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
      'Chrome on iPhone',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
      'Samsung Internet on Android',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
      'Chrome on Linux',
    ],
    ['curl/8.5.0', 'curl'],
    ['something odd', 'Unknown device'],
    [null, 'Unknown device'],
  ])('%s → %s', (ua, label) => expect(deviceLabel(ua)).toBe(label));
});

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`sessions on ${provider}`, () => {
    let w: World;
    const events: PortalEvent[] = [];
    beforeAll(async () => {
      w = await createWorld(provider);
      w.core.bus.subscribe((event) => events.push(event));
    });
    afterAll(() => w?.close());

    let n = 0;
    const fresh = (prefix: string) => `${prefix}${++n}_${provider.slice(0, 2)}`;
    const row = (p: Principal) =>
      w.test.db.prisma.session.findUniqueOrThrow({
        where: { id: p.sessionId },
        select: { lastSeenAt: true, revokedAt: true, userAgent: true },
      });
    /** The hourly write is not awaited by the lookup: wait for the row to show it (it never lands on a timer). */
    async function lastSeenBecomes(p: Principal, at: number) {
      await expect.poll(async () => (await row(p)).lastSeenAt.getTime(), { timeout: 5000 }).toBe(at);
    }

    /** A registered person with `count` sessions (the first from register, the rest from logins). */
    async function account(count: number, agents: (string | null)[] = []) {
      const username = fresh('acct');
      const tokens = [(await w.core.accounts.register(null, username, PASSWORD, agents[0])).token];
      for (let i = 1; i < count; i++) {
        tokens.push((await w.core.accounts.login(null, username, PASSWORD, agents[i])).token);
      }
      const sessions = await Promise.all(tokens.map((t) => w.core.sessions.authenticate(t)));
      return { username, tokens, sessions };
    }
    const auth = (token: string) => w.core.sessions.authenticate(token);

    it('ends a session SESSION_IDLE_DAYS after its last request, and a request pushes that back', async () => {
      const unused = await w.stranger();
      const used = await w.stranger();
      const start = w.clock.now();
      w.clock.advance(IDLE - MINUTE);
      expect((await w.reload(used)).renewed).toBe(true);
      await lastSeenBecomes(used, start + IDLE - MINUTE);
      w.clock.advance(MINUTE);
      // Exactly SESSION_IDLE_DAYS without a request: over.
      await expectCode(w.reload(unused), 'ERR_UNAUTHENTICATED');
      expect(await w.core.sessions.find('x'.repeat(43))).toBeNull();
      // The other one was seen a minute ago.
      await w.reload(used);
      w.clock.advance(IDLE - 2 * MINUTE);
      await w.reload(used);
      await lastSeenBecomes(used, start + 2 * IDLE - 2 * MINUTE);
      w.clock.advance(IDLE);
      await expectCode(w.reload(used), 'ERR_UNAUTHENTICATED');
      // Expired is not revoked: the row is untouched, it simply no longer signs anyone in.
      expect((await row(used)).revokedAt).toBeNull();
    });

    it('ends a session SESSION_MAX_DAYS after its creation, however busy', async () => {
      const busy = await w.stranger();
      const start = w.clock.now();
      for (let day = 10; day < 180; day += 10) {
        w.clock.advance(10 * DAY);
        await w.reload(busy);
        await lastSeenBecomes(busy, start + day * DAY);
      }
      w.clock.advance(10 * DAY - MINUTE);
      const last = await w.reload(busy);
      expect(last.expiresAt).toBe(start + MAX);
      expect(w.core.sessions.cookieMaxAge(last)).toBe(60);
      w.clock.advance(MINUTE);
      await expectCode(w.reload(busy), 'ERR_UNAUTHENTICATED');
      expect((await w.core.sessions.standing([busy.sessionId])).get(busy.sessionId)).toBe('revoked');
    });

    it('writes last_seen_at at most once an hour, and only then renews the cookie', async () => {
      const s = await w.stranger();
      const start = w.clock.now();
      const fresh1 = await w.reload(s);
      expect(fresh1.renewed).toBe(false);
      expect(fresh1.expiresAt).toBe(start + IDLE);
      expect(w.core.sessions.cookieMaxAge(fresh1)).toBe(IDLE / 1000);
      for (const step of [10, 20, 29]) {
        w.clock.advance(step * MINUTE);
        for (let i = 0; i < 5; i++) expect((await w.reload(s)).renewed).toBe(false);
      }
      // 59 minutes on: still the creation time in the row.
      expect((await row(s)).lastSeenAt.getTime()).toBe(start);
      w.clock.advance(2 * MINUTE);
      const renewed = await w.reload(s);
      expect(renewed.renewed).toBe(true);
      expect(renewed.expiresAt).toBe(start + 61 * MINUTE + IDLE);
      expect(w.core.sessions.cookieMaxAge(renewed)).toBe(IDLE / 1000);
      await lastSeenBecomes(s, start + 61 * MINUTE);
      // Written once: requests at the same instant after it read it and write nothing.
      for (const again of await Promise.all(Array.from({ length: 5 }, () => w.reload(s)))) {
        expect(again.renewed).toBe(false);
      }
      w.clock.advance(30 * MINUTE);
      const after = await w.reload(s);
      expect(after.renewed).toBe(false);
      // The cookie set at the write still runs to the same deadline.
      expect(after.expiresAt).toBe(start + 61 * MINUTE + IDLE);
      expect((await row(s)).lastSeenAt.getTime()).toBe(start + 61 * MINUTE);
      expect(LAST_SEEN_RESOLUTION_MS).toBe(HOUR);
    });

    it('gives a cookie no more than what is left of the absolute lifetime', async () => {
      const core = createCore(w.test.db, {
        now: w.clock.now,
        config: { sessionIdleMs: 10 * DAY, sessionMaxMs: 15 * DAY },
      });
      const { token } = await core.sessions.create('curl/8');
      w.clock.advance(8 * DAY);
      const p = await core.sessions.authenticate(token);
      expect(p.renewed).toBe(true);
      expect(core.sessions.cookieMaxAge(p)).toBe((7 * DAY) / 1000);
    });

    it('lists the live sessions of an account, this one first, with devices', async () => {
      const { tokens, sessions } = await account(4, [CHROME_LINUX, SAFARI_IPHONE, null, 'curl/8.5.0']);
      const [me, phone, revoked, stale] = sessions as [Principal, Principal, Principal, Principal];
      await w.core.sessions.revoke(me, revoked.sessionId);
      // `stale` will expire: everyone else is used a day before it does.
      w.clock.advance(IDLE - DAY);
      await auth(tokens[0]!);
      await auth(tokens[1]!);
      await lastSeenBecomes(phone, w.clock.now());
      w.clock.advance(DAY);
      const now = await auth(tokens[0]!);
      const other = await account(1);
      const stranger = await w.stranger();

      const list = await w.core.sessions.list(now);
      expect(list.sessions.map((s) => s.id)).toEqual([me.sessionId, phone.sessionId]);
      expect(list.sessions[0]).toMatchObject({ current: true, user_agent: CHROME_LINUX, device: 'Chrome on Linux' });
      expect(list.sessions[1]).toMatchObject({
        current: false,
        user_agent: SAFARI_IPHONE,
        device: 'Safari on iPhone',
        last_seen_at: new Date(w.clock.now() - DAY).toISOString(),
      });
      expect(list.sessions.map((s) => s.id)).not.toContain(stale.sessionId);
      expect(list.sessions.map((s) => s.id)).not.toContain(other.sessions[0]!.sessionId);
      // A stranger sees exactly their own session.
      const theirs = await w.core.sessions.list(stranger);
      expect(theirs.sessions).toEqual([
        expect.objectContaining({ id: stranger.sessionId, current: true, user_agent: null, device: 'Unknown device' }),
      ]);
    });

    it('revokes one session of the account: signed out, search ended, sockets told, on its id only', async () => {
      const { sessions, tokens } = await account(3);
      const [me, lost, kept] = sessions as [Principal, Principal, Principal];
      await w.core.matching.enqueue(lost, [fresh('lost').slice(0, 12).replace(/_/g, '')]);
      events.length = 0;
      expect(await w.core.sessions.revoke(me, lost.sessionId)).toEqual({ current: false });
      await expectCode(auth(tokens[1]!), 'ERR_UNAUTHENTICATED');
      await auth(tokens[0]!);
      await auth(tokens[2]!);
      expect(await w.test.db.prisma.queueEntry.count({ where: { sessionId: lost.sessionId } })).toBe(0);
      expect(events).toContainEqual({ type: 'disconnect', sessions: [lost.sessionId], error: 'ERR_UNAUTHENTICATED' });
      expect((await w.core.sessions.standing([lost.sessionId])).get(lost.sessionId)).toBe('revoked');
      // Already revoked: no longer theirs to revoke.
      await expectCode(w.core.sessions.revoke(me, lost.sessionId), 'ERR_NOT_FOUND');
      expect(kept.accountId).toBe(me.accountId);
    });

    it("refuses to revoke anyone else's session, and changes nothing", async () => {
      const mine = await account(1);
      const theirs = await account(2);
      const stranger = await w.stranger();
      const other = await w.stranger();
      const me = mine.sessions[0]!;
      events.length = 0;
      await expectCode(w.core.sessions.revoke(me, theirs.sessions[1]!.sessionId), 'ERR_NOT_FOUND');
      await expectCode(w.core.sessions.revoke(me, stranger.sessionId), 'ERR_NOT_FOUND');
      await expectCode(w.core.sessions.revoke(stranger, other.sessionId), 'ERR_NOT_FOUND');
      await expectCode(w.core.sessions.revoke(stranger, me.sessionId), 'ERR_NOT_FOUND');
      await expectCode(w.core.sessions.revoke(me, '00000000-0000-4000-8000-000000000000'), 'ERR_NOT_FOUND');
      for (const t of theirs.tokens) await auth(t);
      await w.reload(stranger);
      await w.reload(other);
      expect(events.filter((e) => e.type === 'disconnect')).toEqual([]);
    });

    it('revoking the current session is a logout; a stranger who does so leaves their chats', async () => {
      const { sessions, tokens } = await account(2);
      expect(await w.core.sessions.revoke(sessions[0]!, sessions[0]!.sessionId)).toEqual({ current: true });
      await expectCode(auth(tokens[0]!), 'ERR_UNAUTHENTICATED');
      await auth(tokens[1]!);

      const stranger = await w.stranger();
      const partner = await w.stranger();
      const tag = `rev${++n}`;
      await w.core.matching.enqueue(stranger, [tag]);
      const chat = (await w.core.matching.enqueue(partner, [tag])).token!;
      events.length = 0;
      expect(await w.core.sessions.revoke(stranger, stranger.sessionId)).toEqual({ current: true });
      await expectCode(w.reload(stranger), 'ERR_UNAUTHENTICATED');
      expect(events).toContainEqual({ type: 'ended', chat, by: stranger.personKey, reason: 'ended' });
      expect(events).toContainEqual({
        type: 'disconnect',
        sessions: [stranger.sessionId],
        error: 'ERR_UNAUTHENTICATED',
      });
      expect((await w.core.chats.open(partner, chat)).state).toBe('ended');
    });

    it('revokes every other session of the account, and none of a stranger', async () => {
      const { sessions, tokens } = await account(3);
      const [me, a, b] = sessions as [Principal, Principal, Principal];
      const other = await account(1);
      const tag = fresh('oth').replace(/_/g, '');
      await w.core.matching.enqueue(a, [tag]);
      events.length = 0;
      await w.core.sessions.revokeOthers(me);
      await auth(tokens[0]!);
      await expectCode(auth(tokens[1]!), 'ERR_UNAUTHENTICATED');
      await expectCode(auth(tokens[2]!), 'ERR_UNAUTHENTICATED');
      await auth(other.tokens[0]!);
      expect(await w.test.db.prisma.queueEntry.count({ where: { sessionId: a.sessionId } })).toBe(0);
      const disconnect = events.find((e) => e.type === 'disconnect');
      expect(disconnect).toMatchObject({ error: 'ERR_UNAUTHENTICATED' });
      expect(new Set((disconnect as { sessions: string[] }).sessions)).toEqual(new Set([a.sessionId, b.sessionId]));
      expect((await w.core.sessions.list(me)).sessions.map((s) => s.id)).toEqual([me.sessionId]);

      const stranger = await w.stranger();
      events.length = 0;
      await w.core.sessions.revokeOthers(stranger);
      await w.reload(stranger);
      expect(events).toEqual([]);
    });

    it('changes the password and signs out every other session', async () => {
      const { username, sessions, tokens } = await account(3);
      const [me, a, b] = sessions as [Principal, Principal, Principal];
      const before = await w.test.db.prisma.account.findUniqueOrThrow({ where: { username } });
      // Wrong current password: refused, nothing changes.
      events.length = 0;
      await expectCode(
        w.core.passwords.change(me, 'not the password', 'a brand new password'),
        'ERR_INVALID_CREDENTIALS',
      );
      const unchanged = await w.test.db.prisma.account.findUniqueOrThrow({ where: { username } });
      expect(unchanged.passwordHash).toBe(before.passwordHash);
      for (const t of tokens) await auth(t);
      expect(events).toEqual([]);

      await w.core.passwords.change(me, PASSWORD, 'a brand new password');
      await auth(tokens[0]!);
      await expectCode(auth(tokens[1]!), 'ERR_UNAUTHENTICATED');
      await expectCode(auth(tokens[2]!), 'ERR_UNAUTHENTICATED');
      const disconnect = events.find((e) => e.type === 'disconnect');
      expect(new Set((disconnect as { sessions: string[] }).sessions)).toEqual(new Set([a.sessionId, b.sessionId]));
      await expectCode(w.core.accounts.login(null, username, PASSWORD), 'ERR_INVALID_CREDENTIALS');
      await w.core.accounts.login(null, username, 'a brand new password');
    });

    it('refuses a stranger a password change, and a session revoked meanwhile', async () => {
      const stranger = await w.stranger();
      await expectCode(w.core.passwords.change(stranger, PASSWORD, 'a brand new password'), 'ERR_FORBIDDEN');
      const { username, sessions } = await account(2);
      // `sessions[1]` was authenticated, then signed out by the other before it changed anything.
      await w.core.sessions.revoke(sessions[0]!, sessions[1]!.sessionId);
      await expectCode(w.core.passwords.change(sessions[1]!, PASSWORD, 'a brand new password'), 'ERR_UNAUTHENTICATED');
      await w.core.accounts.login(null, username, PASSWORD);
    });

    it('keeps the user agent of register and login, and refreshes it when a stranger registers', async () => {
      const { token, principal } = await w.core.sessions.create(SAFARI_IPHONE);
      expect((await row(principal)).userAgent).toBe(SAFARI_IPHONE);
      w.clock.advance(2 * HOUR);
      await w.core.accounts.register(await w.core.sessions.authenticate(token), fresh('ua'), PASSWORD, CHROME_LINUX);
      const after = await row(principal);
      expect(after.userAgent).toBe(CHROME_LINUX);
      expect(after.lastSeenAt.getTime()).toBe(w.clock.now());
      const weird = await w.core.sessions.create(`a\u0001b${'x'.repeat(600)}`);
      expect((await row(weird.principal)).userAgent).toBe(`ab${'x'.repeat(510)}`);
    });
  });
}
