import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible';
import { AppError } from '@portal/contracts';
import type { PostgresDatabase } from '@portal/db';

/** Thrown as 429; the REST adapter turns `retryAfterSeconds` into Retry-After. */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('ERR_RATE_LIMITED');
    this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
  }
}

/** `points` actions per `seconds`, per key (a fixed window that starts at the first action). */
export interface Rule {
  points: number;
  seconds: number;
}

/** Every limit, each set by its own environment variable (see the README). */
export interface RateLimits {
  /** Any request that needs a session, per session, kept in each instance's memory (the hot path). */
  requests: Rule;
  /** New stranger sessions per client IP. */
  sessions: Rule;
  /** Registrations per client IP. */
  registrations: Rule;
  /** Login attempts per client IP. */
  logins: Rule;
  /** Login attempts per username and client IP that did not succeed (a success gives them back). */
  loginFailures: Rule;
  /** Enqueues per session, and per client IP. */
  enqueues: Rule;
  enqueuesPerIp: Rule;
  /** Chat messages (REST and socket) per session, and per client IP. */
  messages: Rule;
  messagesPerIp: Rule;
}

/** Where shared limits keep their counters: this process, or PostgreSQL for every instance at once. */
export type LimitStore = { kind: 'memory' } | { kind: 'postgres'; pool: PostgresDatabase['pool'] };

/** One limit over keys. A disabled limit lets everything through. */
export class Limit {
  constructor(private readonly limiter: RateLimiterAbstract | null) {}

  /** Counts one action for `key`, or throws RateLimitedError. */
  async take(key: string): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(key);
    } catch (error) {
      throw refusal(error);
    }
  }

  async reset(key: string): Promise<void> {
    await this.limiter?.delete(key);
  }
}

function refusal(error: unknown): Error {
  if (error instanceof RateLimiterRes) return new RateLimitedError(Math.ceil(error.msBeforeNext / 1000));
  return error instanceof Error ? error : new Error(String(error));
}

export interface Limiters {
  requests: Limit;
  sessions: Limit;
  registrations: Limit;
  logins: Limit;
  loginFailures: Limit;
  enqueues: Limit;
  enqueuesPerIp: Limit;
  messages: Limit;
  messagesPerIp: Limit;
}

/**
 * rate-limiter-flexible behind each limit. On PostgreSQL the counters live in
 * the `rate_limits` table, shared by every instance; if that store fails, each
 * instance falls back to counting in memory rather than refusing or crashing.
 * The per-request limit always counts in memory: it guards each instance and
 * must not cost a database round trip on every request.
 */
export function createLimiters(limits: RateLimits, store: LimitStore): Limiters {
  const memory = (prefix: string, rule: Rule) =>
    new RateLimiterMemory({ keyPrefix: prefix, points: rule.points, duration: rule.seconds });
  const shared = (prefix: string, rule: Rule): Limit => {
    if (store.kind === 'memory') return new Limit(memory(prefix, rule));
    const limiter: RateLimiterStoreAbstract = new RateLimiterPostgres({
      storeClient: store.pool,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true, // by the migrations
      clearExpiredByTimeout: true,
      keyPrefix: prefix,
      points: rule.points,
      duration: rule.seconds,
      insuranceLimiter: memory(prefix, rule),
    });
    return new Limit(limiter);
  };
  return {
    requests: new Limit(memory('req', limits.requests)),
    sessions: shared('session_ip', limits.sessions),
    registrations: shared('register_ip', limits.registrations),
    logins: shared('login_ip', limits.logins),
    loginFailures: shared('login_fail', limits.loginFailures),
    enqueues: shared('enqueue', limits.enqueues),
    enqueuesPerIp: shared('enqueue_ip', limits.enqueuesPerIp),
    messages: shared('message', limits.messages),
    messagesPerIp: shared('message_ip', limits.messagesPerIp),
  };
}

const OFF = new Limit(null);

/** PORTAL_RATE_LIMITS=off, and createCaller in tests and scripts: no limits at all. */
export const UNLIMITED: Limiters = {
  requests: OFF,
  sessions: OFF,
  registrations: OFF,
  logins: OFF,
  loginFailures: OFF,
  enqueues: OFF,
  enqueuesPerIp: OFF,
  messages: OFF,
  messagesPerIp: OFF,
};
