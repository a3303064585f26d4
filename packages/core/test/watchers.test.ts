import { afterEach, describe, expect, it, vi } from 'vitest';
import { etagMatches, matchStateEtag } from '@portal/contracts';
import { createWatcherRegistry, type Wake } from '../src/matching/watchers.ts';
import { createLocalBus } from '../src/realtime/local-bus.ts';

describe('the ETag of a match state', () => {
  it('depends on the content only, not on key order, and differs for any change', () => {
    const a = matchStateEtag({ state: 'searching', interests: ['music'], expires_at: '2026-11-30T10:00:00.000Z' });
    const b = matchStateEtag({ expires_at: '2026-11-30T10:00:00.000Z', interests: ['music'], state: 'searching' });
    expect(a).toBe(b);
    expect(a).toMatch(/^"[0-9a-f]{16}"$/);
    const others = [
      { state: 'searching' as const, interests: ['music'], expires_at: '2026-11-30T10:00:00.001Z' },
      { state: 'searching' as const, interests: ['musia'], expires_at: '2026-11-30T10:00:00.000Z' },
      { state: 'searching' as const, interests: ['music'], expires_at: '2026-11-30T10:00:00.000Z', fallback: true },
      { state: 'idle' as const },
    ].map(matchStateEtag);
    expect(new Set([a, ...others]).size).toBe(5);
    // An absent field and an undefined one are the same state (what JSON carries).
    expect(matchStateEtag({ state: 'idle', token: undefined })).toBe(matchStateEtag({ state: 'idle' }));
  });

  it('matches If-None-Match as RFC 9110 says: lists, weak tags, *', () => {
    const tag = matchStateEtag({ state: 'idle' });
    expect(etagMatches(tag, tag)).toBe(true);
    expect(etagMatches(`"x", ${tag}`, tag)).toBe(true);
    expect(etagMatches(`W/${tag}`, tag)).toBe(true);
    expect(etagMatches('*', tag)).toBe(true);
    expect(etagMatches('"x"', tag)).toBe(false);
    expect(etagMatches(tag.slice(1, -1), tag)).toBe(false);
    expect(etagMatches('', tag)).toBe(false);
    expect(etagMatches(null, tag)).toBe(false);
  });
});

describe('the registry of held status requests', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps one timer for every held request, and wakes each at its due time, in order', async () => {
    const bus = createLocalBus();
    const registry = createWatcherRegistry(bus, Date.now);
    const set = vi.spyOn(globalThis, 'setTimeout');
    const cleared = vi.spyOn(globalThis, 'clearTimeout');
    const start = Date.now();
    const count = 2000;
    // Due times over 300 ms, inserted out of order: the heap keeps the earliest on top.
    const dues = Array.from({ length: count }, (_, i) => start + 100 + ((i * 7919) % 300));
    const woke: { i: number; at: number; why: Wake }[] = [];
    const holds = dues.map((due, i) => {
      const hold = registry.hold(`s${i}`, `p${i}`);
      hold.dueAt(due);
      void hold.next().then((why) => woke.push({ i, at: Date.now(), why }));
      return hold;
    });
    expect(registry.size()).toBe(count);
    // Only a new earliest due time re-arms, and each re-arm clears the previous timer.
    expect(set.mock.calls.length - cleared.mock.calls.length).toBeLessThanOrEqual(1);
    expect(set.mock.calls.length).toBeLessThan(20);

    await vi.waitFor(() => expect(woke).toHaveLength(count), { timeout: 5000, interval: 20 });
    expect(woke.every((w) => w.why === 'due')).toBe(true);
    for (const w of woke) {
      expect(w.at).toBeGreaterThanOrEqual(dues[w.i]!);
      expect(w.at - dues[w.i]!).toBeLessThan(100);
    }
    const order = woke.map((w) => dues[w.i]!);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Timers the registry set while they fired: at most one per distinct due time, never one per request.
    const armed = set.mock.calls.filter(([fn]) => (fn as { name?: string }).name === 'fire').length;
    expect(armed).toBeLessThanOrEqual(new Set(dues).size + 20);
    for (const hold of holds) hold.release();
    expect(registry.size()).toBe(0);
    registry.close();
  });

  it('wakes only the requests an event is about', async () => {
    const bus = createLocalBus();
    const registry = createWatcherRegistry(bus, Date.now);
    const held = (session: string, person: string, chat?: string) => {
      const hold = registry.hold(session, person);
      if (chat) hold.watchChat(chat);
      const result = { why: null as Wake | null, hold };
      void hold.next().then((why) => (result.why = why));
      return result;
    };
    const a = held('sa', 'pa');
    const b = held('sb', 'pb', 'chat1');
    const c = held('sc', 'pc');
    const d = held('sd', 'pshared');
    const e = held('se', 'pshared');
    const flush = () => new Promise((resolve) => setImmediate(resolve));

    await bus.publish({ type: 'message', chat: 'chat1', message: { id: 1, sender: 'pa', text: 'x', created_at: '' } });
    await bus.publish({ type: 'typing', chat: 'chat1', sender: 'pa' });
    await bus.publish({ type: 'matched', session: 'nobody', match: { state: 'idle' } });
    await flush();
    expect([a, b, c, d, e].map((x) => x.why)).toEqual([null, null, null, null, null]);

    await bus.publish({ type: 'matched', session: 'sa', match: { state: 'idle' } });
    await bus.publish({ type: 'ended', chat: 'chat1', by: null, reason: 'ended' });
    await bus.publish({ type: 'search_ended', sessions: ['zz', 'sc'] });
    await bus.publish({ type: 'disconnect', person: 'pshared', error: 'ERR_STRANGER_BLOCKED' });
    await flush();
    expect([a, b, c, d, e].map((x) => x.why)).toEqual(['event', 'event', 'event', 'disconnect', 'disconnect']);

    // A wake that comes while nobody awaits is kept; the one that says more wins.
    await bus.publish({ type: 'search_ended', sessions: ['sa'] });
    await bus.publish({ type: 'disconnect', sessions: ['sa'], error: 'ERR_UNAUTHENTICATED' });
    await bus.publish({ type: 'matched', session: 'sa', match: { state: 'idle' } });
    expect(await a.hold.next()).toBe('disconnect');

    // resync: every held request looks again.
    const pending = [a, b, c].map((x) => x.hold.next());
    bus.publish({ type: 'resync' }).catch(() => undefined);
    expect(await Promise.all(pending)).toEqual(['event', 'event', 'event']);

    // Released requests are out of every index.
    for (const x of [a, b, c, d, e]) x.hold.release();
    expect(registry.size()).toBe(0);
    await bus.publish({ type: 'ended', chat: 'chat1', by: null, reason: 'ended' });
    registry.close();
  });

  it('answers every held request at close, holds no more, and lets a client that left go', async () => {
    const bus = createLocalBus();
    const registry = createWatcherRegistry(bus, Date.now);
    const a = registry.hold('sa', 'pa');
    a.dueAt(Date.now() + 60_000);
    const controller = new AbortController();
    const b = registry.hold('sb', 'pb', controller.signal);
    const bWoke = b.next();
    controller.abort();
    expect(await bWoke).toBe('closed');
    b.release();

    const aWoke = a.next();
    registry.close();
    expect(await aWoke).toBe('closed');
    expect(await a.next()).toBe('closed');
    a.release();
    expect(registry.closed).toBe(true);
    const late = registry.hold('sc', 'pc');
    expect(await late.next()).toBe('closed');
    late.release();
    expect(registry.size()).toBe(0);
  });
});
