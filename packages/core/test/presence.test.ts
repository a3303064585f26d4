// SPEC §9 "Nobody is matched with a closed page": a search that had a socket and then has
// none for MATCH_PRESENCE_GRACE_SECONDS leaves the queue, unless a socket opened again, it
// enqueued again or read its status. The clock is moved by hand; "another instance" is a
// second core on its own connection to the same database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '@portal/db';
import { createCore, type Core, type PortalEvent, type Principal } from '../src/index.ts';
import { createWorld, PROVIDERS, skipProvider, type World } from './factories.ts';

const GRACE_MS = 10_000;

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`presence on ${provider}`, () => {
    let w: World;
    let other: Database;
    /** [this instance, another instance]. */
    let a: Core;
    let b: Core;
    let n = 0;

    beforeAll(async () => {
      w = await createWorld(provider);
      other = await openDatabase(w.test.url);
      const config = { presenceGraceMs: GRACE_MS, queueTtlMs: 10 * 60_000 };
      a = createCore(w.test.db, { now: w.clock.now, config });
      b = createCore(other, { now: w.clock.now, config });
    });
    afterAll(async () => {
      await other?.close();
      await w?.close();
    });

    const search = async (core: Core) => {
      const p = await w.stranger();
      expect((await core.matching.enqueue(p, [`pr${provider[0]}${++n}`])).state).toBe('searching');
      return p;
    };
    const state = async (p: Principal) =>
      (await a.db.prisma.queueEntry.count({ where: { sessionId: p.sessionId } })) > 0;
    /** Moves the clock and sweeps on the other instance, as its matchmaker would. */
    const after = async (ms: number) => {
      w.clock.advance(ms);
      return b.matching.sweepAbsent();
    };

    /** Time passes with `core`'s sockets open: its matchmaker beats, the other instance sweeps. */
    const whileOpen = async (core: Core, ms: number) => {
      for (let left = ms; left > 0; left -= core.matching.presence.beatMs) {
        await after(Math.min(left, core.matching.presence.beatMs));
        await core.matching.presence.beat();
      }
    };

    it('a search that never had a socket keeps only the queue deadline', async () => {
      const p = await search(a);
      await after(5 * 60_000);
      expect(await state(p)).toBe(true);
      await a.matching.cancel(p);
    });

    it('a closed page leaves the queue once the grace has passed, not before, and held requests are told', async () => {
      const p = await search(a);
      a.matching.presence.opened(p.sessionId);
      await idle(a);
      await whileOpen(a, 60_000);
      a.matching.presence.closed(p.sessionId);
      await idle(a);
      expect(await after(GRACE_MS - 1)).toBe(0);
      expect(await state(p)).toBe(true);

      const events: PortalEvent[] = [];
      const stop = b.bus.subscribe((e) => events.push(e));
      expect(await after(1)).toBe(1);
      stop();
      expect(await state(p)).toBe(false);
      expect((await a.matching.status(p)).state).toBe('idle');
      expect(events).toContainEqual({ type: 'search_ended', sessions: [p.sessionId] });
    });

    it('a socket opened again within the grace, on another instance, keeps the search', async () => {
      const p = await search(a);
      a.matching.presence.opened(p.sessionId);
      a.matching.presence.closed(p.sessionId);
      await idle(a);
      w.clock.advance(GRACE_MS - 100);
      b.matching.presence.opened(p.sessionId);
      await idle(b);
      await whileOpen(b, GRACE_MS * 2);
      expect(await state(p)).toBe(true);
      b.matching.presence.closed(p.sessionId);
      await idle(b);
      await after(GRACE_MS);
      expect(await state(p)).toBe(false);
    });

    it('reading the status within the grace keeps the search for another grace', async () => {
      const p = await search(a);
      a.matching.presence.opened(p.sessionId);
      a.matching.presence.closed(p.sessionId);
      await idle(a);
      await after(GRACE_MS - 100);
      expect((await b.matching.status(p)).state).toBe('searching');
      await after(GRACE_MS - 100);
      expect(await state(p)).toBe(true);
      await after(100);
      expect(await state(p)).toBe(false);
    });

    it('enqueuing again within the grace keeps the search for another grace', async () => {
      const p = await search(a);
      const tags = (await a.matching.status(p)).interests!;
      a.matching.presence.opened(p.sessionId);
      a.matching.presence.closed(p.sessionId);
      await idle(a);
      await after(GRACE_MS - 100);
      expect((await b.matching.enqueue(p, tags)).state).toBe('searching');
      await after(GRACE_MS - 100);
      expect(await state(p)).toBe(true);
      await after(100);
      expect(await state(p)).toBe(false);
    });

    it('the socket on one instance, the search made on another: the socket holder keeps it', async () => {
      const p = await w.stranger();
      a.matching.presence.opened(p.sessionId); // the page's socket, before the search
      await idle(a);
      expect((await b.matching.enqueue(p, [`pr${provider[0]}${++n}`])).state).toBe('searching');
      await whileOpen(a, GRACE_MS * 3); // a marks the search at its next beat, and keeps it
      expect(await state(p)).toBe(true);
      a.matching.presence.closed(p.sessionId);
      await idle(a);
      await after(GRACE_MS);
      expect(await state(p)).toBe(false);
    });

    it('an instance that dies with the socket: the search leaves after the grace and at most a beat more', async () => {
      const p = await search(a);
      a.matching.presence.opened(p.sessionId);
      await idle(a);
      await a.matching.presence.beat();
      // a dies now: no close, no more beats.
      await after(GRACE_MS);
      expect(await state(p)).toBe(true);
      await after(a.matching.presence.beatMs);
      expect(await state(p)).toBe(false);
    });
  });
}

/** Waits for the presence writes the socket hooks started (the socket server does not await them). */
const idle = (core: Core): Promise<void> => core.matching.presence.settled();
