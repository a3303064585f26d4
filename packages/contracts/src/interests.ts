import { z } from 'zod';

/** One tag of "Popular now" (SPEC §9). */
export const ZPopularInterest = z
  .object({
    tag: z.string(),
    /** People searching on it now (live queue entries; one person with several tabs counts once). */
    waiting: z.number().int().nonnegative(),
    /** Pairs made on it (as their matched interest) in the last hour. */
    matches_last_hour: z.number().int().nonnegative(),
    /** The median of those pairs' waits (the waiting side's), to 0.1 s; null with fewer than 5 matches. */
    median_wait_seconds: z.number().nonnegative().nullable(),
  })
  .meta({ id: 'PopularInterest' });
export type TPopularInterest = z.infer<typeof ZPopularInterest>;

export const MAX_POPULAR_INTERESTS = 20;

export const ZPopularInterests = z
  .object({
    /** At most 20, most matches in the last hour first; only tags at least 3 different people searched in the last hour. */
    interests: z.array(ZPopularInterest).max(MAX_POPULAR_INTERESTS),
    /** When these numbers were computed (ISO-8601). */
    generated_at: z.string(),
  })
  .meta({ id: 'PopularInterests' });
export type TPopularInterests = z.infer<typeof ZPopularInterests>;
