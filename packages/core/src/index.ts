import type { Database } from '@portal/db';
import { DEFAULT_CORE_CONFIG, type CoreConfig } from './config.ts';
import { createAccountService, type AccountService } from './accounts/accounts.ts';
import { createPasswordService, type PasswordService } from './accounts/change-password.ts';
import { createBlockService, type BlockService } from './blocks/blocks.ts';
import { createChatService, type ChatService } from './chats/service.ts';
import { createMatchingService, type MatchingService } from './matching/service.ts';
import { createModerationService, type ModerationService } from './moderation/moderation.ts';
import { checkHealth } from './ops/health.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { createLocalBus } from './realtime/local-bus.ts';
import type { EventBus } from './realtime/events.ts';
import { createSessionService, type SessionService } from './sessions/sessions.ts';

export type { CoreConfig } from './config.ts';
export { DEFAULT_CORE_CONFIG } from './config.ts';
export { refusalOf, standingOf, type Principal, type Standing } from './principal.ts';
export { MAX_CATCH_UP, toMessage } from './chats/service.ts';
export type { SessionRow, SignedIn } from './accounts/accounts.ts';
export { assertMayMatch } from './matching/service.ts';
export { assertModerator } from './moderation/moderation.ts';
export type { BusMessage, EventBus, PortalEvent } from './realtime/events.ts';
export { createLocalBus } from './realtime/local-bus.ts';
export { createPostgresBus } from './realtime/postgres-bus.ts';
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
  /** Where chat and match events go; the socket layer subscribes. */
  bus: EventBus;
  metrics: Metrics;
  health(): ReturnType<typeof checkHealth>;
}

export interface CoreOptions {
  config?: Partial<CoreConfig>;
  /** Milliseconds since the epoch; tests move time by passing their own. */
  now?: () => number;
  /** Defaults to an in-process bus (one instance). */
  bus?: EventBus;
  /** Where work nobody awaits reports failure (the hourly last_seen_at write); ignored by default. */
  onBackgroundError?: (error: unknown) => void;
}

/** Wires the domain services to one database. Everything transport-facing takes a Core. */
export function createCore(db: Database, options: CoreOptions = {}): Core {
  const config = { ...DEFAULT_CORE_CONFIG, ...options.config };
  const now = options.now ?? Date.now;
  const metrics = createMetrics(db, now);
  const bus = options.bus ?? createLocalBus();
  const chats = createChatService(db, now, bus);
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
      onError: options.onBackgroundError ?? (() => undefined),
    }),
    matching: createMatchingService(db, config, now, metrics, bus),
    chats,
    accounts: createAccountService(db, now, bus),
    passwords: createPasswordService(db, now, bus),
    moderation: createModerationService(db, now, bus, chats),
    blocks: createBlockService(db, now, bus, chats),
    health: () => checkHealth(db, bus),
  };
}

/** Every `intervalMs`: deletes expired queue entries and ends expired chats. Returns a stop function. */
export function startReaper(core: Core, intervalMs: number, onError: (error: unknown) => void): () => void {
  const timer = setInterval(() => {
    core.matching.reap().catch(onError);
    core.chats.expire().catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
