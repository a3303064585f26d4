import { describe, expect, it } from 'vitest';
import { NO_ALERTS, parseAlertSettings } from '../lib/alert-settings.ts';
import { fallbackPhase, REFRESH_EVERY_MS, REFRESH_LEAD_MS, refreshDelay } from '../lib/search-timing.ts';
import {
  NOT_HELD_GAP_MS,
  NOT_HELD_MS,
  RETRY_FIRST_MS,
  RETRY_MAX_MS,
  retryDelay,
  watchStatus,
} from '../lib/status-watch.ts';
import { DEFAULT_PAGE_CONFIG, readPageConfig } from '../server/page-config.ts';

/** One scripted answer: a state (by name), or a failure; `takes` ms of fake time. */
type Step = { state: string; takes?: number } | { fail: true; takes?: number };

/**
 * Runs watchStatus against a scripted server on a fake clock: records what each
 * request sent as If-None-Match and every sleep, and stops after the script.
 */
async function run(script: Step[], initialEtag: string | null = null) {
  let clock = 0;
  const sent: (string | null)[] = [];
  const sleeps: number[] = [];
  const seen: [string, boolean][] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let step = 0;
  // The script is never empty, so `watch` is set by the time a request finds it exhausted.
  const watch = watchStatus<string>({
    initialEtag,
    etagOf: (state) => `"${state}"`,
    onState: (state, changed) => seen.push([state, changed]),
    request: (etag) => {
      sent.push(etag);
      const next = script[step++];
      if (!next) {
        watch.stop();
        done();
        return new Promise<string>(() => undefined);
      }
      clock += next.takes ?? 0;
      return 'fail' in next ? Promise.reject(new Error('network')) : Promise.resolve(next.state);
    },
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
    random: () => 0.5,
  });
  await finished;
  return { sent, sleeps, seen };
}

describe('the held status loop', () => {
  it('re-arms at once with the ETag of the last answer', async () => {
    const { sent, sleeps, seen } = await run(
      [
        { state: 'searching', takes: 25_000 },
        { state: 'searching', takes: 25_000 },
        { state: 'matched', takes: 300 },
      ],
      '"searching"',
    );
    expect(sent).toEqual(['"searching"', '"searching"', '"searching"', '"matched"']);
    expect(seen).toEqual([
      ['searching', false],
      ['searching', false],
      ['matched', true],
    ]);
    expect(sleeps).toEqual([]);
  });

  it('starts without a tag when the page has no state yet', async () => {
    const { sent, seen } = await run([{ state: 'idle', takes: 5 }]);
    expect(sent[0]).toBeNull();
    expect(seen).toEqual([['idle', true]]);
  });

  it('backs off on failures, doubling up to the cap, and starts over after an answer', async () => {
    const failures = Array.from({ length: 7 }, () => ({ fail: true as const }));
    const { sleeps, seen } = await run([...failures, { state: 'searching', takes: 25_000 }, { fail: true }]);
    expect(sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 1_000]);
    expect(seen).toEqual([['searching', true]]);
  });

  it('does not spin when the server answers an unchanged state at once (it did not hold)', async () => {
    const { sleeps } = await run(
      [
        { state: 'searching', takes: 10 },
        { state: 'searching', takes: NOT_HELD_MS - 1 },
        { state: 'searching', takes: NOT_HELD_MS },
      ],
      '"searching"',
    );
    expect(sleeps).toEqual([NOT_HELD_GAP_MS, NOT_HELD_GAP_MS]);
  });

  it('re-arms at once after a quick answer that brings a new state', async () => {
    const { sleeps } = await run([{ state: 'idle', takes: 5 }], '"searching"');
    expect(sleeps).toEqual([]);
  });

  it('stops: the request in flight is aborted and nothing more is sent', async () => {
    let signal: AbortSignal | undefined;
    let calls = 0;
    const watch = watchStatus<string>({
      etagOf: (state) => state,
      onState: () => undefined,
      request: (_etag, abort) => {
        calls += 1;
        signal = abort;
        return new Promise<string>((_resolve, reject) => abort.addEventListener('abort', () => reject(new Error('x'))));
      },
    });
    await Promise.resolve();
    expect(calls).toBe(1);
    watch.stop();
    expect(signal?.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toBe(1);
  });

  it('jitters retries by ±25% around the doubling', () => {
    expect(retryDelay(1, () => 0)).toBe(RETRY_FIRST_MS * 0.75);
    expect(retryDelay(1, () => 1)).toBe(RETRY_FIRST_MS * 1.25);
    expect(retryDelay(40, () => 0.5)).toBe(RETRY_MAX_MS);
  });
});

describe('when the page re-posts a search', () => {
  it('leaves a held request time to answer before the deadline', () => {
    // The default queue TTL (60 s): halfway, 30 s before the deadline.
    expect(refreshDelay(60_000)).toBe(30_000);
    expect(60_000 - refreshDelay(60_000)).toBeGreaterThanOrEqual(REFRESH_LEAD_MS);
  });

  it('re-posts a long deadline at least every REFRESH_EVERY_MS', () => {
    expect(refreshDelay(600_000)).toBe(REFRESH_EVERY_MS);
    expect(refreshDelay(null)).toBe(REFRESH_EVERY_MS);
  });

  it('re-posts a short deadline halfway, never more often than once a second', () => {
    expect(refreshDelay(10_000)).toBe(5_000);
    expect(refreshDelay(500)).toBe(1_000);
    expect(refreshDelay(-5_000)).toBe(1_000);
  });
});

describe('the fallback countdown', () => {
  it('counts down to fallback_at, then says the search is open', () => {
    expect(fallbackPhase(true, 20_000, 5_000)).toEqual({ kind: 'waiting', leftMs: 15_000 });
    expect(fallbackPhase(true, 20_000, 20_000)).toEqual({ kind: 'open' });
    expect(fallbackPhase(true, 20_000, 25_000)).toEqual({ kind: 'open' });
  });

  it('shows nothing when not agreed, without a time, or before hydration', () => {
    expect(fallbackPhase(false, 20_000, 5_000)).toEqual({ kind: 'off' });
    expect(fallbackPhase(true, null, 5_000)).toEqual({ kind: 'off' });
    expect(fallbackPhase(true, 20_000, null)).toEqual({ kind: 'off' });
  });
});

describe('stored alert settings', () => {
  it('reads only explicit true values as on', () => {
    expect(parseAlertSettings('{"sound":true,"notify":true}')).toEqual({ sound: true, notify: true });
    expect(parseAlertSettings('{"sound":"yes","notify":1}')).toEqual(NO_ALERTS);
    expect(parseAlertSettings('{"sound":true}')).toEqual({ sound: true, notify: false });
  });

  it('treats missing or damaged values as off', () => {
    for (const raw of [null, '', 'not json', 'null', '[]', '42', '"on"']) {
      expect(parseAlertSettings(raw)).toEqual(NO_ALERTS);
    }
  });
});

describe('the page configuration header', () => {
  const headers = (value: string | null) => ({ get: () => value });

  it('passes MATCH_FALLBACK_SECONDS to the page', () => {
    expect(readPageConfig(headers('{"fallbackSeconds":2}'))).toEqual({ fallbackSeconds: 2 });
  });

  it('falls back to the defaults when the header is missing or not what the server writes', () => {
    for (const value of [null, 'nope', '{}', '{"fallbackSeconds":-1}', '{"fallbackSeconds":"15"}', 'null']) {
      expect(readPageConfig(headers(value))).toEqual(DEFAULT_PAGE_CONFIG);
    }
  });
});
