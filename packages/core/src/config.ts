/** What the domain needs to know about its deployment; built once from env.ts. */
export interface CoreConfig {
  /** How long a queue entry waits before it stops matching (MATCH_QUEUE_TTL_SECONDS). */
  queueTtlMs: number;
  /** How long a chat lives after the match (CHAT_TTL_HOURS). */
  chatTtlMs: number;
  /** Two people who shared a chat are not paired again until this long after it ended (MATCH_REPEAT_COOLDOWN_MINUTES; 0 = off). */
  repeatCooldownMs: number;
}

export const DEFAULT_CORE_CONFIG: CoreConfig = {
  queueTtlMs: 60_000,
  chatTtlMs: 24 * 3_600_000,
  repeatCooldownMs: 30 * 60_000,
};
