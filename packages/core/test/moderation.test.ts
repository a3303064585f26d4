import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortalEvent, Principal } from '../src/index.ts';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`moderation on ${provider}`, () => {
    let w: World;
    let mod: Principal;
    const events: PortalEvent[] = [];
    beforeAll(async () => {
      w = await createWorld(provider);
      w.core.bus.subscribe((event) => events.push(event));
      const member = await w.member();
      await w.test.db.prisma.account.update({
        where: { id: member.principal.accountId! },
        data: { role: 'moderator' },
      });
      mod = await w.reload(member.principal);
    });
    afterAll(() => w?.close());

    let n = 0;
    async function pair(a: Principal, b: Principal): Promise<string> {
      const tag = `mod${++n}x`;
      await w.core.matching.enqueue(a, [tag]);
      const matched = await w.core.matching.enqueue(b, [tag]);
      return matched.token!;
    }

    it('refuses every moderation operation to a non-moderator', async () => {
      const user = await w.stranger();
      const member = (await w.member()).principal;
      for (const who of [user, member]) {
        await expectCode(w.core.moderation.openReports(who), 'ERR_FORBIDDEN');
        await expectCode(w.core.moderation.blockSession(who, user.sessionId, 'x'), 'ERR_FORBIDDEN');
        await expectCode(w.core.moderation.unblockSession(who, user.sessionId, 'x'), 'ERR_FORBIDDEN');
        await expectCode(w.core.moderation.suspendAccount(who, member.accountId!, 'x'), 'ERR_FORBIDDEN');
        await expectCode(w.core.moderation.unsuspendAccount(who, member.accountId!, 'x'), 'ERR_FORBIDDEN');
        await expectCode(w.core.moderation.dismissReport(who, 'nope', 'x'), 'ERR_FORBIDDEN');
        await expectCode(w.core.moderation.audit(who), 'ERR_FORBIDDEN');
      }
      expect((await w.reload(user)).blocked).toBe(false);
    });

    it('files a report with an excerpt, ends the chat for both, and files it once', async () => {
      const reporter = await w.stranger();
      const abuser = await w.stranger();
      const token = await pair(reporter, abuser);
      await w.core.chats.send(abuser, token, 'you are <b>awful</b>');
      await w.core.chats.send(reporter, token, 'please stop');
      events.length = 0;
      const first = await w.core.moderation.report(reporter, token, 'insults');
      expect(first.created).toBe(true);
      expect(events).toContainEqual({ type: 'ended', chat: token, by: reporter.personKey, reason: 'reported' });
      expect((await w.core.chats.open(abuser, token)).state).toBe('ended');
      expect((await w.core.sessions.describe(abuser)).active_chats).toBe(0);

      const again = await w.core.moderation.report(reporter, token, 'again');
      expect(again).toEqual({ receipt: first.receipt, created: false });

      const { reports } = await w.core.moderation.openReports(mod);
      const mine = reports.find((r) => r.id === first.receipt.id);
      expect(mine).toMatchObject({
        reason: 'insults',
        reported: { session_id: abuser.sessionId, account_id: null, restricted: false },
        reporter: { session_id: reporter.sessionId },
        excerpt: [
          { from: 'reported', text: 'you are <b>awful</b>' },
          { from: 'reporter', text: 'please stop' },
        ],
      });
      // Outsiders cannot report a chat that is not theirs.
      await expectCode(w.core.moderation.report(await w.stranger(), token, 'x'), 'ERR_CHAT_NOT_FOUND');
    });

    it('blocks a stranger at once: search gone, chats ended, sockets told, reports closed, audited', async () => {
      const abuser = await w.stranger();
      const victim = await w.stranger();
      const token = await pair(victim, abuser);
      const report = await w.core.moderation.report(victim, token, 'spam');
      const thirdParty = await w.stranger();
      const secondChat = await pair(thirdParty, abuser);
      events.length = 0;

      const result = await w.core.moderation.blockSession(mod, abuser.sessionId, 'spam links');
      expect(result).toMatchObject({ target_kind: 'session', restricted: true, chats_ended: 1 });
      expect(events).toContainEqual({ type: 'ended', chat: secondChat, by: null, reason: 'moderated' });
      expect(events).toContainEqual({ type: 'disconnect', person: abuser.personKey, error: 'ERR_STRANGER_BLOCKED' });
      expect((await w.core.chats.open(thirdParty, secondChat)).state).toBe('ended');
      expect(await w.test.db.prisma.queueEntry.count({ where: { personKey: abuser.personKey } })).toBe(0);

      const blocked = await w.reload(abuser);
      // 403 before any other check but authentication, bad tags included.
      await expectCode(w.core.matching.enqueue(blocked, ['ok1']), 'ERR_STRANGER_BLOCKED');
      await expectCode(w.core.matching.enqueue(blocked, ['NOT A TAG']), 'ERR_STRANGER_BLOCKED');
      // Even with the identity read before the block (a request already past authentication).
      await expectCode(w.core.matching.enqueue(abuser, ['ok1']), 'ERR_STRANGER_BLOCKED');

      const { reports } = await w.core.moderation.openReports(mod);
      expect(reports.map((r) => r.id)).not.toContain(report.receipt.id);
      const { entries } = await w.core.moderation.audit(mod);
      expect(entries[0]).toMatchObject({
        actor: 'moderator',
        actor_username: mod.username,
        action: 'block',
        target_kind: 'session',
        target_id: abuser.sessionId,
        reason: 'spam links',
      });

      await w.core.moderation.unblockSession(mod, abuser.sessionId, 'appeal accepted');
      expect((await w.core.matching.enqueue(await w.reload(abuser), ['again1'])).state).toBe('searching');
    });

    it('suspends an account on every session and lifts it', async () => {
      const member = await w.member();
      const other = await member.anotherSession();
      await w.core.matching.enqueue(other, ['susp1']);
      const partner = await w.stranger();
      const token = await pair(partner, member.principal);
      events.length = 0;
      const result = await w.core.moderation.suspendAccount(mod, member.principal.accountId!, 'harassment');
      expect(result.chats_ended).toBe(1);
      expect((await w.core.chats.open(partner, token)).state).toBe('ended');
      expect(await w.test.db.prisma.queueEntry.count({ where: { personKey: member.principal.personKey } })).toBe(0);
      for (const session of [member.principal, other]) {
        await expectCode(w.core.matching.enqueue(await w.reload(session), ['susp2']), 'ERR_ACCOUNT_SUSPENDED');
      }
      await expectCode(
        w.core.moderation.blockSession(mod, member.principal.sessionId, 'x'),
        'ERR_BAD_REQUEST', // a registered session: suspend the account instead
      );
      await expectCode(w.core.moderation.suspendAccount(mod, mod.accountId!, 'x'), 'ERR_FORBIDDEN');
      await expectCode(w.core.moderation.suspendAccount(mod, 'no-such-account', 'x'), 'ERR_NOT_FOUND');
      await expectCode(w.core.moderation.blockSession(mod, 'no-such-session', 'x'), 'ERR_NOT_FOUND');
      await w.core.moderation.unsuspendAccount(mod, member.principal.accountId!, 'cleared');
      expect((await w.core.matching.enqueue(await w.reload(other), ['susp3'])).state).toBe('searching');
    });

    /** A second moderator. */
    async function anotherModerator(): Promise<Principal> {
      const member = await w.member();
      await w.test.db.prisma.account.update({
        where: { id: member.principal.accountId! },
        data: { role: 'moderator' },
      });
      return w.reload(member.principal);
    }

    it('keeps a suspended moderator from moderating, themselves included', async () => {
      const other = await anotherModerator();
      // Only the operator can suspend a moderator.
      await w.core.moderation.suspendByOperator(other.username!, 'abuse of power');
      const suspended = await w.reload(other);
      await expectCode(w.core.moderation.unsuspendAccount(suspended, other.accountId!, null), 'ERR_ACCOUNT_SUSPENDED');
      await expectCode(w.core.moderation.openReports(suspended), 'ERR_ACCOUNT_SUSPENDED');
      await expectCode(
        w.core.moderation.blockSession(suspended, (await w.stranger()).sessionId, 'x'),
        'ERR_ACCOUNT_SUSPENDED',
      );
    });

    it('keeps moderators from acting on each other: only the operator suspends or reinstates one', async () => {
      const other = await anotherModerator();
      const audited = await w.test.db.prisma.auditEntry.count();
      await expectCode(w.core.moderation.suspendAccount(mod, other.accountId!, 'x'), 'ERR_FORBIDDEN');
      await expectCode(w.core.moderation.unsuspendAccount(mod, other.accountId!, 'x'), 'ERR_FORBIDDEN');
      await expectCode(w.core.moderation.blockSession(mod, other.sessionId, 'x'), 'ERR_FORBIDDEN');
      expect(await w.test.db.prisma.auditEntry.count()).toBe(audited);
      expect((await w.reload(other)).suspended).toBe(false);

      // The operator: the same effects as a moderator's suspension, recorded as the operator's.
      const partner = await w.stranger();
      const token = await pair(partner, other);
      events.length = 0;
      const result = await w.core.moderation.suspendByOperator(other.username!, 'stepped out of line');
      expect(result).toMatchObject({ target_kind: 'account', target_id: other.accountId, restricted: true });
      expect(result.chats_ended).toBe(1);
      expect(events).toContainEqual({ type: 'ended', chat: token, by: null, reason: 'moderated' });
      expect(events).toContainEqual({ type: 'disconnect', person: other.personKey, error: 'ERR_ACCOUNT_SUSPENDED' });
      expect((await w.core.chats.open(partner, token)).state).toBe('ended');
      const suspended = await w.reload(other);
      await expectCode(w.core.matching.enqueue(suspended, ['opsusp1']), 'ERR_ACCOUNT_SUSPENDED');
      await expectCode(w.core.moderation.openReports(suspended), 'ERR_ACCOUNT_SUSPENDED');
      // Another moderator cannot lift it either.
      await expectCode(w.core.moderation.unsuspendAccount(mod, other.accountId!, 'x'), 'ERR_FORBIDDEN');
      const { entries } = await w.core.moderation.audit(mod);
      expect(entries[0]).toMatchObject({
        actor: 'operator',
        actor_username: null,
        action: 'suspend',
        target_kind: 'account',
        target_id: other.accountId,
        reason: 'stepped out of line',
      });

      await w.core.moderation.unsuspendByOperator(other.username!, null);
      expect((await w.core.matching.enqueue(await w.reload(other), ['opsusp2'])).state).toBe('searching');
      expect((await w.core.moderation.audit(mod)).entries[0]).toMatchObject({ actor: 'operator', action: 'unsuspend' });
      await expectCode(w.core.moderation.suspendByOperator('nobody_here', null), 'ERR_NOT_FOUND');
      await w.core.matching.cancel(await w.reload(other));
    });

    it('keeps a moderator from handling a report about themselves', async () => {
      const reporter = await w.stranger();
      const token = await pair(reporter, mod);
      const report = await w.core.moderation.report(reporter, token, 'the moderator was rude');
      await expectCode(w.core.moderation.dismissReport(mod, report.receipt.id, 'nothing to see'), 'ERR_FORBIDDEN');
      await expectCode(w.core.moderation.suspendAccount(mod, mod.accountId!, 'x'), 'ERR_FORBIDDEN');
      await expectCode(w.core.moderation.blockSession(mod, mod.sessionId, 'x'), 'ERR_FORBIDDEN');
      const open = await w.core.moderation.openReports(mod);
      expect(open.reports.map((r) => r.id)).toContain(report.receipt.id);
      // Another moderator handles it.
      const other = await anotherModerator();
      await w.core.moderation.dismissReport(other, report.receipt.id, 'looked at it');
      expect((await w.core.moderation.openReports(mod)).reports.map((r) => r.id)).not.toContain(report.receipt.id);
    });

    it('refuses a new registration to a session of a suspended account', async () => {
      const member = await w.member();
      const before = member.principal; // read before the suspension: a request already past authentication
      await w.core.moderation.suspendAccount(mod, member.principal.accountId!, 'ban evasion ahead');
      const suspended = await w.reload(member.principal);
      const username = `evade${provider.slice(0, 2)}`;
      await expectCode(w.core.accounts.register(suspended, username, 'long enough password'), 'ERR_ACCOUNT_SUSPENDED');
      await expectCode(w.core.accounts.register(before, username, 'long enough password'), 'ERR_ACCOUNT_SUSPENDED');
      expect(await w.test.db.prisma.account.count({ where: { username } })).toBe(0);
      // The session is still the suspended account's (not signed out by the refused attempt).
      expect((await w.reload(member.principal)).suspended).toBe(true);
      // Without a session, or from someone else's, registering works as ever.
      await w.core.accounts.register(null, username, 'long enough password');
    });

    it('never leaves a registered account behind a block that raced the registration', async () => {
      for (let round = 0; round < 10; round++) {
        const stranger = await w.stranger();
        const username = `blk${round}${provider.slice(0, 2)}`;
        const [registered, blocked] = await Promise.allSettled([
          w.core.accounts.register(stranger, username, 'long enough password'),
          w.core.moderation.blockSession(mod, stranger.sessionId, 'race'),
        ]);
        const session = await w.test.db.prisma.session.findUniqueOrThrow({ where: { id: stranger.sessionId } });
        const account = await w.test.db.prisma.account.findUnique({ where: { username } });
        // Exactly one of the two won, and the other was refused.
        expect(registered.status === 'fulfilled').not.toBe(blocked.status === 'fulfilled');
        if (account) expect(session.blockedAt).toBeNull();
        else expect(session.blockedAt).not.toBeNull();
      }
    });

    it('never leaves a blocked person matched when the block races their enqueues', async () => {
      for (let round = 0; round < 15; round++) {
        const abuser = await w.stranger();
        const waiting = await Promise.all(Array.from({ length: 3 }, () => w.stranger()));
        const tag = `race${round}x`;
        for (const p of waiting) await w.core.matching.enqueue(p, [tag]);
        await Promise.allSettled([
          w.core.matching.enqueue(abuser, [tag]),
          w.core.moderation.blockSession(mod, abuser.sessionId, 'race'),
          w.core.matching.enqueue(abuser, [tag]),
        ]);
        expect((await w.core.sessions.describe(abuser)).active_chats).toBe(0);
        expect(await w.test.db.prisma.queueEntry.count({ where: { personKey: abuser.personKey } })).toBe(0);
      }
    });
  });
}
