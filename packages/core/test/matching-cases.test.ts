// One table of matching cases, run against both matchers: the SQLite one
// (candidateSql in src/matching/sqlite.ts) and portal_enqueue on PostgreSQL. The
// rules are written twice; these rows keep the twins from drifting apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TErrorCode, TPlan } from '@portal/contracts';
import { createCore, type Core, type Principal } from '../src/index.ts';
import { createWorld, PROVIDERS, skipProvider, type World } from './factories.ts';

const MINUTE = 60_000;

/** Who is in a case and what they went through before anyone searches. */
interface Scene {
  name: string;
  /** Everyone in the case: a stranger, or an account with a plan and one or more sessions. */
  people: Record<string, { plan?: TPlan; sessions?: number } | 'stranger'>;
  /** MATCH_REPEAT_COOLDOWN_MINUTES for this case (default 30). */
  cooldownMinutes?: number;
  /**
   * Chats the people had before, oldest first: `minutesAgo` since it ended ('active' while it
   * runs). `expired` lets it run out its 24 hours instead of being ended.
   */
  history?: { pair: [string, string]; minutesAgo: number | 'active'; expired?: boolean }[];
  /** [blocker, blocked]: made from a chat of the two, long enough ago that no cooldown is left. */
  blocks?: [string, string][];
  /** Blocks lifted again before anyone searches. */
  lifted?: [string, string][];
  /** Chats made after everyone is waiting (another session of a waiter fills its slots). */
  meanwhile?: [string, string][];
}

interface MatchCase extends Scene {
  /**
   * Who waits, oldest first: a person (or `person#n` for their n-th session) and their tags.
   * Waiters never share a tag (they would pair with each other): the arrival carries theirs.
   */
  waiting: [string, string[]][];
  arrives: [string, string[]];
  /**
   * Who the arrival is paired with, null when they must wait, or the error that refuses
   * them: a refused search of theirs that was waiting ends too (it could not lead to a chat).
   */
  pairs: string | null | { refused: TErrorCode };
}

