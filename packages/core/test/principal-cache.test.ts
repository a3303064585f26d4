import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@portal/db';
import { createLocalBus, LAST_SEEN_RESOLUTION_MS, type Principal } from '../src/index.ts';
import { createPrincipalLookup } from '../src/sessions/lookup.ts';
import { createPrincipalCache } from '../src/sessions/principal-cache.ts';
import { hashToken, newSessionToken } from '../src/tokens.ts';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

const DAY = 86_400_000;
const IDLE = 30 * DAY;
const MAX = 180 * DAY;
const PASSWORD = 'correct horse battery';

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`the principal cache on ${provider}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await createWorld(provider, { config: { principalCacheSize: 1000 } });
    });
    afterAll(() => w?.close());

    let n = 0;
    const fresh = (prefix: string) => `${prefix}${++n}_${provider.slice(0, 2)}`;
    const auth = (token: string) => w.core.sessions.authenticate(token);
    /** A registered person with `count` sessions, each authenticated once (so cached). */
    async function account(count: number) {
      const username = fresh('pc');
      const tokens = [(await w.core.accounts.register(null, username, PASSWORD)).token];
      for (let i = 1; i < count; i++) tokens.push((await w.core.accounts.login(null, username, PASSWORD)).token);
      const sessions = await Promise.all(tokens.map(auth));
      return { username, tokens, sessions, accountId: sessions[0]!.accountId! };
    }
    async function stranger() {
      const { token } = await w.core.sessions.create();
      return { token, principal: await auth(token) };
    }
    async function moderator(): Promise<Principal> {
      const { username, tokens } = await account(1);
      await w.core.accounts.setRole(username, 'moderator');
      return auth(tokens[0]!);
    }

    it('answers from memory: a write behind the services’ back stays unseen until an event names it', async () => {
      const { tokens, accountId } = await account(1);
      // Through this process's own connection, announced by nobody (on PostgreSQL the
      // trigger notifies, but this core's bus is an in-process one).
      await w.test.db.prisma.account.update({ where: { id: accountId }, data: { plan: 'premium' } });
      expect((await auth(tokens[0]!)).plan).toBe('free');
      await w.core.bus.publish({ type: 'principal_changed', person: accountId });
      expect((await auth(tokens[0]!)).plan).toBe('premium');

      // By session id too.
      const s = await stranger();
      await w.test.db.prisma.session.update({ where: { id: s.principal.sessionId }, data: { blockedAt: new Date() } });
      expect((await auth(s.token)).blocked).toBe(false);
      await w.core.bus.publish({ type: 'principal_changed', sessions: [s.principal.sessionId] });
      expect((await auth(s.token)).blocked).toBe(true);
    });

    it('forgets everything on a bus resync', async () => {
      const a = await account(2);
      const s = await stranger();
      await w.test.db.prisma.account.update({ where: { id: a.accountId }, data: { role: 'moderator' } });
      await w.test.db.prisma.session.update({
        where: { id: s.principal.sessionId },
        data: { revokedAt: new Date() },
      });
      expect((await auth(a.tokens[1]!)).role).toBe('user');
      expect((await auth(s.token)).sessionId).toBe(s.principal.sessionId);
      await w.core.bus.publish({ type: 'resync' });
      expect((await auth(a.tokens[0]!)).role).toBe('moderator');
      expect((await auth(a.tokens[1]!)).role).toBe('moderator');
      await expectCode(auth(s.token), 'ERR_UNAUTHENTICATED');
    });

    it('sees a logout, a login or registration over a session, and a stranger registering, at once', async () => {
      const a = await account(2);
      await w.core.accounts.logout(a.sessions[1]!);
      await expectCode(auth(a.tokens[1]!), 'ERR_UNAUTHENTICATED');
      await auth(a.tokens[0]!);

      const s = await stranger();
      await w.core.accounts.login(s.principal, a.username, PASSWORD);
      await expectCode(auth(s.token), 'ERR_UNAUTHENTICATED');

      const t = await stranger();
      const signed = await w.core.accounts.register(t.principal, fresh('up'), PASSWORD);
      await expectCode(auth(t.token), 'ERR_UNAUTHENTICATED');
      expect((await auth(signed.token)).accountId).toBe(t.principal.sessionId);
    });

    it('sees revocations at once: one session, every other one, a password change, the operator', async () => {
      const a = await account(4);
      const [me, one] = a.sessions as [Principal, Principal];
      await w.core.sessions.revoke(me, one.sessionId);
      await expectCode(auth(a.tokens[1]!), 'ERR_UNAUTHENTICATED');
      await w.core.sessions.revokeOthers(me);
      for (const token of a.tokens.slice(2)) await expectCode(auth(token), 'ERR_UNAUTHENTICATED');
      expect((await auth(a.tokens[0]!)).sessionId).toBe(me.sessionId);

      const b = await account(2);
      await w.core.passwords.change(b.sessions[0]!, PASSWORD, 'another long password');
      await expectCode(auth(b.tokens[1]!), 'ERR_UNAUTHENTICATED');
      await auth(b.tokens[0]!);

      const c = await account(2);
      await w.core.accounts.revokeSessions(c.username, c.sessions[1]!.sessionId);
      await expectCode(auth(c.tokens[1]!), 'ERR_UNAUTHENTICATED');
      await w.core.accounts.revokeSessions(c.username, 'all');
      await expectCode(auth(c.tokens[0]!), 'ERR_UNAUTHENTICATED');
    });

    it('sees a plan or role change, a block, a suspension and their lifting at once', async () => {
      const a = await account(2);
      await w.core.accounts.setPlan(a.username, 'premium');
      for (const token of a.tokens) expect((await auth(token)).plan).toBe('premium');
      await w.core.accounts.setRole(a.username, 'moderator');
      for (const token of a.tokens) expect((await auth(token)).role).toBe('moderator');

      const mod = await moderator();
      const s = await stranger();
      await w.core.moderation.blockSession(mod, s.principal.sessionId, 'spam');
      expect((await auth(s.token)).blocked).toBe(true);
      await w.core.moderation.unblockSession(mod, s.principal.sessionId, null);
      expect((await auth(s.token)).blocked).toBe(false);

      const b = await account(2);
      await w.core.moderation.suspendAccount(mod, b.accountId, 'abuse');
      for (const token of b.tokens) expect((await auth(token)).suspended).toBe(true);
      await w.core.moderation.unsuspendAccount(mod, b.accountId, null);
      for (const token of b.tokens) expect((await auth(token)).suspended).toBe(false);
      await w.core.moderation.suspendByOperator(b.username, null);
      for (const token of b.tokens) expect((await auth(token)).suspended).toBe(true);
      await w.core.moderation.unsuspendByOperator(b.username, null);
      for (const token of b.tokens) expect((await auth(token)).suspended).toBe(false);
    });

    it('sees an account or a stranger deleted at once', async () => {
      const a = await account(2);
      await w.core.accountData.delete(a.sessions[0]!, PASSWORD);
      for (const token of a.tokens) await expectCode(auth(token), 'ERR_UNAUTHENTICATED');
      const s = await stranger();
      await w.core.accountData.delete(s.principal);
      await expectCode(auth(s.token), 'ERR_UNAUTHENTICATED');
    });

    it('works expiry and the hourly renewal out against the clock on every call', async () => {
      /** The renewal is not awaited by the lookup: wait for the row to show it (never on a timer). */
      const lastSeenBecomes = (sessionId: string, at: number) =>
        expect
          .poll(async () => {
            const row = await w.test.db.prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
            return row.lastSeenAt.getTime();
          })
          .toBe(at);
      const s = await stranger();
      const created = w.clock.now();
      w.clock.advance(30 * 60_000);
      // From memory, within the hour: the same end as the database's row gives.
      expect(await auth(s.token)).toMatchObject({ renewed: false, expiresAt: created + IDLE });

      w.clock.advance(LAST_SEEN_RESOLUTION_MS);
      const renewedAt = w.clock.now();
      expect(await auth(s.token)).toMatchObject({ renewed: true, expiresAt: renewedAt + IDLE });
      await lastSeenBecomes(s.principal.sessionId, renewedAt);
      // Written once: the next call neither writes nor renews the cookie again.
      w.clock.advance(60_000);
      expect(await auth(s.token)).toMatchObject({ renewed: false, expiresAt: renewedAt + IDLE });

      // Idle past the end: refused, though the row was in memory.
      w.clock.advance(IDLE);
      await expectCode(auth(s.token), 'ERR_UNAUTHENTICATED');

      // Busy all along, then the absolute end, reached between two calls less than an hour apart.
      const old = await stranger();
      const end = w.clock.now() + MAX;
      while (w.clock.now() + IDLE / 2 < end) {
        w.clock.advance(IDLE / 2);
        await auth(old.token);
        await lastSeenBecomes(old.principal.sessionId, w.clock.now());
      }
      w.clock.advance(end - 30 * 60_000 - w.clock.now());
      expect(await auth(old.token)).toMatchObject({ renewed: true, expiresAt: end });
      await lastSeenBecomes(old.principal.sessionId, w.clock.now());
      w.clock.advance(29 * 60_000);
      expect(await auth(old.token)).toMatchObject({ renewed: false, expiresAt: end });
      w.clock.advance(60_000);
      await expectCode(auth(old.token), 'ERR_UNAUTHENTICATED');
    });

    it('keeps only sessions it found, at most its size, the least recently used leaving first', async () => {
      const cache = createPrincipalCache(w.test.db, 2);
      cache.watch(createLocalBus());
      const lookup = createPrincipalLookup(w.test.db, {
        idleMs: IDLE,
        maxMs: MAX,
        now: w.clock.now,
        onError: (error) => {
          throw error;
        },
        cache,
      });
      for (let i = 0; i < 20; i++) expect(await lookup(hashToken(newSessionToken()))).toBeNull();
      expect(cache.size).toBe(0);
      const [a, b, c] = [await stranger(), await stranger(), await stranger()].map((s) => hashToken(s.token)) as [
        string,
        string,
        string,
      ];
      await lookup(a);
      await lookup(b);
      await lookup(a);
      await lookup(c);
      expect(cache.size).toBe(2);
      expect([a, b, c].map((h) => cache.get(h) !== undefined)).toEqual([true, false, true]);
    });

    it.runIf(provider === 'sqlite')('drops everything when another connection commits (data_version)', async () => {
      const a = await account(1);
      const other = await openDatabase(w.test.url);
      try {
        await other.prisma.account.update({ where: { id: a.accountId }, data: { plan: 'premium' } });
        expect((await auth(a.tokens[0]!)).plan).toBe('premium');
      } finally {
        await other.close();
      }
    });
  });
}
