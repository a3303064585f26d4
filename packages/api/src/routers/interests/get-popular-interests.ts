import { ZPopularInterests } from '@portal/contracts';
import { POPULAR_MAX_AGE_SECONDS } from '@portal/core';
import { ZNoInput } from '../../inputs.ts';
import { publicProcedure } from '../../trpc.ts';

export const getPopularInterests = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/v1/portal/interests/popular',
      protect: false,
      tags: ['match'],
      summary: 'Popular now',
      description: [
        'What people search for now, for anyone (no session needed): at most 20 tags, most matches in the last',
        'hour first (then most people waiting, then by name). A tag is listed only when at least 3 different',
        'people searched it in the last hour, so a rare tag never leaks. `waiting`: people searching on it now',
        '(one person counts once however many tabs search); `matches_last_hour`: pairs made on it as their',
        '`matched_interest` (a fallback pair counts for no tag); `median_wait_seconds`: the median of how long',
        'the waiting side of those pairs had waited, to 0.1 s, null with fewer than 5 matches. The numbers are at',
        'most 5 s old: searches and matches are written within 1 s, each instance computes the list at most every',
        '2 s, and the answer may be cached for 2 s (`Cache-Control: public, max-age=2`). An empty list means',
        'nothing qualifies. Any query parameter is 400 `ERR_BAD_REQUEST`.',
      ].join(' '),
    },
  })
  .input(ZNoInput)
  .output(ZPopularInterests)
  .query(async ({ ctx }) => {
    const popular = await ctx.core.popular.list();
    ctx.setHeader('cache-control', `public, max-age=${POPULAR_MAX_AGE_SECONDS}`);
    return popular;
  });
