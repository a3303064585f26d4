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
}

export interface MatchedChat {
  id: string;
  token: string;
  matchedInterest: string;
  commonInterests: string[];
  expiresAt: number;
}

export type EnqueueOutcome =
  | { state: 'searching'; interests: string[]; expiresAt: number }
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
  chatToken: string | null;
  matchedInterest: string | null;
  commonInterests: string | null;
  chatExpiresAt: number | null;
  chatEndedAt: number | null;
}

/** The database-specific half of matchmaking: everything that must be atomic. */
export interface Matcher {
  enqueue(request: EnqueueRequest): Promise<EnqueueOutcome>;
  /** Leaves the queue; idempotent. */
  cancel(sessionId: string, personKey: string): Promise<void>;
  status(sessionId: string, now: number): Promise<StatusRow | undefined>;
  /** Deletes entries past their deadline (their tags go by cascade); returns how many. */
  reap(now: number): Promise<number>;
}

/** A waiting entry that could be the caller's partner. */
export interface CandidateRow {
  seq: number;
  session_id: string;
  person_key: string;
  interests: string;
  enqueued_at: number;
}
