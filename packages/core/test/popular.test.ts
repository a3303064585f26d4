import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TPopularInterests } from '@portal/contracts';
import type { Principal } from '../src/index.ts';
import { POPULAR_CACHE_MS, POPULAR_WINDOW_MS } from '../src/popular/popular.ts';
import { createWorld, PROVIDERS, skipProvider, type World } from './factories.ts';

// SPEC §9 "What is happening now": GET /interests/popular's numbers.
for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`popular now on ${provider}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await createWorld(provider);
    });
    afterAll(() => w?.close());

    // Every test starts from nothing: the list is global, not per tag.
    beforeEach(async () => {
      await w.core.popular.flush();
      await w.test.db.prisma.popularSearch.deleteMany();
      await w.test.db.prisma.popularMatch.deleteMany();
      await w.test.db.prisma.queueEntry.deleteMany();
      w.clock.advance(POPULAR_CACHE_MS);
    });

    let n = 0;
    const tag = (base = 'pop') => `${base}${++n}`;

    /** What a request would get once the batch is written and this instance's cached list has lapsed. */
    async function popular(): Promise<TPopularInterests> {
      await w.core.popular.flush();
      w.clock.advance(POPULAR_CACHE_MS);
      return w.core.popular.list();
    }
    const tags = async () => (await popular()).interests.map((i) => i.tag);
    const entry = async (t: string) => (await popular()).interests.find((i) => i.tag === t);

    /** A search that leaves the queue again (so nobody is paired by accident). */
    async function searchOnce(p: Principal, interests: string[]): Promise<void> {
      expect((await w.core.matching.enqueue(p, interests)).state).toBe('searching');
      await w.core.matching.cancel(p);
    }

    /** A waits `waitMs` on `t`, then B arrives and takes them. */
    async function pairAfter(t: string, waitMs: number): Promise<void> {
      const [a, b] = [await w.stranger(), await w.stranger()];
      await w.core.matching.enqueue(a, [t]);
      w.clock.advance(waitMs);
      expect((await w.core.matching.enqueue(b, [t])).state).toBe('matched');
    }

    it('lists a tag only once three different people searched it in the last hour', async () => {
      const t = tag();
      const member = await w.member();
      await searchOnce(member.principal, [t]);
      // The same person again, from another session: still one person.
      await searchOnce(await member.anotherSession(), [t, tag()]);
      const b = await w.stranger();
      await searchOnce(b, [t]);
      await searchOnce(b, [t]);
      expect(await tags()).toEqual([]);

      await searchOnce(await w.stranger(), [t]);
      expect(await popular()).toEqual({
        interests: [{ tag: t, waiting: 0, matches_last_hour: 0, median_wait_seconds: null }],
        generated_at: new Date(w.clock.now()).toISOString(),
      });
    });

    it('forgets searches older than an hour', async () => {
      const t = tag();
      const [a, b] = [await w.stranger(), await w.stranger()];
      await searchOnce(a, [t]);
      await searchOnce(b, [t]);
      await w.core.popular.flush();
      w.clock.advance(POPULAR_WINDOW_MS);
      await searchOnce(await w.stranger(), [t]);
      expect(await tags()).toEqual([]);
      // Fresh searches bring the first two back into the hour, one at a time.
      await searchOnce(a, [t]);
      expect(await tags()).toEqual([]);
      await searchOnce(b, [t]);
      expect(await tags()).toEqual([t]);
    });

    it('counts the people waiting on a tag now, once each, until their deadline', async () => {
      const t = tag();
      await searchOnce(await w.stranger(), [t]);
      const alice = await w.member();
      const bob = await w.stranger();
      // Alice and Bob just shared a chat: the repeat cooldown keeps them apart, so both can wait on t.
      await w.core.matching.enqueue(alice.principal, [t]);
      const chat = await w.core.matching.enqueue(bob, [t]);
      await w.core.chats.end(bob, chat.token!);
      await w.core.matching.enqueue(alice.principal, [t]);
      // The same person from a second session counts once.
      await w.core.matching.enqueue(await alice.anotherSession(), [t, tag()]);
      await w.core.matching.enqueue(bob, [t]);
      expect(await entry(t)).toEqual({ tag: t, waiting: 2, matches_last_hour: 1, median_wait_seconds: null });

      w.clock.advance(60_000);
      expect((await entry(t))?.waiting).toBe(0);
    });

    it('counts matches on their matched interest, with the median wait from five matches on', async () => {
      const t = tag();
      for (const waitMs of [4_000, 1_000, 30_000, 2_000]) await pairAfter(t, waitMs);
      expect(await entry(t)).toEqual({ tag: t, waiting: 0, matches_last_hour: 4, median_wait_seconds: null });

      await pairAfter(t, 3_000);
      expect(await entry(t)).toMatchObject({ matches_last_hour: 5, median_wait_seconds: 3 });
      // An even count: the mean of the two middle waits (3 s and 4 s).
      await pairAfter(t, 50_000);
      expect(await entry(t)).toMatchObject({ matches_last_hour: 6, median_wait_seconds: 3.5 });

      // An hour later the matches are gone, and so are the searches that listed the tag.
      w.clock.advance(POPULAR_WINDOW_MS);
      expect(await tags()).toEqual([]);
    });

    it('orders by matches in the last hour, then people waiting, then name, and lists at most 20', async () => {
      const people = ['p1', 'p2', 'p3'];
      const at = w.clock.now();
      // 22 qualifying tags straight through the recorder; tag k has k % 5 matches.
      const all = Array.from({ length: 22 }, (_, k) => `ord${String(k).padStart(2, '0')}x${n}`);
      all.forEach((t, k) => {
        for (const person of people) w.core.popular.searched([t], `${person}-${n}`, at);
        for (let m = 0; m < k % 5; m++) w.core.popular.matched(t, at, 1_000);
      });
      // Someone waits on a tag without matches: it leads the other tags without matches.
      const waiting = all[10]!;
      await w.core.matching.enqueue(await w.stranger(), [waiting]);

      const listed = (await popular()).interests.map((i) => [i.tag, i.matches_last_hour, i.waiting]);
      const byRank = (k: number) => [all[k], k % 5, all[k] === waiting ? 1 : 0];
      expect(listed).toEqual([
        ...[4, 9, 14, 19, 3, 8, 13, 18, 2, 7, 12, 17, 1, 6, 11, 16, 21].map(byRank),
        byRank(10),
        byRank(0),
        byRank(5),
      ]);
    });

    it('serves one computed list per instance for two seconds', async () => {
      const t = tag();
      for (const person of ['a', 'b', 'c']) w.core.popular.searched([t], person, w.clock.now());
      const first = await popular();
      expect(first.interests.map((i) => i.tag)).toEqual([t]);
      await w.core.matching.enqueue(await w.stranger(), [t]);
      w.clock.advance(POPULAR_CACHE_MS - 1);
      expect(await w.core.popular.list()).toEqual(first);
      w.clock.advance(1);
      expect((await w.core.popular.list()).interests[0]?.waiting).toBe(1);
    });

    it('purges rows older than an hour, and a deleted person with them', async () => {
      const t = tag();
      const gone = await w.stranger();
      await searchOnce(gone, [t]);
      const start = w.clock.now();
      await pairAfter(t, 1_000); // a search at start, a search and the match at start + 1 s
      await w.core.popular.flush();
      const rows = async () => [
        await w.test.db.prisma.popularSearch.count(),
        await w.test.db.prisma.popularMatch.count(),
      ];
      expect(await rows()).toEqual([3, 1]);

      await w.core.accountData.delete(gone);
      expect(await w.test.db.prisma.popularSearch.count({ where: { personKey: gone.personKey } })).toBe(0);
      expect(await rows()).toEqual([2, 1]);

      w.clock.advance(start + POPULAR_WINDOW_MS - w.clock.now());
      expect(await w.core.popular.purge()).toBe(1);
      w.clock.advance(999);
      expect(await w.core.popular.purge()).toBe(0);
      w.clock.advance(1);
      expect(await w.core.popular.purge()).toBe(2);
      expect(await rows()).toEqual([0, 0]);
    });
  });
}
