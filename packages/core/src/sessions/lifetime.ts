/**
 * How long a session lives (SPEC §10): `idleMs` after its last request and `maxMs`
 * after its creation, whichever comes first.
 *
 * The last request is kept to the hour: `last_seen_at` is written only when the
 * stored value is more than LAST_SEEN_RESOLUTION_MS old, so authentication (run on
 * every status poll) reads and never writes, except once an hour per session. Idle
 * expiry is therefore early by up to an hour, never late.
 */
export const LAST_SEEN_RESOLUTION_MS = 3_600_000;

export interface SessionLifetime {
  idleMs: number;
  maxMs: number;
  now: () => number;
}

/** When a session with these timestamps (epoch ms) ends if it is not used again. */
export const sessionEnd = (life: SessionLifetime, createdAt: number, lastSeenAt: number): number =>
  Math.min(createdAt + life.maxMs, lastSeenAt + life.idleMs);

/** The `where` of a live session: created and last seen recently enough (Prisma). */
export function liveSince(life: SessionLifetime, at: number) {
  return {
    revokedAt: null,
    createdAt: { gt: new Date(at - life.maxMs) },
    lastSeenAt: { gt: new Date(at - life.idleMs) },
  };
}
