import type { Database } from '@portal/db';
import { DEFAULT_CORE_CONFIG, type CoreConfig } from './config.ts';
import { createAccountService, type AccountService } from './accounts/accounts.ts';
import { createPasswordService, type PasswordService } from './accounts/change-password.ts';
import { deletePerson } from './account-data/deletion.ts';
import { exportPersonData } from './account-data/export.ts';
import { createBlockService, type BlockService } from './blocks/blocks.ts';
import { createChatService, type ChatService } from './chats/service.ts';
import { createMatchingService, type MatchingService } from './matching/service.ts';
import { createModerationService, type ModerationService } from './moderation/moderation.ts';
import { createPopularService, type PopularService } from './popular/popular.ts';
import { checkHealth } from './ops/health.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { createLocalBus } from './realtime/local-bus.ts';
import type { EventBus } from './realtime/events.ts';
import { createSessionService, type SessionService } from './sessions/sessions.ts';
import { createPrincipalCache } from './sessions/principal-cache.ts';
import { createRetentionService, type PurgeResult, type RetentionService } from './retention/purge.ts';
import type { Principal } from './principal.ts';
import type { TAccountExport } from '@portal/contracts';

export type { CoreConfig, RetentionConfig } from './config.ts';
export { DEFAULT_CORE_CONFIG, DEFAULT_RETENTION } from './config.ts';
export type { PurgeResult, RetentionService } from './retention/purge.ts';
export { refusalOf, standingOf, type Principal, type Standing } from './principal.ts';
export { MAX_CATCH_UP, toMessage } from './chats/service.ts';
export type { SessionRow, SignedIn } from './accounts/accounts.ts';
export { assertMayMatch } from './matching/service.ts';
export { assertModerator } from './moderation/moderation.ts';
export { POPULAR_MAX_AGE_SECONDS, type PopularService } from './popular/popular.ts';
export type { BusMessage, EventBus, PortalEvent } from './realtime/events.ts';
export { createLocalBus } from './realtime/local-bus.ts';
export { createNatsBus } from './realtime/nats-bus.ts';
export { createPostgresBus } from './realtime/postgres-bus.ts';
export { createSplitBus } from './realtime/split-bus.ts';
export { createLogger, redactText, REDACTED, type Logger, type LogLevel } from './ops/logger.ts';
export { boundTags, OTHER_TAG, TAG_SERIES } from './ops/metrics.ts';
export { isDatabaseUnavailable } from './ops/unavailable.ts';
export { deviceLabel } from './sessions/device.ts';
export { LAST_SEEN_RESOLUTION_MS } from './sessions/lifetime.ts';

export interface Core {
  db: Database;
  config: CoreConfig;
  sessions: SessionService;
  matching: MatchingService;
  chats: ChatService;
  accounts: AccountService;
  passwords: PasswordService;
  moderation: ModerationService;
  blocks: BlockService;
  /** "Popular now" (SPEC §9): what people search and match on in the last hour. */
  popular: PopularService;
  /** The person's own data (SPEC §10): export and deletion. */
  accountData: AccountDataService;
  /** The periodic purge of what retention no longer keeps. */
  retention: RetentionService;
  /** Where chat and match events go; the socket layer subscribes. */
  bus: EventBus;
  metrics: Metrics;
  health(): ReturnType<typeof checkHealth>;
  /** SIGTERM (SPEC §12): from now on health answers `draining`, so the balancer stops sending here. */
  drain(): void;
  readonly draining: boolean;
}

export interface AccountDataService {
  /** Everything that is the caller's own, as one JSON document. */
  export(principal: Principal): Promise<TAccountExport>;
  /**
   * Deletes the caller's person: a registered one confirms with `password`
   * (ERR_INVALID_CREDENTIALS when wrong), a stranger gives none.
   */
  delete(principal: Principal, password?: string): Promise<void>;
}

export interface CoreOptions {
  config?: Partial<Omit<CoreConfig, 'retention'>> & { retention?: Partial<CoreConfig['retention']> };
  /** Milliseconds since the epoch; tests move time by passing their own. */
  now?: () => number;
  /** Defaults to an in-process bus (one instance). */
  bus?: EventBus;
  /** Where work nobody awaits reports failure (the hourly last_seen_at write, presence writes, the "Popular now" batches); ignored by default. */
  onBackgroundError?: (error: unknown) => void;
}

