import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppError } from '@portal/contracts';
import type { PortalEvent, Principal } from '../src/index.ts';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

const PASSWORD = 'correct horse battery';

/**
 * The median time of each of two calls, measured in turns (a, b, a, b, …), so that a
 * burst of load on a shared machine slows both alike instead of one batch.
 */
async function medians(runs: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    for (const [n, fn] of [a, b].entries()) {
      const start = performance.now();
      await fn().catch(() => undefined);
      times[n]!.push(performance.now() - start);
    }
  }
  const mid = (list: number[]) => list.sort((x, y) => x - y)[Math.floor(runs / 2)]!;
  return [mid(times[0]), mid(times[1])];
}

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`accounts on ${provider}`, () => {
    let w: World;
    const events: PortalEvent[] = [];
    beforeAll(async () => {
      w = await createWorld(provider);
      w.core.bus.subscribe((event) => events.push(event));
    });
    afterAll(() => w?.close());

    let n = 0;
    const fresh = (prefix: string) => `${prefix}${++n}_${provider.slice(0, 2)}`;
    const signIn = (token: string) => w.core.sessions.authenticate(token);

    async function pair(a: Principal, b: Principal): Promise<string> {
      const tag = `acct${++n}`;
      await w.core.matching.enqueue(a, [tag]);
      const matched = await w.core.matching.enqueue(b, [tag]);
      return matched.token!;
    }

    it('turns a stranger into an account in place: same person, same chats, a new cookie', async () => {
      const stranger = await w.stranger();
      const partner = await w.stranger();
      const token = await pair(stranger, partner);
      const username = fresh('alice');
      const signed = await w.core.accounts.register(stranger, username, PASSWORD);
      const me = await signIn(signed.token);
      expect(me).toMatchObject({ sessionId: stranger.sessionId, personKey: stranger.personKey, username });
      expect((await w.core.sessions.describe(me)).kind).toBe('registered');
      expect((await w.core.chats.open(me, token)).state).toBe('active');
      await w.core.chats.send(me, token, 'still here');
      // The stranger's old cookie no longer works.
      await expectCode(w.reload(stranger), 'ERR_UNAUTHENTICATED');
    });

    it('gives exactly one of ten simultaneous registrations of a name', async () => {
      const username = fresh('race');
      const callers = await Promise.all(Array.from({ length: 10 }, () => w.stranger()));
      const results = await Promise.allSettled(callers.map((c) => w.core.accounts.register(c, username, PASSWORD)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as AppError).code).toBe('ERR_USERNAME_TAKEN');
      }
      expect(await w.test.db.prisma.account.count({ where: { username } })).toBe(1);
      // The losers are still strangers.
      const losers = callers.filter((_, i) => results[i]!.status === 'rejected');
      for (const loser of losers) expect((await w.reload(loser)).accountId).toBeNull();
    });

    it('refuses a blocked stranger, and stores only a scrypt hash', async () => {
      const username = fresh('hash');
      await w.core.accounts.register(null, username, PASSWORD);
      const row = await w.test.db.prisma.account.findUniqueOrThrow({ where: { username } });
      expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(row.passwordHash).not.toContain(PASSWORD);

      const blocked = await w.stranger();
      await w.test.db.prisma.session.update({ where: { id: blocked.sessionId }, data: { blockedAt: new Date() } });
      await expectCode(
        w.core.accounts.register(await w.reload(blocked), fresh('escape'), PASSWORD),
        'ERR_STRANGER_BLOCKED',
      );
    });

    it('logs in with the same error for an unknown user and a wrong password, in similar time', async () => {
      const username = fresh('bob');
      await w.core.accounts.register(null, username, PASSWORD);
      const wrong = await expectCode(
        w.core.accounts.login(null, username, 'not the password'),
        'ERR_INVALID_CREDENTIALS',
      );
      const unknown = await expectCode(
        w.core.accounts.login(null, fresh('nobody'), PASSWORD),
        'ERR_INVALID_CREDENTIALS',
      );
      expect(unknown.message).toBe(wrong.message);
      // Both pay for one scrypt hash; without the decoy, the unknown user answers ~1000x faster.
      const [wrongMs, unknownMs] = await medians(
        5,
        () => w.core.accounts.login(null, username, 'not the password'),
        () => w.core.accounts.login(null, fresh('nobody'), PASSWORD),
      );
      expect(unknownMs / wrongMs).toBeGreaterThan(0.33);
      expect(unknownMs / wrongMs).toBeLessThan(3);

      const signed = await w.core.accounts.login(null, username, PASSWORD);
      expect((await signIn(signed.token)).username).toBe(username);
    });

    it('logs out one session and leaves the account’s other sessions alone', async () => {
      const username = fresh('carol');
      const first = await w.core.accounts.register(null, username, PASSWORD);
      const second = await w.core.accounts.login(null, username, PASSWORD);
      const one = await signIn(first.token);
      const two = await signIn(second.token);
      await w.core.matching.enqueue(one, ['logout1']);
      events.length = 0;
      await w.core.accounts.logout(one);
      await expectCode(signIn(first.token), 'ERR_UNAUTHENTICATED');
      expect((await signIn(second.token)).sessionId).toBe(two.sessionId);
      expect(await w.test.db.prisma.queueEntry.count({ where: { sessionId: one.sessionId } })).toBe(0);
      expect(events).toContainEqual({ type: 'disconnect', sessions: [one.sessionId], error: 'ERR_UNAUTHENTICATED' });
      // What the socket layer asks at each ping, for every open socket in one query.
      const standing = await w.core.sessions.standing([one.sessionId, two.sessionId, 'no-such-session']);
      expect([...standing]).toEqual(
        expect.arrayContaining([
          [one.sessionId, 'revoked'],
          [two.sessionId, 'ok'],
        ]),
      );
      expect(standing.size).toBe(2);
    });

    it('ends a stranger’s chats when they log out or sign in elsewhere', async () => {
      const username = fresh('dave');
      await w.core.accounts.register(null, username, PASSWORD);
      for (const leave of [
        (s: Principal) => w.core.accounts.logout(s),
        (s: Principal) => w.core.accounts.login(s, username, PASSWORD),
      ]) {
        const stranger = await w.stranger();
        const partner = await w.stranger();
        const token = await pair(stranger, partner);
        events.length = 0;
        await leave(stranger);
        expect((await w.core.chats.open(partner, token)).state).toBe('ended');
        expect(events).toContainEqual({ type: 'ended', chat: token, by: stranger.personKey, reason: 'ended' });
        await expectCode(w.reload(stranger), 'ERR_UNAUTHENTICATED');
        // The partner's slot is free again.
        expect((await w.core.sessions.describe(partner)).active_chats).toBe(0);
      }
    });

    it('refuses an enqueue from a session logged out after it authenticated', async () => {
      const username = fresh('erin');
      const signed = await w.core.accounts.register(null, username, PASSWORD);
      const me = await signIn(signed.token);
      await w.core.accounts.logout(me);
      await expectCode(w.core.matching.enqueue(me, ['stale1']), 'ERR_UNAUTHENTICATED');
    });

    it('lets the operator set plans and roles, and list and revoke sessions', async () => {
      const username = fresh('frank');
      const first = await w.core.accounts.register(null, username, PASSWORD);
      await w.core.accounts.login(null, username, PASSWORD);
      await w.core.accounts.setPlan(username, 'premium');
      await w.core.accounts.setRole(username, 'moderator');
      const me = await signIn(first.token);
      expect(me).toMatchObject({ plan: 'premium', role: 'moderator' });
      expect((await w.core.sessions.describe(me)).chat_limit).toBe(3);

      const sessions = await w.core.accounts.listSessions(username);
      expect(sessions).toHaveLength(2);
      expect(await w.core.accounts.revokeSessions(username, me.sessionId)).toBe(1);
      await expectCode(signIn(first.token), 'ERR_UNAUTHENTICATED');
      expect(await w.core.accounts.revokeSessions(username, 'all')).toBe(1);
      expect((await w.core.accounts.listSessions(username)).every((s) => s.revoked_at !== null)).toBe(true);
      await expectCode(w.core.accounts.setPlan(fresh('ghost'), 'premium'), 'ERR_NOT_FOUND');

      const audit = await w.test.db.prisma.auditEntry.findMany({ where: { actorKind: 'operator' } });
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['set_plan', 'set_role', 'revoke_session', 'revoke_session']),
      );
    });
  });
}
