import { z } from 'zod';
import { parseTrustProxy, type RateLimits, type TrustProxy } from '@portal/api';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((value) => value === 'true' || value === '1');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every setting Portal reads, with its default. This is the only module that
 * reads process.env; docs/operations.md ("Configuration") lists the same variables.
 */
export const ZEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'use file:<path> (SQLite) or postgresql://… (PostgreSQL)')
    .default('file:./data/portal.db'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  MATCH_QUEUE_TTL_SECONDS: positiveInt(60),
  CHAT_TTL_HOURS: z.coerce.number().positive().default(24),
  /** Two people who shared a chat are not paired again for this long after it ended; 0 turns it off. */
  MATCH_REPEAT_COOLDOWN_MINUTES: z.coerce.number().min(0).default(30),
  /** A search that agreed to fall back to anyone opens to anyone after this many seconds (SPEC §9). */
  MATCH_FALLBACK_SECONDS: z.coerce.number().positive().default(15),
  /** A search whose page had a socket leaves the queue this long after its last socket closed (SPEC §9). */
  MATCH_PRESENCE_GRACE_SECONDS: z.coerce.number().positive().default(10),
  REAPER_INTERVAL_SECONDS: positiveInt(5),
  /** A session with no request for this many days is over (401); last_seen_at is kept to the hour. */
  SESSION_IDLE_DAYS: z.coerce.number().positive().default(30),
  /** A session is over this many days after it was created, however busy. */
  SESSION_MAX_DAYS: z.coerce.number().positive().default(180),
  /** Chats (with their messages) are deleted this many days after they ended or expired. */
  MESSAGE_RETENTION_DAYS: z.coerce.number().positive().default(30),
  /** Closed reports (with their excerpts) are deleted this many days after closing. */
  REPORT_RETENTION_DAYS: z.coerce.number().positive().default(180),
  /** Minutes between retention purges (one instance purges at a time). */
  PURGE_INTERVAL_MINUTES: z.coerce.number().positive().default(60),
  PG_POOL_SIZE: positiveInt(10),
  /** Sessions each instance keeps in memory for authentication (least recently used go first); 0 turns the cache off. */
  PRINCIPAL_CACHE_SIZE: z.coerce.number().int().min(0).default(10_000),
  /** The longest one database statement may run (PostgreSQL statement_timeout; SQLite's busy timeout), ms. */
  DB_STATEMENT_TIMEOUT_MS: positiveInt(5000),
  /** The longest opening a PostgreSQL connection may take, ms. */
  DB_CONNECT_TIMEOUT_MS: positiveInt(5000),
  /**
   * PostgreSQL only: the chat and search events cross instances through NATS
   * (`nats://host:port`, comma-separated for a cluster) instead of NOTIFY; the
   * principal cache's invalidations stay on PostgreSQL. Empty = NOTIFY for everything.
   */
  PORTAL_BUS_URL: z
    .string()
    .regex(
      /^((nats|tls):\/\/[^,\s]+)(,(nats|tls):\/\/[^,\s]+)*$|^$/,
      'use nats://host:port (comma-separated for several)',
    )
    .default(''),
  /** The NATS subject of this deployment: every instance on one database must use the same one. */
  PORTAL_BUS_SUBJECT: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'use dot-separated tokens of letters, digits, _ and -')
    .default('portal.events'),
  /** Comma-separated origins allowed on state-changing requests; empty = the request's own origin. */
  PORTAL_ALLOWED_ORIGINS: z.string().default(''),
  /**
   * Reverse proxies whose X-Forwarded-For/-Proto/-Host are believed: `false`/`0`/empty
   * (none), a number of hops (`1`: one proxy in front; `true` means 1), or a
   * comma-separated list of proxy addresses or CIDR networks, IPv4 or IPv6.
   */
  PORTAL_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx): TrustProxy => {
      try {
        return parseTrustProxy(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^PORTAL_TRUST_PROXY: /, '') });
        return z.NEVER;
      }
    }),
  /** Serve only the API (no Next.js pages): for API-only deployments and the benchmark. */
  PORTAL_API_ONLY: flag,
  /**
   * Which adapter serves REST: `lean` (built from the router, the default), or
   * `trpc-to-openapi`, the adapter it replaced, kept for the differential test that
   * compares the two answer for answer. Nothing else should set it.
   */
  PORTAL_REST_ADAPTER: z.enum(['lean', 'trpc-to-openapi']).default('lean'),
  /** `off` turns every rate limit off (load tests only; a warning is logged at start). */
  PORTAL_RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  /** Requests per minute per session on operations that need one (each instance counts its own). */
  RATE_LIMIT_PER_MINUTE: positiveInt(600),
  /** New stranger sessions per minute per client IP. */
  RATE_LIMIT_SESSIONS_PER_MINUTE: positiveInt(60),
  /** Registrations per hour per client IP. */
  RATE_LIMIT_REGISTER_PER_HOUR: positiveInt(20),
  /** Login attempts per minute per client IP. */
  RATE_LIMIT_LOGIN_PER_MINUTE: positiveInt(10),
  /** Failed logins per hour per username and client IP. */
  RATE_LIMIT_LOGIN_FAILURES_PER_HOUR: positiveInt(20),
  /** Failed logins per hour per username, over every address. */
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR: positiveInt(100),
  /** Enqueues per minute per session, and per client IP. */
  RATE_LIMIT_ENQUEUE_PER_MINUTE: positiveInt(30),
  RATE_LIMIT_ENQUEUE_PER_IP_PER_MINUTE: positiveInt(300),
  /** Chat messages (REST and socket) per minute per session, and per client IP. */
  RATE_LIMIT_MESSAGES_PER_MINUTE: positiveInt(60),
  RATE_LIMIT_MESSAGES_PER_IP_PER_MINUTE: positiveInt(600),
  /** Seconds between socket pings; a socket silent for two intervals is closed. */
  SOCKET_PING_SECONDS: positiveInt(30),
  /** Open sockets per session, and per client IP, on each instance (connection caps: on whatever PORTAL_RATE_LIMITS says). */
  SOCKET_MAX_PER_SESSION: positiveInt(8),
  SOCKET_MAX_PER_IP: positiveInt(200),
  /** KiB a socket may have waiting to be sent before it is closed with 1008 (its client stopped reading). */
  SOCKET_SEND_QUEUE_KB: positiveInt(1024),
  /** When set, GET /v1/portal/metrics also answers `Authorization: Bearer <token>` from anywhere (loopback always). */
  METRICS_TOKEN: z
    .string()
    .optional()
    .transform((value) => value || undefined)
    .refine((value) => value === undefined || value.length >= 16, 'use at least 16 characters (a random secret)'),
  SHUTDOWN_GRACE_SECONDS: positiveInt(10),
  /**
   * After SIGTERM, how long the instance goes on serving while health answers 503
   * `draining` (the balancer's checks take it out meanwhile), before it closes.
   */
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0).max(300).default(5),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type TEnv = z.infer<typeof ZEnv>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): TEnv {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}

