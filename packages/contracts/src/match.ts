import { z } from 'zod';

export const INTEREST_PATTERN = /^[a-z0-9]{3,12}$/;
export const MAX_INTERESTS = 3;

/** One interest tag. The web picker validates chips with this same schema. */
export const ZInterest = z.string().regex(INTEREST_PATTERN, 'Use 3-12 lowercase letters or digits.');

/** 1–3 tags; repeated tags count once, first occurrence keeps its place. */
export const ZInterests = z
  .array(ZInterest)
  .transform((tags) => [...new Set(tags)])
  .refine((tags) => tags.length >= 1 && tags.length <= MAX_INTERESTS, 'Pick one to three interests.');

export type TInterests = z.output<typeof ZInterests>;

/** Wire shape of the enqueue body: the array's items are checked by the domain, so a
 * non-string tag is ERR_MATCH_UNSUPPORTED_INTEREST while a missing array is ERR_BAD_REQUEST. */
export const ZEnqueueInput = z.object({
  interests: z.array(z.unknown()),
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

export const ZMatchState = z.object({
  state: ZMatchStateName,
  interests: z.array(z.string()).optional(),
  token: z.string().optional(),
  matched_interest: z.string().optional(),
  common_interests: z.array(z.string()).optional(),
  expires_at: z.string().optional(),
  /** searching: whether the caller agreed to fall back to anyone; matched: true for a fallback pair (no shared tag). */
  fallback: z.boolean().optional(),
  /** searching with fallback on: when the entry opens to anyone (the search's start + MATCH_FALLBACK_SECONDS). */
  fallback_at: z.string().optional(),
});

export type TMatchState = z.infer<typeof ZMatchState>;

export const ZIdleState = z.object({ state: z.literal('idle') });
