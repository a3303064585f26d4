/** How long one held status request may wait on the server (SPEC §9 allows 1–30). */
export const HOLD_SECONDS = 25;

/** Re-post the same tags at least this often while searching. */
export const REFRESH_EVERY_MS = 45_000;
/**
 * ... and at the latest this long before the queue deadline: longer than one held
 * request, so some answer always arrives before the deadline even when a
 * background tab's timers are held back (answers are not), and the answer
 * re-posts when the timer has not.
 */
export const REFRESH_LEAD_MS = (HOLD_SECONDS + 5) * 1000;
const REFRESH_MIN_MS = 1_000;

/**
 * When to re-post, counted from when the deadline was learnt, `left` ms before
 * it (null: no deadline known). A short queue TTL (tests, tuned deployments) is
 * refreshed halfway instead of every second.
 */
export function refreshDelay(left: number | null): number {
  if (left === null) return REFRESH_EVERY_MS;
  const due = left > 2 * REFRESH_LEAD_MS ? left - REFRESH_LEAD_MS : left / 2;
  return Math.max(REFRESH_MIN_MS, Math.min(REFRESH_EVERY_MS, due));
}

/** Where a search stands on "match me with anyone" (SPEC §9) at `now`. */
export type FallbackPhase =
  | { kind: 'off' }
  /** Agreed; the entry opens to anyone in `leftMs`. */
  | { kind: 'waiting'; leftMs: number }
  /** Open: anyone else who agreed may be the partner. */
  | { kind: 'open' };

/**
 * `fallback`/`fallbackAt` as the server said (its clock decides when the entry
 * opens; this only counts down to it). Agreed without a time (an older server)
 * shows no countdown, as does a page not yet hydrated (`now` null).
 */
export function fallbackPhase(fallback: boolean, fallbackAt: number | null, now: number | null): FallbackPhase {
  if (!fallback || fallbackAt === null || now === null) return { kind: 'off' };
  const leftMs = fallbackAt - now;
  return leftMs > 0 ? { kind: 'waiting', leftMs } : { kind: 'open' };
}