export function rateLimits(env: TEnv): RateLimits {
  const perMinute = (points: number) => ({ points, seconds: 60 });
  const perHour = (points: number) => ({ points, seconds: 3600 });
  return {
    requests: perMinute(env.RATE_LIMIT_PER_MINUTE),
    sessions: perMinute(env.RATE_LIMIT_SESSIONS_PER_MINUTE),
    registrations: perHour(env.RATE_LIMIT_REGISTER_PER_HOUR),
    logins: perMinute(env.RATE_LIMIT_LOGIN_PER_MINUTE),
    loginFailures: perHour(env.RATE_LIMIT_LOGIN_FAILURES_PER_HOUR),
    loginFailuresPerAccount: perHour(env.RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR),
    enqueues: perMinute(env.RATE_LIMIT_ENQUEUE_PER_MINUTE),
    enqueuesPerIp: perMinute(env.RATE_LIMIT_ENQUEUE_PER_IP_PER_MINUTE),
    messages: perMinute(env.RATE_LIMIT_MESSAGES_PER_MINUTE),
    messagesPerIp: perMinute(env.RATE_LIMIT_MESSAGES_PER_IP_PER_MINUTE),
  };
}

/** How Portal talks to its database: pool size and time limits. */
export function databaseOptions(env: TEnv) {
  return {
    poolSize: env.PG_POOL_SIZE,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
  };
}

export function allowedOrigins(env: TEnv): string[] {
  return env.PORTAL_ALLOWED_ORIGINS.split(',')
    .map((origin) => origin.trim().toLowerCase().replace(/\/$/, ''))
    .filter(Boolean);
}

const DAY_MS = 24 * 3_600_000;

/** The domain's configuration, the same for the server and the operator's command line. */
export function coreConfig(env: TEnv) {
  return {
    queueTtlMs: env.MATCH_QUEUE_TTL_SECONDS * 1000,
    chatTtlMs: env.CHAT_TTL_HOURS * 3_600_000,
    repeatCooldownMs: env.MATCH_REPEAT_COOLDOWN_MINUTES * 60_000,
    fallbackMs: env.MATCH_FALLBACK_SECONDS * 1000,
    presenceGraceMs: env.MATCH_PRESENCE_GRACE_SECONDS * 1000,
    sessionIdleMs: env.SESSION_IDLE_DAYS * DAY_MS,
    sessionMaxMs: env.SESSION_MAX_DAYS * DAY_MS,
    principalCacheSize: env.PRINCIPAL_CACHE_SIZE,
    // What the retention purge keeps, and for how long (docs/operations.md, "What is kept for how long").
    retention: {
      chatsMs: env.MESSAGE_RETENTION_DAYS * DAY_MS,
      reportsMs: env.REPORT_RETENTION_DAYS * DAY_MS,
    },
  };
}
