import { z } from 'zod';
import { INTEREST_PATTERN, MAX_INTERESTS, RULE_MESSAGES } from './rules.ts';

/** One interest tag (the web picker checks chips with `checkInterest`, the same rule). */
export const ZInterest = z.string().regex(INTEREST_PATTERN, RULE_MESSAGES.interest);

/** 1–3 tags; repeated tags count once, first occurrence keeps its place. */
export const ZInterests = z
  .array(ZInterest)
  .transform((tags) => [...new Set(tags)])
  .refine((tags) => tags.length >= 1 && tags.length <= MAX_INTERESTS, RULE_MESSAGES.interests);

export type TInterests = z.output<typeof ZInterests>;

/** Wire shape of the enqueue body: the array's items are checked by the domain, so a
 * non-string tag is ERR_MATCH_UNSUPPORTED_INTEREST while a missing array is ERR_BAD_REQUEST. */
export const ZEnqueueInput = z.object({
  // The document states what a client should send (the domain's rule); the wire schema stays loose
  // so that a bad tag is ERR_MATCH_UNSUPPORTED_INTEREST, not a generic 400.
  interests: z.array(z.unknown()).meta({
    description:
      'One to three tags of `^[a-z0-9]{3,12}$`. Repeats count once (the server accepts a list that repeats a tag, ' +
      'as long as it names at most three different ones).',
    example: ['gaming', 'music'],
    override: {
      items: { type: 'string', pattern: INTEREST_PATTERN.source },
      minItems: 1,
      maxItems: MAX_INTERESTS,
    },
  }),
  /**
   * SPEC §9 fallback to anyone: after MATCH_FALLBACK_SECONDS without a shared-tag partner, pair with
   * anyone who agreed too. Two literals, not z.boolean(): the REST adapter coerces a plain boolean
   * in the body (`"yes"` would become true), and anything but true or false must be a 400.
   */
  fallback: z.union([z.literal(true), z.literal(false)]).optional(),
});

/** `GET /match/status` query: `wait` holds the request (with If-None-Match) up to this many seconds. */
export const ZStatusInput = z.object({ wait: z.coerce.number().int().min(1).max(30).optional() }).strict();
export const MAX_STATUS_WAIT_SECONDS = 30;

export const ZMatchStateName = z.enum(['idle', 'searching', 'matched']);

// The three states, each with exactly the fields it carries, so that a client narrowing on
// `state` knows what it has (`token` once matched). Fields keep the order of the one object
// this union replaced: a zod parse writes them in schema order, so the JSON is unchanged.

/** Not searching, and no chat from the latest enqueue is active. */
export const ZIdleState = z.object({ state: z.literal('idle') }).meta({ id: 'IdleState' });

export const ZSearchingState = z
  .object({
    state: z.literal('searching'),
    /** The tags searched on, repeats removed, in the caller's order. */
    interests: z.array(z.string()),
    /** The queue deadline (ISO-8601). */
    expires_at: z.string(),
    /** Present (true) when the caller agreed to fall back to anyone. */
    fallback: z.boolean().optional(),
    /** With fallback on: when the entry opens to anyone (the search's start + MATCH_FALLBACK_SECONDS). */
    fallback_at: z.string().optional(),
  })
  .meta({ id: 'SearchingState' });

export const ZMatchedState = z
  .object({
    state: z.literal('matched'),
    /** The chat's token: open it, join it on the socket. */
    token: z.string(),
    /** The first of the caller's tags that the partner shares; absent for a fallback pair. */
    matched_interest: z.string().optional(),
    /** Every shared tag, in the caller's order (empty for a fallback pair). */
    common_interests: z.array(z.string()),
    /** The chat's expiry (ISO-8601). */
    expires_at: z.string(),
    /** Present (true) for a fallback pair (no shared tag). */
    fallback: z.boolean().optional(),
  })
  .meta({ id: 'MatchedState' });

export const ZMatchState = z
  .discriminatedUnion('state', [ZIdleState, ZSearchingState, ZMatchedState])
  .meta({ id: 'MatchState' });

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** Each member of a union, with the fields only other members have as `?: undefined`. */
type Exclusive<T, K extends PropertyKey = KeysOfUnion<T>> = T extends unknown
  ? T & Partial<Record<Exclude<K, keyof T>, undefined>>
  : never;

/**
 * One of the three states. Narrow on `state` to get its fields as required (`token` once
 * matched); without narrowing, a field of another state reads as possibly undefined.
 */
export type TMatchState = Exclusive<z.infer<typeof ZMatchState>>;
export type TMatchedState = z.infer<typeof ZMatchedState>;
export type TSearchingState = z.infer<typeof ZSearchingState>;
