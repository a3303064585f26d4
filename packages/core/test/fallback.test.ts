// Fallback to anyone (SPEC §9) beyond the shared table of cases: the state it shows,
// refreshes, "a shared tag first", the push to both people, and the pass run by two
// instances at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import type { TMatchState } from '@portal/contracts';
import { createCore, type Core, type PortalEvent, type Principal } from '../src/index.ts';
import { createWorld, PROVIDERS, skipProvider, type World } from './factories.ts';

const FALLBACK_MS = 15_000;
const iso = (ms: number) => new Date(ms).toISOString();

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`fallback to anyone on ${provider}`, () => {
    let w: World;
    let core: Core;
    let n = 0;
    const tag = () => `fb${provider[0]}${++n}`;

    beforeAll(async () => {
      w = await createWorld(provider);
      core = createCore(w.test.db, { now: w.clock.now, config: { fallbackMs: FALLBACK_MS } });
    });
    afterAll(() => w?.close());

    /** Leaves nobody searching for the next test. */
    const settle = async (...people: Principal[]) => {
      for (const p of people) await core.matching.cancel(p);
    };

    it('the searching state carries fallback and when the entry opens; a refresh keeps that moment', async () => {
      const a = await w.stranger();
      const t = tag();
      const start = w.clock.now();
      const first = await core.matching.enqueue(a, [t], { fallback: true });
      expect(first).toEqual({
        state: 'searching',
        interests: [t],
        expires_at: iso(start + 60_000),
        fallback: true,
        fallback_at: iso(start + FALLBACK_MS),
      });
      w.clock.advance(5_000);
      expect(await core.matching.enqueue(a, [t], { fallback: true })).toMatchObject({
        fallback: true,
        fallback_at: iso(start + FALLBACK_MS),
        expires_at: iso(start + 5_000 + 60_000),
      });
      expect(await core.matching.status(a)).toMatchObject({ fallback: true, fallback_at: iso(start + FALLBACK_MS) });
      await settle(a);
    });

    it('the same tags with another fallback value change it, as a refresh (no 409)', async () => {
      const a = await w.stranger();
      const t = tag();
      const start = w.clock.now();
      await core.matching.enqueue(a, [t]);
      expect(await core.matching.status(a)).not.toHaveProperty('fallback');
      w.clock.advance(3_000);
      // Turned on later, it still opens MATCH_FALLBACK_SECONDS after the search began.
      expect(await core.matching.enqueue(a, [t], { fallback: true })).toMatchObject({
        state: 'searching',
        fallback_at: iso(start + FALLBACK_MS),
      });
      const off = await core.matching.enqueue(a, [t], { fallback: false });
      expect(off.state).toBe('searching');
      expect(off).not.toHaveProperty('fallback_at');
      // Turned off, the entry is not open any more: the pass leaves it alone.
      const b = await w.stranger();
      await core.matching.enqueue(b, [tag()], { fallback: true });
      w.clock.advance(FALLBACK_MS + 1);
      expect(await core.matching.fallbackPass()).toBe(0);
      await settle(a, b);
    });

    it('a partner on a shared tag is taken first, even when open entries wait', async () => {
      const [a, b, c] = [await w.stranger(), await w.stranger(), await w.stranger()];
      const shared = tag();
      await core.matching.enqueue(a, [shared], { fallback: true });
      await core.matching.enqueue(b, [tag()], { fallback: true });
      w.clock.advance(FALLBACK_MS + 1);
      const state = await core.matching.enqueue(c, [tag(), shared], { fallback: true });
      expect(state).toMatchObject({ state: 'matched', matched_interest: shared, common_interests: [shared] });
      expect(state).not.toHaveProperty('fallback');
      expect((await core.matching.status(a)).token).toBe(state.token);
      await settle(b);
    });

    it('both people are told by push, the chat has no interest, and fallback pairs are counted apart', async () => {
      const [a, b] = [await w.stranger(), await w.stranger()];
      const events: PortalEvent[] = [];
      const unsubscribe = core.bus.subscribe((event) => events.push(event));
      const before = await counters(core);
      await core.matching.enqueue(a, [tag()], { fallback: true });
      w.clock.advance(1_000);
      await core.matching.enqueue(b, [tag()], { fallback: true });
      w.clock.advance(FALLBACK_MS);
      expect(await core.matching.fallbackPass()).toBe(1);
      unsubscribe();

      const expected: TMatchState = {
        state: 'matched',
        token: expect.any(String) as string,
        common_interests: [],
        expires_at: iso(w.clock.now() + 24 * 3_600_000),
        fallback: true,
      };
      const pushed = events.filter((e) => e.type === 'matched');
      expect(pushed.map((e) => e.session).sort()).toEqual([a.sessionId, b.sessionId].sort());
      for (const e of pushed) expect(e.match).toEqual(expected);
      expect(await core.matching.status(a)).toEqual(pushed[0]!.match);
      const chat = await core.chats.list(a);
      expect(chat.chats[0]).toMatchObject({ matched_interest: null, common_interests: [] });

      const after = await counters(core);
      expect(after.fallback - before.fallback).toBe(1);
      expect(after.tag - before.tag).toBe(0);
    });
  });
}

async function counters(core: Core): Promise<{ tag: number; fallback: number }> {
  const value = async (name: string) =>
    (await core.metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  return { tag: await value('portal_matches_total'), fallback: await value('portal_fallback_matches_total') };
}

describe.skipIf(await skipProvider('postgresql'))(
  'the fallback pass on two instances of one PostgreSQL database',
  () => {
    let w: World;
    let second: Database;
    let cores: Core[];

    beforeAll(async () => {
      w = await createWorld('postgresql', { poolSize: 10 });
      second = await openDatabase(w.test.url, { poolSize: 10 });
      cores = [w.test.db, second].map((db) =>
        createCore(db, { now: w.clock.now, config: { fallbackMs: FALLBACK_MS } }),
      );
    });
    afterAll(async () => {
      await second?.close();
      await w?.close();
    });

    it('100 open entries end in 50 disjoint pairs, oldest first, none stranded', async () => {
      const people: Principal[] = [];
      for (let i = 0; i < 100; i++) {
        const p = await w.stranger();
        people.push(p);
        // Every other one on the other instance; all on tags nobody shares.
        await cores[i % 2]!.matching.enqueue(p, [`solo${i}`], { fallback: true });
        w.clock.advance(10);
      }
      w.clock.advance(FALLBACK_MS);
      // Both instances pass at the same moment, several times, as their timers would.
      const made = await Promise.all(
        cores.map(async (core) => {
          let total = 0;
          for (let round = 0; round < 5; round++) total += await core.matching.fallbackPass();
          return total;
        }),
      );
      expect(made[0]! + made[1]!).toBe(50);

      const tokens = await Promise.all(people.map(async (p) => (await cores[0]!.matching.status(p)).token));
      expect(tokens.every((t) => typeof t === 'string')).toBe(true);
      // Oldest first: with nothing to exclude anyone, the pairs are (0,1), (2,3), ...
      for (let i = 0; i < 100; i += 2) {
        expect(tokens[i], `pair ${i}`).toBe(tokens[i + 1]);
        expect(tokens[i]).not.toBe(tokens[i + 2]);
      }
      expect(await w.test.db.prisma.chat.count()).toBe(50);
      expect(await w.test.db.prisma.chatParticipant.count()).toBe(100);
    });
  },
);
