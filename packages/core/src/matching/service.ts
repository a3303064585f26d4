import type { Database } from '@portal/db';
import { AppError, type TMatchState } from '@portal/contracts';
import type { CoreConfig } from '../config.ts';
import type { Metrics } from '../ops/metrics.ts';
import { chatLimitOf, refusalOf, standingOf, type Principal } from '../principal.ts';
import { createPostgresMatcher } from './postgres.ts';
import { parseInterests, splitTags } from './rules.ts';
import { createSqliteMatcher } from './sqlite.ts';
import type { EnqueueOutcome } from './types.ts';
import type { EventBus } from '../realtime/events.ts';
import type { PopularService } from '../popular/popular.ts';

export interface MatchingService {
  enqueue(principal: Principal, rawInterests: unknown[]): Promise<TMatchState>;
  status(principal: Principal): Promise<TMatchState>;
  cancel(principal: Principal): Promise<TMatchState>;
  /** Removes queue entries past their deadline; the reaper calls it periodically. */
  reap(): Promise<number>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const REAP_GRACE_MS = 10_000;

/** 403 for a blocked stranger or a suspended account (checked before anything else). */
export function assertMayMatch(principal: Principal): void {
  const refusal = refusalOf(standingOf(principal));
  if (refusal) throw new AppError(refusal);
}

export function createMatchingService(
  db: Database,
  config: CoreConfig,
  now: () => number,
  metrics: Metrics,
  bus: EventBus,
  popular: PopularService,
): MatchingService {
  const matcher = db.provider === 'sqlite' ? createSqliteMatcher(db) : createPostgresMatcher(db);

  const toState = (outcome: EnqueueOutcome): TMatchState =>
    outcome.state === 'searching'
      ? { state: 'searching', interests: outcome.interests, expires_at: iso(outcome.expiresAt) }
      : {
          state: 'matched',
          token: outcome.chat.token,
          matched_interest: outcome.chat.matchedInterest,
          common_interests: outcome.chat.commonInterests,
          expires_at: iso(outcome.chat.expiresAt),
        };

  return {
    async enqueue(principal, rawInterests) {
      assertMayMatch(principal);
      const interests = parseInterests(rawInterests);
      const at = now();
      const outcome = await matcher.enqueue({
        principal,
        interests,
        now: at,
        queueTtlMs: config.queueTtlMs,
        chatTtlMs: config.chatTtlMs,
        chatLimit: chatLimitOf(principal),
        repeatAfter: at - config.repeatCooldownMs,
      });
      const state = toState(outcome);
      // "Popular now": buffered in memory, written in batches (popular/popular.ts). A fallback pair counts for no tag.
      popular.searched(interests, principal.personKey, at);
      if (outcome.state === 'matched' && outcome.chat.matchedInterest) {
        popular.matched(outcome.chat.matchedInterest, at, outcome.partner.waitedMs);
      }
      if (outcome.state === 'matched') {
        metrics.recordMatch([outcome.waitedMs, outcome.partner.waitedMs]);
        // The person who was waiting learns it the moment it happens, on whichever instance holds their socket.
        await bus.publish({ type: 'matched', session: outcome.partner.sessionId, match: state });
      }
      return state;
    },

    async status(principal) {
      const at = now();
      const row = await matcher.status(principal.sessionId, at);
      if (row?.queueInterests != null && row.queueExpiresAt != null) {
        return { state: 'searching', interests: splitTags(row.queueInterests), expires_at: iso(row.queueExpiresAt) };
      }
      if (row?.chatToken != null && row.chatEndedAt == null && row.chatExpiresAt != null && row.chatExpiresAt > at) {
        return {
          state: 'matched',
          token: row.chatToken,
          matched_interest: row.matchedInterest ?? '',
          common_interests: splitTags(row.commonInterests ?? ''),
          expires_at: iso(row.chatExpiresAt),
        };
      }
      return { state: 'idle' };
    },

    async cancel(principal) {
      await matcher.cancel(principal.sessionId, principal.personKey);
      return { state: 'idle' };
    },

    // Entries are deleted a while after their deadline, never at it: an entry past its
    // deadline already never matches and reads idle, and a refresh racing the reaper
    // at the deadline (PostgreSQL, another instance) must still find its entry.
    reap: () => matcher.reap(now() - REAP_GRACE_MS),
  };
}
