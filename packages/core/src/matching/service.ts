import type { Database } from '@portal/db';
import { AppError, type TMatchState } from '@portal/contracts';
import type { CoreConfig } from '../config.ts';
import type { Metrics } from '../ops/metrics.ts';
import { chatLimitOf, refusalOf, standingOf, type Principal } from '../principal.ts';
import { createPostgresMatcher } from './postgres.ts';
import { parseInterests, splitTags } from './rules.ts';
import { createSqliteMatcher } from './sqlite.ts';
import { createPresence, type Presence } from './presence.ts';
import type { EnqueueOutcome, MatchedChat } from './types.ts';
import { createStatusWatch, type Watched, type WatchOptions } from './watchers.ts';
import type { EventBus } from '../realtime/events.ts';
import type { PopularService } from '../popular/popular.ts';

export interface EnqueueOptions {
  /** SPEC §9: after MATCH_FALLBACK_SECONDS without a shared-tag partner, pair with anyone who agreed too. */
  fallback?: boolean;
}

export interface MatchingService {
  enqueue(principal: Principal, rawInterests: unknown[], options?: EnqueueOptions): Promise<TMatchState>;
  status(principal: Principal): Promise<TMatchState>;
  cancel(principal: Principal): Promise<TMatchState>;
  /** Removes queue entries past their deadline; the reaper calls it periodically. */
  reap(): Promise<number>;
  /** Pairs open fallback entries with each other and tells both people; returns the pairs made. */
  fallbackPass(): Promise<number>;
  /** Removes the searches whose page went away (SPEC §9 presence); returns how many. */
  sweepAbsent(): Promise<number>;
  /** This instance's sockets, as presence sees them; the socket server reports to it. */
  presence: Presence;
  /**
   * The status with its ETag (SPEC §9 cheap polling). When `ifNoneMatch` is the current
   * tag and `waitMs` is given, resolves once the state is another (from any instance),
   * or when the wait is over (`notModified`). 401 if the session is signed out meanwhile.
   */
  watch(principal: Principal, options?: WatchOptions): Promise<Watched>;
  /** Answers every held status request now, as unchanged, and holds no more (shutdown). */
  closeWatches(): void;
  /** Status requests held on this instance now. */
  watching(): number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The matched state of a chat; a fallback pair has no matched interest and says so. */
function matchedState(chat: Omit<MatchedChat, 'id'>): TMatchState {
  const { token, matchedInterest, commonInterests, expiresAt } = chat;
  return matchedInterest === null
    ? { state: 'matched', token, common_interests: [], expires_at: iso(expiresAt), fallback: true }
    : {
        state: 'matched',
        token,
        matched_interest: matchedInterest,
        common_interests: commonInterests,
        expires_at: iso(expiresAt),
      };
}

/** `fallback` and `fallback_at` appear only when the caller agreed (the state is unchanged for everyone else). */
function searchingState(interests: string[], expiresAt: number, fallbackAt: number | null): TMatchState {
  return fallbackAt === null
    ? { state: 'searching', interests, expires_at: iso(expiresAt) }
    : { state: 'searching', interests, expires_at: iso(expiresAt), fallback: true, fallback_at: iso(fallbackAt) };
}

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
  onBackgroundError: (error: unknown) => void,
): MatchingService {
  const matcher = db.provider === 'sqlite' ? createSqliteMatcher(db) : createPostgresMatcher(db);
  const presence = createPresence(matcher, config.presenceGraceMs, now, onBackgroundError);

  const toState = (outcome: EnqueueOutcome): TMatchState =>
    outcome.state === 'searching'
      ? searchingState(outcome.interests, outcome.expiresAt, outcome.fallbackAt)
      : matchedState(outcome.chat);

  const service: MatchingService = {
    presence,

    async enqueue(principal, rawInterests, options = {}) {
      assertMayMatch(principal);
      const interests = parseInterests(rawInterests);
      const at = now();
      const outcome = await matcher
        .enqueue({
          principal,
          interests,
          now: at,
          queueTtlMs: config.queueTtlMs,
          chatTtlMs: config.chatTtlMs,
          chatLimit: chatLimitOf(principal),
          repeatAfter: at - config.repeatCooldownMs,
          fallbackMs: options.fallback ? config.fallbackMs : null,
          presentUntil: presence.here(principal.sessionId) ? at + config.presenceGraceMs + presence.beatMs : null,
          presentAtLeast: at + config.presenceGraceMs,
        })
        .catch(async (error: unknown) => {
          // The slot limit drops a search this session had waiting: its held status requests
          // (another tab, another instance) answer now. Rare, so it is told whether or not one was.
          if (error instanceof AppError && error.code === 'ERR_MATCH_SLOT_LIMIT') {
            await bus.publish({ type: 'search_ended', sessions: [principal.sessionId] });
          }
          throw error;
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
        // Reading the status shows the page is still there (SPEC §9): a search whose socket
        // went away stays for another grace. Only then is this read a write.
        const atLeast = at + config.presenceGraceMs;
        if (row.queuePresentUntil != null && row.queuePresentUntil < atLeast) {
          await matcher.extendPresence(principal.sessionId, atLeast);
        }
        return searchingState(splitTags(row.queueInterests), row.queueExpiresAt, row.queueFallbackAt);
      }
      if (row?.chatToken != null && row.chatEndedAt == null && row.chatExpiresAt != null && row.chatExpiresAt > at) {
        return matchedState({
          token: row.chatToken,
          matchedInterest: row.matchedInterest,
          commonInterests: splitTags(row.commonInterests ?? ''),
          expiresAt: row.chatExpiresAt,
        });
      }
      return { state: 'idle' };
    },

    async cancel(principal) {
      if (await matcher.cancel(principal.sessionId, principal.personKey)) {
        // Held status requests of this session (another tab, another instance) answer at once.
        await bus.publish({ type: 'search_ended', sessions: [principal.sessionId] });
      }
      return { state: 'idle' };
    },

    // Entries are deleted a while after their deadline, never at it: an entry past its
    // deadline already never matches and reads idle, and a refresh racing the reaper
    // at the deadline (PostgreSQL, another instance) must still find its entry.
    reap: () => matcher.reap(now() - REAP_GRACE_MS),

    async fallbackPass() {
      const at = now();
      const pairs = await matcher.fallbackPass({
        now: at,
        repeatAfter: at - config.repeatCooldownMs,
        chatTtlMs: config.chatTtlMs,
      });
      for (const { chat, older, newer } of pairs) {
        metrics.recordFallbackMatch([older.waitedMs, newer.waitedMs]);
        // Neither person asked for anything just now: both learn it by push (socket, held status).
        const match = matchedState(chat);
        await bus.publish({ type: 'matched', session: older.sessionId, match });
        await bus.publish({ type: 'matched', session: newer.sessionId, match });
      }
      return pairs.length;
    },

    async sweepAbsent() {
      const sessions = await matcher.sweepAbsent(now());
      if (sessions.length > 0) {
        metrics.recordPresenceRemovals(sessions.length);
        await bus.publish({ type: 'search_ended', sessions });
      }
      return sessions.length;
    },

    watch: (principal, options) => watches.watch(principal, options),
    closeWatches: () => watches.registry.close(),
    watching: () => watches.registry.size(),
  };
  const watches = createStatusWatch(db, config, now, bus, metrics, (principal) => service.status(principal));
  return service;
}
