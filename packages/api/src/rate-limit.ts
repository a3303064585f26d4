import { AppError } from '@portal/contracts';

export interface RateLimits {
  /** Requests per minute per session on operations that need one (RATE_LIMIT_PER_MINUTE). */
  perSession: number;
  /** New sessions per minute per client IP (RATE_LIMIT_SESSIONS_PER_MINUTE). */
  newSessionsPerIp: number;
}

/** Thrown as 429; the REST adapter turns `retryAfterSeconds` into Retry-After. */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('ERR_RATE_LIMITED');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per key, in this process's memory: a limit applies per instance.
 * Each bucket holds a minute's allowance and refills continuously.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`, or throws RateLimitedError. */
  take(key: string): void {
    const now = this.now();
    const rate = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    if (bucket.tokens < 1) throw new RateLimitedError(Math.ceil((1 - bucket.tokens) / rate / 1000));
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 50_000) this.prune(now, rate);
  }

  /** Forgets buckets that have refilled: they behave exactly like new ones. */
  private prune(now: number, rate: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * rate >= this.perMinute) this.buckets.delete(key);
    }
  }
}

export interface Limiters {
  perSession: RateLimiter;
  newSessionsPerIp: RateLimiter;
}

export const createLimiters = (limits: RateLimits): Limiters => ({
  perSession: new RateLimiter(limits.perSession),
  newSessionsPerIp: new RateLimiter(limits.newSessionsPerIp),
});

/** For createCaller in tests and scripts: no limits. */
export const UNLIMITED: Limiters = createLimiters({ perSession: Infinity, newSessionsPerIp: Infinity });
