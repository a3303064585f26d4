import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`matchmaking on ${provider}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await createWorld(provider);
    });
    afterAll(() => w?.close());

    // Each test uses its own tag so that earlier tests' entries cannot interfere.
    let n = 0;
    const tag = (base = 'tag') => `${base.padEnd(3, 'x')}${++n}`;

    it('queues a lone person as searching until the deadline', async () => {
      const t = tag();
      const a = await w.stranger();
      const state = await w.core.matching.enqueue(a, [t, 'zzz' + n]);
      expect(state).toEqual({
        state: 'searching',
        interests: [t, 'zzz' + n],
        expires_at: new Date(w.clock.now() + 60_000).toISOString(),
      });
      expect(await w.core.matching.status(a)).toEqual(state);
    });

    it('pairs two people on a shared tag, and both see the same chat', async () => {
      const [music, art, film] = [tag('music'), tag('art'), tag('film')];
      const a = await w.stranger();
      const b = await w.stranger();
      await w.core.matching.enqueue(a, [art, music]);
      const matched = await w.core.matching.enqueue(b, [music, film, art]);
      expect(matched).toMatchObject({ state: 'matched', matched_interest: music, common_interests: [music, art] });
      expect(matched.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(matched.expires_at).toBe(new Date(w.clock.now() + 24 * 3_600_000).toISOString());
      expect(await w.core.matching.status(a)).toEqual(matched);
      expect(await w.core.matching.status(b)).toEqual(matched);
      expect((await w.core.sessions.describe(a)).active_chats).toBe(1);
    });

    it('chooses the longest-waiting compatible entry over all shared tags', async () => {
      const [x, y] = [tag('x'), tag('y')];
      const older = await w.stranger();
      const newer = await w.stranger();
      await w.core.matching.enqueue(older, [y]);
      w.clock.advance(1000);
      await w.core.matching.enqueue(newer, [x]);
      w.clock.advance(1000);
      const c = await w.stranger();
      const state = await w.core.matching.enqueue(c, [x, y]);
      expect(state).toMatchObject({ state: 'matched', matched_interest: y, common_interests: [y] });
      expect((await w.core.matching.status(older)).state).toBe('matched');
      expect((await w.core.matching.status(newer)).state).toBe('searching');
    });

    it('folds repeated tags and rejects bad ones', async () => {
      const t = tag();
      const a = await w.stranger();
      expect(await w.core.matching.enqueue(a, [t, t, t, t])).toMatchObject({ state: 'searching', interests: [t] });
      await w.core.matching.cancel(a);
      for (const bad of [
        [],
        ['ab'],
        ['abcdefghijklm'],
        ['Gaming'],
        ['ga-me'],
        [7],
        [null],
        [{}],
        ['aaa', 'bbb', 'ccc', 'ddd'],
      ]) {
        await expectCode(w.core.matching.enqueue(a, bad), 'ERR_MATCH_UNSUPPORTED_INTEREST');
      }
      expect(await w.core.matching.status(a)).toEqual({ state: 'idle' });
    });

    it('refreshes the deadline on the same set and refuses a different set', async () => {
      const [p, q] = [tag('p'), tag('q')];
      const a = await w.stranger();
      const first = await w.core.matching.enqueue(a, [p, q]);
      w.clock.advance(30_000);
      const again = await w.core.matching.enqueue(a, [q, p]);
      expect(again.state).toBe('searching');
      expect(Date.parse(again.expires_at!) - Date.parse(first.expires_at!)).toBe(30_000);
      await expectCode(w.core.matching.enqueue(a, [p]), 'ERR_MATCH_ALREADY_SEARCHING');
      expect((await w.core.matching.status(a)).expires_at).toBe(again.expires_at);
    });

    it('never pairs a session with itself or two sessions of one account', async () => {
      const t = tag();
      const member = await w.member('premium');
      const other = await member.anotherSession();
      expect((await w.core.matching.enqueue(member.principal, [t])).state).toBe('searching');
      expect((await w.core.matching.enqueue(member.principal, [t])).state).toBe('searching');
      expect((await w.core.matching.enqueue(other, [t])).state).toBe('searching');
      const stranger = await w.stranger();
      expect((await w.core.matching.enqueue(stranger, [t])).state).toBe('matched');
    });

    it('never pairs two people who already share an active chat', async () => {
      const [t, u] = [tag(), tag()];
      const a = await w.member('premium');
      const b = await w.member('premium');
      await w.core.matching.enqueue(a.principal, [t]);
      expect((await w.core.matching.enqueue(b.principal, [t])).state).toBe('matched');
      await w.core.matching.enqueue(a.principal, [u]);
      expect((await w.core.matching.enqueue(b.principal, [u])).state).toBe('searching');
    });

    it('checks in order: blocked, tags, already searching, slot limit', async () => {
      const t = tag();
      const a = await w.stranger();
      await w.core.matching.enqueue(a, [t]);
      await expectCode(w.core.matching.enqueue(a, ['BAD']), 'ERR_MATCH_UNSUPPORTED_INTEREST');
      await w.test.db.prisma.session.update({
        where: { id: a.sessionId },
        data: { blockedAt: new Date(w.clock.now()) },
      });
      const blocked = await w.reload(a);
      expect(blocked.blocked).toBe(true);
      await expectCode(w.core.matching.enqueue(blocked, ['BAD']), 'ERR_STRANGER_BLOCKED');
      const member = await w.member();
      await w.test.db.prisma.account.update({
        where: { id: member.principal.accountId! },
        data: { suspendedAt: new Date(w.clock.now()) },
      });
      const suspended = await w.reload(member.principal);
      expect(suspended.suspended).toBe(true);
      await expectCode(w.core.matching.enqueue(suspended, ['BAD']), 'ERR_ACCOUNT_SUSPENDED');

      // A free person with a chat who is also searching with other tags: the search conflict comes first.
      const b = await w.stranger();
      const c = await w.stranger();
      const [v, x] = [tag(), tag()];
      await w.core.matching.enqueue(b, [v]);
      await w.core.matching.enqueue(c, [v]);
      await expectCode(w.core.matching.enqueue(b, [x]), 'ERR_MATCH_SLOT_LIMIT');
      const d = await w.member('premium');
      await w.core.matching.enqueue(d.principal, [x]);
      await expectCode(w.core.matching.enqueue(d.principal, [tag()]), 'ERR_MATCH_ALREADY_SEARCHING');
    });

    it('holds free people to one active chat and premium people to three', async () => {
      const free = await w.stranger();
      const premium = await w.member('premium');
      for (let i = 0; i < 3; i++) {
        const t = tag();
        await w.core.matching.enqueue(premium.principal, [t]);
        expect((await w.core.matching.enqueue(await w.stranger(), [t])).state).toBe('matched');
      }
      await expectCode(w.core.matching.enqueue(premium.principal, [tag()]), 'ERR_MATCH_SLOT_LIMIT');
      expect(await w.core.sessions.describe(premium.principal)).toMatchObject({ active_chats: 3, chat_limit: 3 });

      const t = tag();
      await w.core.matching.enqueue(free, [t]);
      await w.core.matching.enqueue(await w.stranger(), [t]);
      await expectCode(w.core.matching.enqueue(free, [tag()]), 'ERR_MATCH_SLOT_LIMIT');
      expect(await w.core.sessions.describe(free)).toMatchObject({ active_chats: 1, chat_limit: 1 });
    });

    it('skips a waiting person whose slots filled up meanwhile (another session of theirs matched)', async () => {
      const [t, u] = [tag(), tag()];
      const member = await w.member('free');
      const second = await member.anotherSession();
      await w.core.matching.enqueue(member.principal, [t]);
      await w.core.matching.enqueue(second, [u]);
      expect((await w.core.matching.enqueue(await w.stranger(), [u])).state).toBe('matched');
      expect((await w.core.matching.enqueue(await w.stranger(), [t])).state).toBe('searching');
    });

    it('lets an entry expire: it never matches, reads idle and is reaped', async () => {
      const t = tag();
      const a = await w.stranger();
      await w.core.matching.enqueue(a, [t]);
      w.clock.advance(60_000);
      expect(await w.core.matching.status(a)).toEqual({ state: 'idle' });
      const b = await w.stranger();
      expect((await w.core.matching.enqueue(b, [t])).state).toBe('searching');
      await w.core.matching.reap(); // not at the deadline: a grace period first
      expect(await w.test.db.prisma.queueEntry.count({ where: { sessionId: a.sessionId } })).toBe(1);
      w.clock.advance(10_000);
      expect(await w.core.matching.reap()).toBeGreaterThanOrEqual(1);
      expect(await w.test.db.prisma.queueEntry.count({ where: { sessionId: a.sessionId } })).toBe(0);
      expect(await w.test.db.prisma.queueTag.count({ where: { tag: t } })).toBe(1);
    });

    it('cancels idempotently', async () => {
      const t = tag();
      const a = await w.stranger();
      await w.core.matching.enqueue(a, [t]);
      expect(await w.core.matching.cancel(a)).toEqual({ state: 'idle' });
      expect(await w.core.matching.cancel(a)).toEqual({ state: 'idle' });
      expect(await w.core.matching.status(a)).toEqual({ state: 'idle' });
      expect((await w.core.matching.enqueue(await w.stranger(), [t])).state).toBe('searching');
    });

    it('ends the match state and frees the slot when the chat expires', async () => {
      const t = tag();
      const a = await w.stranger();
      const b = await w.stranger();
      await w.core.matching.enqueue(a, [t]);
      await w.core.matching.enqueue(b, [t]);
      w.clock.advance(24 * 3_600_000 - 1);
      expect((await w.core.matching.status(a)).state).toBe('matched');
      w.clock.advance(1);
      expect(await w.core.matching.status(a)).toEqual({ state: 'idle' });
      expect((await w.core.sessions.describe(a)).active_chats).toBe(0);
      expect((await w.core.matching.enqueue(a, [tag()])).state).toBe('searching');
    });

    it('shows searching, not the old chat, while a premium person searches again', async () => {
      const [t, u] = [tag(), tag()];
      const a = await w.member('premium');
      await w.core.matching.enqueue(a.principal, [t]);
      await w.core.matching.enqueue(await w.stranger(), [t]);
      await w.core.matching.enqueue(a.principal, [u]);
      expect((await w.core.matching.status(a.principal)).state).toBe('searching');
      await w.core.matching.cancel(a.principal);
      expect(await w.core.matching.status(a.principal)).toEqual({ state: 'idle' });
    });

    it('counts matches in the metrics', async () => {
      const text = await w.core.metrics.registry.metrics();
      expect(text).toMatch(/portal_matches_total \d+/);
      expect(text).toContain('portal_time_to_match_seconds_bucket');
      expect(text).toMatch(/portal_queue_depth\{tag="/);
    });
  });
}
