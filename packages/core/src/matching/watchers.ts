import { Gauge } from 'prom-client';
import type { Database } from '@portal/db';
import { AppError, etagMatches, matchStateEtag, type TMatchState } from '@portal/contracts';
import type { CoreConfig } from '../config.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { Principal } from '../principal.ts';
import type { EventBus, PortalEvent } from '../realtime/events.ts';
import { createStandingLookup } from '../sessions/lookup.ts';

// SPEC §9 "Cheap polling": GET /match/status with If-None-Match and `wait` is held
// until the state is no longer the one the client has. Nothing polls while a request
// is held: it sleeps until a bus event names its session, person or chat (from any
// instance), or until its due time (the end of the wait, or the moment the state
// changes by itself: a search's deadline). Then it reads the status once more.

/** Why a held request woke up. */
export type Wake = 'due' | 'event' | 'disconnect' | 'closed';

/** When two wake-ups come before the request looks, the one that says more wins. */
const RANK: Record<Wake, number> = { due: 0, event: 1, disconnect: 2, closed: 3 };

/** One held request, as the registry sees it. */
export interface Hold {
  /** Resolves at the next wake-up, or at once with one that came since the last call. */
  next(): Promise<Wake>;
  /** Wake on the end of this chat too (the client's state is matched in it). False if already watched. */
  watchChat(token: string): boolean;
  /** Wake with `due` at this time (epoch ms) unless something comes first. */
  dueAt(at: number): void;
  /** Forget this request (always, however it ended). */
  release(): void;
}

/**
 * Every request held on this instance. One timer for all of them (armed for the
 * earliest due time of a min-heap), one bus subscription, and indexes by session,
 * person and chat so that an event wakes only the requests it concerns.
 */
export interface WatcherRegistry {
  hold(session: string, person: string, signal?: AbortSignal): Hold;
  /** Requests held now. */
  size(): number;
  /** Wakes every held request with `closed` and holds no more: the server is shutting down. */
  close(): void;
  readonly closed: boolean;
}

interface Waiter {
  session: string;
  person: string;
  chat: string | null;
  due: number;
  /** Index in the heap, -1 when not in it. */
  slot: number;
  pending: Wake | null;
  resolve: ((why: Wake) => void) | null;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

/** Node's timers take at most 2^31-1 ms; a later due time is re-armed when that fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export function createWatcherRegistry(bus: EventBus, now: () => number): WatcherRegistry {
  const bySession = new Map<string, Set<Waiter>>();
  const byPerson = new Map<string, Set<Waiter>>();
  const byChat = new Map<string, Set<Waiter>>();
  const heap: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let armedFor = Infinity;
  let closed = false;
  let count = 0;

  const wake = (w: Waiter, why: Wake) => {
    const resolve = w.resolve;
    w.resolve = null;
    // `closed` stays: every later look says so too.
    if (why === 'closed' || (!resolve && (w.pending === null || RANK[why] > RANK[w.pending]))) w.pending = why;
    if (resolve) resolve(why);
  };
  const wakeKey = (index: Map<string, Set<Waiter>>, key: string, why: Wake) => {
    const set = index.get(key);
    if (set) for (const w of set) wake(w, why);
  };

  const unsubscribe = bus.subscribe((event: PortalEvent) => {
    switch (event.type) {
      case 'matched':
        return wakeKey(bySession, event.session, 'event');
      case 'search_ended':
        for (const session of event.sessions) wakeKey(bySession, session, 'event');
        return;
      case 'ended':
        return wakeKey(byChat, event.chat, 'event');
      case 'disconnect':
        for (const session of event.sessions ?? []) wakeKey(bySession, session, 'disconnect');
        if (event.person) wakeKey(byPerson, event.person, 'disconnect');
        return;
      case 'resync':
        // Events of the gap are lost: everyone looks again.
        for (const set of bySession.values()) for (const w of set) wake(w, 'event');
        return;
      default:
        return; // messages, typing, presence: nothing a status shows
    }
  });

  // The min-heap of due times.
  const swap = (i: number, j: number) => {
    const a = heap[i]!;
    const b = heap[j]!;
    heap[i] = b;
    heap[j] = a;
    b.slot = i;
    a.slot = j;
  };
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= heap[i]!.due) return;
      swap(i, parent);
      i = parent;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && heap[left]!.due < heap[least]!.due) least = left;
      if (right < heap.length && heap[right]!.due < heap[least]!.due) least = right;
      if (least === i) return;
      swap(i, least);
      i = least;
    }
  };
  const unschedule = (w: Waiter) => {
    const i = w.slot;
    if (i < 0) return;
    const last = heap.pop()!;
    w.slot = -1;
    if (last === w) return;
    heap[i] = last;
    last.slot = i;
    up(i);
    down(last.slot);
  };

  // One timer, for the earliest due time. Armed earlier than needed is harmless
  // (it fires, finds nothing due, re-arms), so removals never re-arm it.
  const arm = () => {
    const first = heap[0];
    if (!first || (timer && armedFor <= first.due)) return;
    if (timer) clearTimeout(timer);
    armedFor = first.due;
    timer = setTimeout(fire, Math.min(MAX_DELAY_MS, Math.max(0, first.due - now())));
    timer.unref();
  };
  const fire = () => {
    timer = undefined;
    armedFor = Infinity;
    const at = now();
    while (heap.length > 0 && heap[0]!.due <= at) {
      const w = heap[0]!;
      unschedule(w);
      wake(w, 'due');
    }
    arm();
  };

  const index = (map: Map<string, Set<Waiter>>, key: string, w: Waiter) => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(w);
  };
  const unindex = (map: Map<string, Set<Waiter>>, key: string, w: Waiter) => {
    const set = map.get(key);
    if (!set?.delete(w)) return;
    if (set.size === 0) map.delete(key);
  };

  return {
    hold(session, person, signal) {
      const w: Waiter = {
        session,
        person,
        chat: null,
        due: Infinity,
        slot: -1,
        pending: closed ? 'closed' : null,
        resolve: null,
        signal,
        onAbort: null,
      };
      let released = closed;
      if (!closed) {
        index(bySession, session, w);
        index(byPerson, person, w);
        count += 1;
        if (signal) {
          // The client went away: nobody is waiting for the answer any more.
          w.onAbort = () => wake(w, 'closed');
          if (signal.aborted) w.pending = 'closed';
          else signal.addEventListener('abort', w.onAbort, { once: true });
        }
      }
      return {
        next() {
          const pending = w.pending;
          if (pending !== null) {
            if (pending !== 'closed') w.pending = null;
            return Promise.resolve(pending);
          }
          return new Promise<Wake>((resolve) => (w.resolve = resolve));
        },
        watchChat(token) {
          if (released || w.chat === token) return false;
          if (w.chat !== null) unindex(byChat, w.chat, w);
          w.chat = token;
          index(byChat, token, w);
          return true;
        },
        dueAt(at) {
          if (released || at === w.due) return;
          unschedule(w);
          w.due = at;
          heap.push(w);
          w.slot = heap.length - 1;
          up(w.slot);
          arm();
        },
        release() {
          if (released) return;
          released = true;
          count -= 1;
          unindex(bySession, w.session, w);
          unindex(byPerson, w.person, w);
          if (w.chat !== null) unindex(byChat, w.chat, w);
          unschedule(w);
          if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
          w.resolve = null;
        },
      };
    },
    size: () => count,
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const set of bySession.values()) for (const w of set) wake(w, 'closed');
    },
    get closed() {
      return closed;
    },
  };
}

export interface WatchOptions {
  /** The client's If-None-Match header. */
  ifNoneMatch?: string | null;
  /** How long to hold the request while the client's tag is current, in ms (0: answer at once). */
  waitMs?: number;
  /**
   * Aborted when the client goes away. A function, called only when the request is
   * held: a plain poll makes no AbortController (and REST makes none of its own).
   */
  signal?: () => AbortSignal | undefined;
}

