/** After a failed request, wait this long, doubling per failure in a row up to the cap (with jitter). */
export const RETRY_FIRST_MS = 1_000;
export const RETRY_MAX_MS = 30_000;
/**
 * An answer this quick that brings nothing new means the server did not hold the
 * request (an older server, a proxy in the way): the next one then waits
 * NOT_HELD_GAP_MS, so the loop never polls faster than the old 2-second poll did.
 */
export const NOT_HELD_MS = 1_000;
export const NOT_HELD_GAP_MS = 2_000;

export interface StatusWatchOptions<T> {
  /** One held request: answers once the state's ETag differs from `etag`, or with the same state when the wait ends. */
  request: (etag: string | null, signal: AbortSignal) => Promise<T>;
  etagOf: (state: T) => string;
  /** Every answer, in order; `changed` is false when it is the state the previous answer already had. */
  onState: (state: T, changed: boolean) => void;
  /** The ETag of the state the caller already shows (e.g. the enqueue answer), so the first request holds at once. */
  initialEtag?: string | null;
  /** Injected by tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** How long to wait after `failures` failed requests in a row (1 → about RETRY_FIRST_MS). */
export function retryDelay(failures: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1));
  // Jitter spreads the retries of many tabs after a server restart.
  return Math.round(base * (0.75 + random() * 0.5));
}

const sleepFor = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Keeps one held status request open at a time: re-armed as soon as an answer
 * comes, with the answer's ETag, so a change reaches the page within the
 * server's hold (SPEC §9 "Cheap polling") instead of on the next poll. Failures
 * back off exponentially. `stop()` aborts the request in flight.
 */
export function watchStatus<T>(options: StatusWatchOptions<T>): { stop: () => void } {
  const { request, etagOf, onState } = options;
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const controller = new AbortController();
  const { signal } = controller;

  void (async () => {
    let etag = options.initialEtag ?? null;
    let failures = 0;
    while (!signal.aborted) {
      const sentAt = now();
      let state: T;
      try {
        state = await request(etag, signal);
      } catch {
        if (signal.aborted) return;
        failures += 1;
        await sleep(retryDelay(failures, random), signal);
        continue;
      }
      if (signal.aborted) return;
      failures = 0;
      const next = etagOf(state);
      const changed = next !== etag;
      etag = next;
      onState(state, changed);
      if (!changed && now() - sentAt < NOT_HELD_MS) await sleep(NOT_HELD_GAP_MS, signal);
    }
  })();

  return { stop: () => controller.abort() };
}
