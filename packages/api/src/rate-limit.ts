import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible';
import { isIP } from 'node:net';
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

/** Every limit, each set by its own environment variable (docs/api.md, "Rate limits"). */
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
  /** Login attempts per username over every address that did not succeed (a success gives back only its own). */
  loginFailuresPerAccount: Rule;
  /** Enqueues per session, and per client IP. */
  enqueues: Rule;
  enqueuesPerIp: Rule;
  /** Chat messages (REST and socket) per session, and per client IP. */
  messages: Rule;
  messagesPerIp: Rule;
}

/** Where shared limits keep their counters: this process, or PostgreSQL for every instance at once. */
export type LimitStore = { kind: 'memory' } | { kind: 'postgres'; pool: PostgresDatabase['pool'] };

/**
 * The key a client address is counted under: IPv4 as is (an IPv4-mapped IPv6
 * address, `::ffff:a.b.c.d`, is that IPv4 address), IPv6 by its /64, because one
 * subscriber usually holds a whole /64 and could otherwise take a fresh address
 * for every request. Anything that is not an address is its own key.
 */
export function ipKey(ip: string): string {
  if (!ip.includes(':')) return ip; // IPv4 (the hot path) or no address at all
  const address = ip.split('%', 1)[0]!; // a zone index names an interface, not a host
  if (isIP(address) !== 6) return ip;
  const groups = ipv6Groups(address.toLowerCase());
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail folded in). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

/** One limit over keys. A disabled limit lets everything through. */
export class Limit {
  constructor(
    private readonly limiter: RateLimiterAbstract | null,
    /** Turns the caller's key into the counted one (client addresses: `ipKey`). */
    private readonly keyOf: (key: string) => string = (key) => key,
  ) {}

  /** Counts one action for `key`, or throws RateLimitedError. */
  async take(key: string): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(this.keyOf(key));
    } catch (error) {
      throw refusal(error);
    }
  }

  /** Forgets every action counted for `key`. */
  async reset(key: string): Promise<void> {
    await this.limiter?.delete(this.keyOf(key));
  }

  /** Gives back one counted action (the one a success took). */
  async giveBack(key: string): Promise<void> {
    await this.limiter?.reward(this.keyOf(key), 1);
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
  loginFailuresPerAccount: Limit;
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
  const shared = (prefix: string, rule: Rule, keyOf?: (key: string) => string): Limit => {
    if (store.kind === 'memory') return new Limit(memory(prefix, rule), keyOf);
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
    return new Limit(limiter, keyOf);
  };
  return {
    requests: new Limit(memory('req', limits.requests)),
    // Keyed on a client address: counted by ipKey (IPv6 by its /64).
    sessions: shared('session_ip', limits.sessions, ipKey),
    registrations: shared('register_ip', limits.registrations, ipKey),
    logins: shared('login_ip', limits.logins, ipKey),
    // Keyed on `username|address`: the login procedure builds the key with ipKey.
    loginFailures: shared('login_fail', limits.loginFailures),
    loginFailuresPerAccount: shared('login_fail_account', limits.loginFailuresPerAccount),
    enqueues: shared('enqueue', limits.enqueues),
    enqueuesPerIp: shared('enqueue_ip', limits.enqueuesPerIp, ipKey),
    messages: shared('message', limits.messages),
    messagesPerIp: shared('message_ip', limits.messagesPerIp, ipKey),
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
  loginFailuresPerAccount: OFF,
  enqueues: OFF,
  enqueuesPerIp: OFF,
  messages: OFF,
  messagesPerIp: OFF,
};