export interface Watched {
  state: TMatchState;
  /** The state's ETag (`matchStateEtag`). */
  etag: string;
  /** The client already has this state: REST answers 304 without a body. */
  notModified: boolean;
}

export interface StatusWatch {
  watch(principal: Principal, options?: WatchOptions): Promise<Watched>;
  registry: WatcherRegistry;
}

/** The moment a state turns into another by itself: a search's deadline, a chat's expiry. */
function changesAt(state: TMatchState): number {
  return state.expires_at === undefined ? Infinity : Date.parse(state.expires_at);
}

/** A state that says it changes now (a clock step, a slow read) is looked at again this much later, not in a loop. */
const RECHECK_MS = 25;

/**
 * The status with its ETag, held per SPEC §9 when the client's If-None-Match is the
 * current tag and it asked to wait. The request is registered before its first read:
 * a change committed after that read announces itself to a registered request, and one
 * committed before it is in the read. A chat is known only from a read, so the first
 * time the state names one, it is read once more after the chat is watched.
 */
export function createStatusWatch(
  db: Database,
  config: Pick<CoreConfig, 'sessionIdleMs' | 'sessionMaxMs'>,
  now: () => number,
  bus: EventBus,
  metrics: Pick<Metrics, 'registry'>,
  status: (principal: Principal) => Promise<TMatchState>,
): StatusWatch {
  const registry = createWatcherRegistry(bus, now);
  new Gauge({
    name: 'portal_status_held',
    help: 'GET /match/status requests held on this instance (If-None-Match with wait).',
    registers: [metrics.registry],
    collect() {
      this.set(registry.size());
    },
  });
  const standings = createStandingLookup(db, { idleMs: config.sessionIdleMs, maxMs: config.sessionMaxMs, now });
  const seen = (state: TMatchState, ifNoneMatch: string | null | undefined): Watched => {
    const etag = matchStateEtag(state);
    return { state, etag, notModified: etagMatches(ifNoneMatch, etag) };
  };

  return {
    registry,
    async watch(principal, { ifNoneMatch, waitMs = 0, signal } = {}) {
      // The hot path: a plain poll, or a conditional one without `wait`.
      if (!ifNoneMatch || waitMs <= 0 || registry.closed) return seen(await status(principal), ifNoneMatch);
      const end = now() + waitMs;
      const hold = registry.hold(principal.sessionId, principal.personKey, signal?.());
      try {
        for (;;) {
          const answer = seen(await status(principal), ifNoneMatch);
          if (!answer.notModified || now() >= end) return answer;
          const { state } = answer;
          if (state.state === 'matched' && state.token && hold.watchChat(state.token)) continue;
          hold.dueAt(Math.min(end, Math.max(changesAt(state), now() + RECHECK_MS)));
          const why = await hold.next();
          if (why === 'closed') return answer;
          if (why === 'disconnect') {
            // Signed out, revoked or deleted meanwhile: what the next request would get.
            const standing = (await standings([principal.sessionId])).get(principal.sessionId);
            if (standing === undefined || standing === 'revoked') throw new AppError('ERR_UNAUTHENTICATED');
          }
        }
      } finally {
        hold.release();
      }
    },
  };
}
