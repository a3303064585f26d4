/** What the domain needs to know about its deployment; built once from env.ts. */
export interface CoreConfig {
  /** How long a queue entry waits before it stops matching (MATCH_QUEUE_TTL_SECONDS). */
  queueTtlMs: number;
  /** How long a chat lives after the match (CHAT_TTL_HOURS). */
  chatTtlMs: number;
  /** Two people who shared a chat are not paired again until this long after it ended (MATCH_REPEAT_COOLDOWN_MINUTES; 0 = off). */
  repeatCooldownMs: number;
  /** A searching entry that agreed to fall back to anyone opens this long after its search began (MATCH_FALLBACK_SECONDS). */
  fallbackMs: number;
  /** A search whose page had a socket leaves the queue this long after its last socket closed (MATCH_PRESENCE_GRACE_SECONDS). */
  presenceGraceMs: number;
  /** A session with no request for this long is over (SESSION_IDLE_DAYS). */
  sessionIdleMs: number;
  /** A session is over this long after it was created, however busy (SESSION_MAX_DAYS). */
  sessionMaxMs: number;
  /** What the periodic purge keeps, and for how long (SPEC §10, docs/operations.md "Retention"). */
  retention: RetentionConfig;
  /**
   * Sessions whose row authentication keeps in memory (PRINCIPAL_CACHE_SIZE; 0 = no
   * cache, the default here: the server turns it on). Only correct when every write to
   * sessions and accounts goes through this core's services, or through another
   * connection (SQLite: a change of data_version; PostgreSQL: the triggers' NOTIFY,
   * awaited by the bus's fence), and not through this process's own SQLite connection
   * behind the services' back. docs/sessions.md.
   */
  principalCacheSize: number;
}

export interface RetentionConfig {
  /** Chats, with their messages, are deleted this long after they ended or expired (MESSAGE_RETENTION_DAYS). */
  chatsMs: number;
  /** Closed reports are deleted this long after closing (REPORT_RETENTION_DAYS). */
  reportsMs: number;
  /** Sessions are deleted this long after they were signed out or expired (SPEC §10: 30 days). */
  expiredSessionsMs: number;
}

const DAY_MS = 24 * 3_600_000;

export const DEFAULT_RETENTION: RetentionConfig = {
  chatsMs: 30 * DAY_MS,
  reportsMs: 180 * DAY_MS,
  expiredSessionsMs: 30 * DAY_MS,
};

export const DEFAULT_CORE_CONFIG: CoreConfig = {
  queueTtlMs: 60_000,
  chatTtlMs: 24 * 3_600_000,
  repeatCooldownMs: 30 * 60_000,
  fallbackMs: 15_000,
  presenceGraceMs: 10_000,
  sessionIdleMs: 30 * 86_400_000,
  sessionMaxMs: 180 * 86_400_000,
  retention: DEFAULT_RETENTION,
  principalCacheSize: 0,
};
