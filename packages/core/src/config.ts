/** What the domain needs to know about its deployment; built once from env.ts. */
export interface CoreConfig {
  /** How long a queue entry waits before it stops matching (MATCH_QUEUE_TTL_SECONDS). */
  queueTtlMs: number;
  /** How long a chat lives after the match (CHAT_TTL_HOURS). */
  chatTtlMs: number;
}

export const DEFAULT_CORE_CONFIG: CoreConfig = {
  queueTtlMs: 60_000,
  chatTtlMs: 24 * 3_600_000,
};