/** Wires the domain services to one database. Everything transport-facing takes a Core. */
export function createCore(db: Database, options: CoreOptions = {}): Core {
  const config: CoreConfig = {
    ...DEFAULT_CORE_CONFIG,
    ...options.config,
    retention: { ...DEFAULT_CORE_CONFIG.retention, ...options.config?.retention },
  };
  const now = options.now ?? Date.now;
  const metrics = createMetrics(db, now);
  const principals = config.principalCacheSize > 0 ? createPrincipalCache(db, config.principalCacheSize) : undefined;
  // With a cache, every service publishes through it: an event that changes a principal
  // drops it here before the request that caused it answers.
  const bus = principals ? principals.watch(options.bus ?? createLocalBus()) : (options.bus ?? createLocalBus());
  const chats = createChatService(db, now, bus);
  const onBackgroundError = options.onBackgroundError ?? (() => undefined);
  const popular = createPopularService(db, now, onBackgroundError);
  let draining = false;
  return {
    db,
    config,
    metrics,
    bus,
    sessions: createSessionService(db, {
      idleMs: config.sessionIdleMs,
      maxMs: config.sessionMaxMs,
      now,
      bus,
      onError: onBackgroundError,
      cache: principals,
    }),
    matching: createMatchingService(db, config, now, metrics, bus, popular, onBackgroundError),
    popular,
    chats,
    accounts: createAccountService(db, now, bus),
    passwords: createPasswordService(db, now, bus),
    moderation: createModerationService(db, now, bus, chats),
    blocks: createBlockService(db, now, bus, chats),
    accountData: {
      export: (principal) => exportPersonData(db, principal, new Date(now())),
      delete: (principal, password) => deletePerson(db, bus, principal, password, new Date(now())),
    },
    retention: createRetentionService(db, config.retention, {
      idleMs: config.sessionIdleMs,
      maxMs: config.sessionMaxMs,
      now,
    }),
    health: () => checkHealth(db, bus, draining),
    drain: () => {
      draining = true;
    },
    get draining() {
      return draining;
    },
  };
}

/**
 * Every `intervalMs`: deletes expired queue entries, ends expired chats and deletes
 * "Popular now" rows older than an hour. Returns a stop function.
 */
export function startReaper(core: Core, intervalMs: number, onError: (error: unknown) => void): () => void {
  const timer = setInterval(() => {
    core.matching.reap().catch(onError);
    core.chats.expire().catch(onError);
    core.popular.purge().catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** How often the matchmaker sweeps absent searches and runs the fallback pass. */
export const MATCHMAKER_TICK_MS = 500;

/**
 * The background half of matching (SPEC §9), on every instance: every half second,
 * searches whose page went away leave the queue and open fallback entries are paired
 * (portal_fallback_pass makes that exactly once across instances); every presence beat,
 * this instance's sockets keep their searches. Returns a stop function.
 */
export function startMatchmaker(core: Core, onError: (error: unknown) => void): () => void {
  let busy = false;
  const tick = setInterval(() => {
    if (busy) return; // a slow database: skip a tick rather than pile passes up
    busy = true;
    core.matching
      .sweepAbsent()
      .then(() => core.matching.fallbackPass())
      .catch(onError)
      .finally(() => (busy = false));
  }, MATCHMAKER_TICK_MS);
  const beat = setInterval(() => void core.matching.presence.beat(), core.matching.presence.beatMs);
  tick.unref();
  beat.unref();
  return () => {
    clearInterval(tick);
    clearInterval(beat);
  };
}

/**
 * Every `intervalMs`: the retention purge (SPEC §10). Each instance runs the timer;
 * the purge itself runs on one at a time (see RetentionService). Returns a stop function.
 */
export function startPurger(
  core: Core,
  intervalMs: number,
  onDone: (result: PurgeResult) => void,
  onError: (error: unknown) => void,
): () => void {
  const timer = setInterval(() => {
    core.retention
      .purge()
      .then((result) => result && onDone(result))
      .catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