const CASES: MatchCase[] = [
  {
    name: 'a shared tag pairs the longest-waiting person',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    waiting: [
      ['a', ['t1']],
      ['b', ['t2']],
    ],
    arrives: ['c', ['t2', 't1']],
    pairs: 'a',
  },
  {
    name: 'no shared tag, no pair',
    people: { a: 'stranger', c: 'stranger' },
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t2']],
    pairs: null,
  },
  {
    name: 'two sessions of one account never pair',
    people: { acc: { plan: 'premium', sessions: 2 } },
    waiting: [['acc#1', ['t1']]],
    arrives: ['acc#2', ['t1']],
    pairs: null,
  },
  {
    name: 'people who share an active chat are skipped, the next waiter wins',
    people: { a: { plan: 'premium' }, b: 'stranger', c: { plan: 'premium' } },
    history: [{ pair: ['a', 'c'], minutesAgo: 'active' }],
    waiting: [
      ['a', ['t1']],
      ['b', ['t2']],
    ],
    arrives: ['c', ['t2', 't1']],
    pairs: 'b',
  },
  {
    name: 'a waiter the arrival blocked is skipped, the next allowed one wins',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    blocks: [['c', 'a']],
    waiting: [
      ['a', ['t1']],
      ['b', ['t2']],
    ],
    arrives: ['c', ['t2', 't1']],
    pairs: 'b',
  },
  {
    name: 'a waiter who blocked the arrival is skipped too',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    blocks: [['a', 'c']],
    waiting: [
      ['a', ['t1']],
      ['b', ['t2']],
    ],
    arrives: ['c', ['t2', 't1']],
    pairs: 'b',
  },
  {
    name: 'a block holds on every tag and with the cooldown off',
    people: { a: 'stranger', c: 'stranger' },
    cooldownMinutes: 0,
    blocks: [['a', 'c']],
    waiting: [['a', ['t1', 't2', 't3']]],
    arrives: ['c', ['t3', 't2']],
    pairs: null,
  },
  {
    name: 'a block covers every session of an account',
    people: { acc: { plan: 'premium', sessions: 2 }, c: 'stranger' },
    blocks: [['c', 'acc']],
    waiting: [['acc#2', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: null,
  },
  {
    name: 'a lifted block no longer excludes',
    people: { a: 'stranger', c: 'stranger' },
    blocks: [['c', 'a']],
    lifted: [['c', 'a']],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: 'a',
  },
  {
    name: 'a blocked waiter among others on several tags: the oldest allowed one on any tag wins',
    people: { a: 'stranger', b: 'stranger', d: 'stranger', c: 'stranger' },
    blocks: [['a', 'c']],
    waiting: [
      ['a', ['t1']],
      ['b', ['t2']],
      ['d', ['t3']],
    ],
    arrives: ['c', ['t3', 't1', 't2']],
    pairs: 'b',
  },
  {
    name: 'partners from a chat that ended inside the cooldown are skipped',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    history: [{ pair: ['a', 'c'], minutesAgo: 10 }],
    waiting: [
      ['a', ['t1']],
      ['b', ['t2']],
    ],
    arrives: ['c', ['t2', 't1']],
    pairs: 'b',
  },
  {
    name: 'the only partner in cooldown: wait',
    people: { a: 'stranger', c: 'stranger' },
    history: [{ pair: ['a', 'c'], minutesAgo: 29 }],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: null,
  },
  {
    name: 'after the cooldown the two can pair again',
    people: { a: 'stranger', c: 'stranger' },
    history: [{ pair: ['a', 'c'], minutesAgo: 31 }],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: 'a',
  },
  {
    name: 'a shorter cooldown is honoured',
    people: { a: 'stranger', c: 'stranger' },
    cooldownMinutes: 5,
    history: [{ pair: ['a', 'c'], minutesAgo: 6 }],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: 'a',
  },
  {
    name: 'a cooldown of 0 turns the rule off',
    people: { a: 'stranger', c: 'stranger' },
    cooldownMinutes: 0,
    history: [{ pair: ['a', 'c'], minutesAgo: 1 }],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: 'a',
  },
  {
    name: 'an expired chat counts from its expiry',
    people: { a: 'stranger', c: 'stranger' },
    history: [{ pair: ['a', 'c'], minutesAgo: 10, expired: true }],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: null,
  },
  {
    name: 'an expired chat past the cooldown no longer excludes',
    people: { a: 'stranger', c: 'stranger' },
    history: [{ pair: ['a', 'c'], minutesAgo: 40, expired: true }],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: 'a',
  },
  {
    name: 'the cooldown follows an account to its other sessions',
    people: { acc: { plan: 'premium', sessions: 2 }, c: 'stranger' },
    history: [{ pair: ['acc', 'c'], minutesAgo: 5 }],
    waiting: [['acc#2', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: null,
  },
  {
    name: 'an older chat past the cooldown does not hide a recent one',
    people: { a: { plan: 'premium' }, c: { plan: 'premium' } },
    history: [
      { pair: ['a', 'c'], minutesAgo: 90 },
      { pair: ['a', 'c'], minutesAgo: 3 },
    ],
    waiting: [['a', ['t1']]],
    arrives: ['c', ['t1']],
    pairs: null,
  },
  {
    name: 'a waiter whose slots filled up since joining is skipped',
    people: { acc: { plan: 'free', sessions: 2 }, x: 'stranger', b: 'stranger', c: 'stranger' },
    waiting: [
      ['acc#1', ['t1']],
      ['b', ['t2']],
    ],
    meanwhile: [['acc#2', 'x']],
    arrives: ['c', ['t1', 't2']],
    pairs: 'b',
  },
  {
    name: 'a waiter whose slots filled up is refused on searching again, and its search ends',
    people: { acc: { plan: 'free', sessions: 2 }, x: 'stranger', b: 'stranger' },
    waiting: [
      ['acc#1', ['t1']],
      ['b', ['t2']],
    ],
    meanwhile: [['acc#2', 'x']],
    arrives: ['acc#1', ['t1']],
    pairs: { refused: 'ERR_MATCH_SLOT_LIMIT' },
  },
];

/**
 * The fallback pass (SPEC §9) over the same kind of scene: everyone searches (with
 * fallback unless told otherwise) on tags nobody shares, the clock passes MATCH_FALLBACK_SECONDS,
 * one pass runs. The SQLite pass and portal_fallback_pass are twins as the enqueues are.
 */
interface FallbackCase extends Scene {
  /** Who searches, oldest first; `consent: false` searches without agreeing to anyone. */
  searching: { who: string; consent?: boolean }[];
  /** How far the clock moves before the pass, in seconds after the last search (default: past every opening). */
  openAfterSeconds?: number;
  /** The pairs the pass makes, [older, newer]; everyone else still searches. */
  pairs: [string, string][];
}

const FALLBACK_SECONDS = 15;

const FALLBACK_CASES: FallbackCase[] = [
  {
    name: 'two open entries with no shared tag are paired',
    people: { a: 'stranger', b: 'stranger' },
    searching: [{ who: 'a' }, { who: 'b' }],
    pairs: [['a', 'b']],
  },
  {
    name: 'longest-waiting first: the third one waits',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    searching: [{ who: 'a' }, { who: 'b' }, { who: 'c' }],
    pairs: [['a', 'b']],
  },
  {
    name: 'four open entries make two pairs in arrival order',
    people: { a: 'stranger', b: 'stranger', c: 'stranger', d: 'stranger' },
    searching: [{ who: 'a' }, { who: 'b' }, { who: 'c' }, { who: 'd' }],
    pairs: [
      ['a', 'b'],
      ['c', 'd'],
    ],
  },
  {
    name: 'never without consent',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    searching: [{ who: 'a' }, { who: 'b', consent: false }, { who: 'c' }],
    pairs: [['a', 'c']],
  },
  {
    name: 'nobody is paired before the entry opens',
    people: { a: 'stranger', b: 'stranger' },
    searching: [{ who: 'a' }, { who: 'b' }],
    openAfterSeconds: FALLBACK_SECONDS - 1,
    pairs: [],
  },
  {
    name: 'two sessions of one account never pair',
    people: { acc: { plan: 'premium', sessions: 2 } },
    searching: [{ who: 'acc#1' }, { who: 'acc#2' }],
    pairs: [],
  },
  {
    name: 'a block either way is skipped, the next open entry wins',
    people: { a: 'stranger', b: 'stranger', c: 'stranger', d: 'stranger' },
    blocks: [
      ['a', 'b'],
      ['c', 'a'],
    ],
    searching: [{ who: 'a' }, { who: 'b' }, { who: 'c' }, { who: 'd' }],
    pairs: [
      ['a', 'd'],
      ['b', 'c'],
    ],
  },
  {
    name: 'a lifted block no longer excludes',
    people: { a: 'stranger', b: 'stranger' },
    blocks: [['a', 'b']],
    lifted: [['a', 'b']],
    searching: [{ who: 'a' }, { who: 'b' }],
    pairs: [['a', 'b']],
  },
  {
    name: 'partners from a chat inside the cooldown are skipped',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    history: [{ pair: ['a', 'b'], minutesAgo: 10 }],
    searching: [{ who: 'a' }, { who: 'b' }, { who: 'c' }],
    pairs: [['a', 'c']],
  },
  {
    name: 'a cooldown of 0 turns the rule off for fallback pairs too',
    people: { a: 'stranger', b: 'stranger' },
    cooldownMinutes: 0,
    history: [{ pair: ['a', 'b'], minutesAgo: 1 }],
    searching: [{ who: 'a' }, { who: 'b' }],
    pairs: [['a', 'b']],
  },
  {
    name: 'people who share an active chat are skipped',
    people: { a: { plan: 'premium' }, b: { plan: 'premium' }, c: 'stranger' },
    history: [{ pair: ['a', 'b'], minutesAgo: 'active' }],
    searching: [{ who: 'a' }, { who: 'b' }, { who: 'c' }],
    pairs: [['a', 'c']],
  },
  {
    name: 'an open entry whose slots filled up since joining is skipped',
    people: { acc: { plan: 'free', sessions: 2 }, x: 'stranger', b: 'stranger', c: 'stranger' },
    searching: [{ who: 'acc#1' }, { who: 'b' }, { who: 'c' }],
    meanwhile: [['acc#2', 'x']],
    pairs: [['b', 'c']],
  },
  {
    name: 'an entry everyone blocked does not hold up the others',
    people: { a: 'stranger', b: 'stranger', c: 'stranger' },
    blocks: [
      ['b', 'a'],
      ['c', 'a'],
    ],
    searching: [{ who: 'a' }, { who: 'b' }, { who: 'c' }],
    pairs: [['b', 'c']],
  },
];

/** People, their sessions and their past (chats, blocks, lifted blocks), made through the real services. */
async function stage(w: World, core: Core, c: Scene, prefix: string) {
  let scratch = 0;
  const scratchTag = () => `${prefix}z${++scratch}`;
  const sessions = new Map<string, Principal[]>();
  for (const [name, kind] of Object.entries(c.people)) {
    if (kind === 'stranger') {
      sessions.set(name, [await w.stranger()]);
      continue;
    }
    const member = await w.member(kind.plan ?? 'free');
    const list = [member.principal];
    for (let i = 1; i < (kind.sessions ?? 1); i++) list.push(await member.anotherSession());
    sessions.set(name, list);
  }
  const session = (ref: string): Principal => {
    const [name, n] = ref.split('#');
    const principal = sessions.get(name!)?.[Number(n ?? 1) - 1];
    if (!principal) throw new Error(`case ${c.name}: no session ${ref}`);
    return principal;
  };

  /** Pairs two people in a chat of their own, through the real matcher. */
  const chatOf = async (x: string, y: string): Promise<string> => {
    const t = scratchTag();
    await core.matching.enqueue(session(x), [t]);
    const state = await core.matching.enqueue(session(y), [t]);
    expect(state.state, `setting up a chat of ${x} and ${y}`).toBe('matched');
    return state.token!;
  };

  for (const [blocker, blocked] of c.blocks ?? []) {
    const token = await chatOf(blocker, blocked);
    await core.blocks.block(session(blocker), token);
  }
  for (const [blocker] of c.lifted ?? []) {
    const { blocks } = await core.blocks.list(session(blocker));
    for (const block of blocks) await core.blocks.lift(session(blocker), block.id);
  }
  // Whatever chats the blocks made are long past any cooldown.
  if (c.blocks?.length) w.clock.advance(24 * 60 * MINUTE);

  const history = c.history ?? [];
  for (const [i, past] of history.entries()) {
    const token = await chatOf(past.pair[0], past.pair[1]);
    if (past.minutesAgo === 'active') continue;
    if (past.expired) w.clock.advance(24 * 60 * MINUTE);
    else await core.chats.end(session(past.pair[0]), token);
    const next = history[i + 1]?.minutesAgo;
    w.clock.advance((past.minutesAgo - (typeof next === 'number' ? next : 0)) * MINUTE);
  }
  await core.chats.expire();

  return {
    session,
    chatOf,
    /** Leave nobody waiting for the next case. */
    leave: async () => {
      for (const list of sessions.values()) for (const p of list) await core.matching.cancel(p);
    },
  };
}

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`the shared tables of matching cases on ${provider}`, () => {
    let w: World;
    const cores = new Map<number, Core>();
    beforeAll(async () => {
      w = await createWorld(provider);
    });
    afterAll(() => w?.close());

    /** A core on the same database and clock with this case's cooldown. */
    const coreWith = (cooldownMinutes: number): Core => {
      let core = cores.get(cooldownMinutes);
      if (!core) {
        core = createCore(w.test.db, {
          now: w.clock.now,
          config: { repeatCooldownMs: cooldownMinutes * MINUTE, fallbackMs: FALLBACK_SECONDS * 1000 },
        });
        cores.set(cooldownMinutes, core);
      }
      return core;
    };

    let run = 0;
    for (const c of CASES) {
      it(c.name, async () => {
        // Fresh tags per case: nothing a case leaves behind can meet the next one.
        const prefix = `c${++run}${provider[0]}`;
        const tag = (t: string) => `${prefix}${t}`;
        const core = coreWith(c.cooldownMinutes ?? 30);
        const { session, chatOf, leave } = await stage(w, core, c, prefix);

        for (const [ref, tags] of c.waiting) {
          const state = await core.matching.enqueue(session(ref), tags.map(tag));
          expect(state.state, `${ref} waits`).toBe('searching');
          w.clock.advance(100);
        }
        for (const [x, y] of c.meanwhile ?? []) await chatOf(x, y);
        const [arrival, tags] = c.arrives;
        if (c.pairs !== null && typeof c.pairs === 'object') {
          await expect(core.matching.enqueue(session(arrival), tags.map(tag))).rejects.toMatchObject({
            code: c.pairs.refused,
          });
          expect((await core.matching.status(session(arrival))).state, `${arrival}'s search ended`).toBe('idle');
          for (const [ref] of c.waiting) {
            if (ref !== arrival)
              expect((await core.matching.status(session(ref))).state, `${ref} waits`).toBe('searching');
          }
          await leave();
          return;
        }
        const state = await core.matching.enqueue(session(arrival), tags.map(tag));

        const partners: string[] = [];
        for (const [ref] of c.waiting) {
          const theirs = await core.matching.status(session(ref));
          if (theirs.state === 'matched' && theirs.token === state.token) partners.push(ref.split('#')[0]!);
          else expect(theirs.state, `${ref} still waits`).toBe('searching');
        }
        if (c.pairs === null) {
          expect(state.state).toBe('searching');
          expect(partners).toEqual([]);
        } else {
          expect(state.state).toBe('matched');
          expect(partners).toEqual([c.pairs]);
        }
        await leave();
      });
    }

    for (const c of FALLBACK_CASES) {
      it(`fallback: ${c.name}`, async () => {
        const prefix = `f${++run}${provider[0]}`;
        const core = coreWith(c.cooldownMinutes ?? 30);
        const { session, chatOf, leave } = await stage(w, core, c, prefix);

        // Tags nobody shares: only the pass can pair these people.
        for (const [i, { who, consent }] of c.searching.entries()) {
          const state = await core.matching.enqueue(session(who), [`${prefix}o${i}`], { fallback: consent ?? true });
          expect(state.state, `${who} searches`).toBe('searching');
          w.clock.advance(100);
        }
        for (const [x, y] of c.meanwhile ?? []) await chatOf(x, y);
        w.clock.advance((c.openAfterSeconds ?? FALLBACK_SECONDS) * 1000);
        const made = await core.matching.fallbackPass();

        const byToken = new Map<string, string[]>();
        for (const { who } of c.searching) {
          const state = await core.matching.status(session(who));
          if (state.state === 'searching') continue;
          expect(state, `${who} is in a fallback pair`).toMatchObject({
            state: 'matched',
            fallback: true,
            common_interests: [],
          });
          expect(state.matched_interest).toBeUndefined();
          byToken.set(state.token!, [...(byToken.get(state.token!) ?? []), who.split('#')[0]!]);
        }
        expect([...byToken.values()]).toEqual(c.pairs);
        expect(made).toBe(c.pairs.length);
        await leave();
      });
    }
  });
}
