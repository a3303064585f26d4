import type { Matcher } from './types.ts';

/**
 * Presence (SPEC §9 "Nobody is matched with a closed page"). It lives in the queue
 * entry's `present_until`, so every instance sees the same answer:
 *
 * - null: no socket was seen during the search (a REST client). Only the queue
 *   deadline applies.
 * - While a socket of the session is open on some instance, that instance's beat
 *   keeps it at now + grace + beat. It never runs out between two beats, and when
 *   the instance dies with the socket, it runs out between grace and grace + beat
 *   after the last beat.
 * - When the session's last socket on an instance closes, it becomes now + grace.
 *   A socket opening again (on any instance), an enqueue or a status read push it on
 *   (see MatchingService).
 * - The matchmaker sweeps entries whose moment has passed twice a second, so an entry
 *   leaves within a second after the grace.
 */
export interface Presence {
  /** A socket of this session opened on this instance. */
  opened(sessionId: string): void;
  /** A socket of this session closed on this instance. */
  closed(sessionId: string): void;
  /** Whether a socket of this session is open on this instance. */
  here(sessionId: string): boolean;
  /** Keeps the entries of every session with a socket here in the queue until the next beat and a grace. */
  beat(): Promise<void>;
  /** How often `beat` must run. */
  readonly beatMs: number;
  /** Resolves once every presence write started so far is done. */
  settled(): Promise<void>;
}

/** Sessions per heartbeat statement. */
const BEAT_CHUNK = 500;

export function createPresence(
  matcher: Matcher,
  graceMs: number,
  now: () => number,
  onError: (error: unknown) => void,
): Presence {
  const sockets = new Map<string, number>();
  // The writes run one after another, in the order the sockets opened and closed: a close
  // never lands before the open it follows.
  let chain: Promise<void> = Promise.resolve();
  const write = (work: () => Promise<void>): Promise<void> => (chain = chain.then(work).catch(onError));
  // Often enough that a beat always lands before the grace a close left runs out.
  const beatMs = Math.max(250, Math.min(5_000, Math.floor(graceMs / 2)));
  const openUntil = () => now() + graceMs + beatMs;

  return {
    beatMs,
    opened(sessionId) {
      const count = sockets.get(sessionId) ?? 0;
      sockets.set(sessionId, count + 1);
      // A reconnect within the grace keeps the search (the previous socket may have been elsewhere).
      if (count === 0) void write(() => matcher.markPresent([sessionId], openUntil()));
    },
    closed(sessionId) {
      const count = (sockets.get(sessionId) ?? 1) - 1;
      if (count > 0) {
        sockets.set(sessionId, count);
        return;
      }
      sockets.delete(sessionId);
      const until = now() + graceMs;
      void write(() => matcher.markLeaving(sessionId, until));
    },
    here: (sessionId) => sockets.has(sessionId),
    beat() {
      const sessions = [...sockets.keys()];
      const until = openUntil();
      return write(async () => {
        for (let i = 0; i < sessions.length; i += BEAT_CHUNK) {
          await matcher.markPresent(sessions.slice(i, i + BEAT_CHUNK), until);
        }
      });
    },
    settled: () => chain,
  };
}
