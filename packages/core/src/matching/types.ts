import type { Principal } from '../principal.ts';

export interface EnqueueRequest {
  principal: Principal;
  /** Validated, de-duplicated, in the caller's order. */
  interests: string[];
  now: number;
  queueTtlMs: number;
  chatTtlMs: number;
  chatLimit: number;
  /** A chat of the two that was active after this moment excludes a pair (now minus the repeat cooldown). */
  repeatAfter: number;
  /** Fallback to anyone (SPEC §9): the entry opens this long after its search began; null = not agreed. */
  fallbackMs: number | null;
  /**
   * Presence (SPEC §9): `present_until` of a new entry; a number when a socket of the session is
   * open on this instance, null when none is (yet) seen.
   */
  presentUntil: number | null;
  /** An enqueue again keeps an entry that had a socket in the queue at least until here (now + grace). */
  presentAtLeast: number;
}

export interface MatchedChat {
  id: string;
  token: string;
  /** null for a fallback pair (no shared tag). */
  matchedInterest: string | null;
  commonInterests: string[];
  expiresAt: number;
}

export type EnqueueOutcome =
  | { state: 'searching'; interests: string[]; expiresAt: number; fallbackAt: number | null }
  | {
      state: 'matched';
      chat: MatchedChat;
      /** How long the caller had been waiting (0 unless this was a refresh). */
      waitedMs: number;
      partner: { sessionId: string; personKey: string; waitedMs: number };
    };

/** What GET /match/status needs, read in one query. */
export interface StatusRow {
  queueInterests: string | null;
  queueExpiresAt: number | null;
  queueFallbackAt: number | null;
  queuePresentUntil: number | null;
  chatToken: string | null;
  /** null for a fallback pair. */
  matchedInterest: string | null;
  commonInterests: string | null;
  chatExpiresAt: number | null;
  chatEndedAt: number | null;
}

/** The database-specific half of matchmaking: everything that must be atomic. */
export interface Matcher {
  enqueue(request: EnqueueRequest): Promise<EnqueueOutcome>;
  /** Leaves the queue; idempotent. True when an entry was there (the search ended). */
  cancel(sessionId: string, personKey: string): Promise<boolean>;
  status(sessionId: string, now: number): Promise<StatusRow | undefined>;
  /** Deletes entries past their deadline (their tags go by cascade); returns how many. */
  reap(now: number): Promise<number>;
  /** A socket of these sessions is open (a connect, or the heartbeat): their entries stay until `until`. */
  markPresent(sessionIds: string[], until: number): Promise<void>;
  /** The session's last socket here closed: its entry leaves at `until` unless presence is shown again. */
  markLeaving(sessionId: string, until: number): Promise<void>;
  /** A status read shows presence: an entry that had a socket stays at least until `atLeast`. */
  extendPresence(sessionId: string, atLeast: number): Promise<void>;
  /** Removes entries whose presence ran out; returns their sessions. */
  sweepAbsent(now: number): Promise<string[]>;
  /** Pairs open entries with each other (SPEC §9 fallback to anyone); returns the pairs made. */
  fallbackPass(request: FallbackPassRequest): Promise<FallbackPair[]>;
}

export interface FallbackPassRequest {
  now: number;
  repeatAfter: number;
  chatTtlMs: number;
}

export interface FallbackSide {
  sessionId: string;
  personKey: string;
  waitedMs: number;
}

/** A fallback pair: `older` waited longer. The chat has no matched interest and no common ones. */
export interface FallbackPair {
  chat: MatchedChat;
  older: FallbackSide;
  newer: FallbackSide;
}

/** An open entry in the fallback pass. */
export interface OpenEntryRow {
  seq: number;
  session_id: string;
  person_key: string;
  chat_limit: number;
  enqueued_at: number;
}

/** A waiting entry that could be the caller's partner. */
export interface CandidateRow {
  seq: number;
  session_id: string;
  person_key: string;
  interests: string;
  enqueued_at: number;
}
