'use client';

import type { TPopularInterest } from '@portal/contracts';
import { useMemo } from 'react';
import { trpc } from './trpc.ts';

/** How often a mounted view asks again; the server's numbers are themselves at most 5 s old. */
export const POPULAR_REFRESH_MS = 5_000;

export interface PopularInterests {
  /** The listed tags (SPEC §9), most matches in the last hour first; [] until an answer arrives. */
  interests: TPopularInterest[];
  /** 'pending' before the first answer, 'error' when none could be had, 'ready' otherwise (even if []). */
  status: 'pending' | 'error' | 'ready';
  /**
   * The listed entry for a tag, or undefined: a tag fewer than three people searched in
   * the last hour is never listed, so its numbers are unknown on purpose. While the
   * caller searches, `waiting` counts the caller too.
   */
  byTag(tag: string): TPopularInterest | undefined;
}

/**
 * "Popular now", refreshed every POPULAR_REFRESH_MS while a component using it is
 * mounted and the tab is visible (React Query pauses interval refetches in a hidden
 * tab and refetches when it shows again). Every user shares one query and one timer.
 */
export function usePopularInterests(): PopularInterests {
  const query = trpc.interests.popular.useQuery(
    {},
    { refetchInterval: POPULAR_REFRESH_MS, refetchIntervalInBackground: false, staleTime: POPULAR_REFRESH_MS },
  );
  const data = query.data?.interests;
  return useMemo(() => {
    const interests = data ?? [];
    const index = new Map(interests.map((entry) => [entry.tag, entry]));
    return {
      interests,
      // A failed refresh keeps the last answer: only a first answer that never came is an error.
      status: data ? 'ready' : query.isError ? 'error' : 'pending',
      byTag: (tag) => index.get(tag),
    };
  }, [data, query.isError]);
}

/** A median wait as shown on a chip ("~12s", "~2m") and as read out ("about 12 seconds"). */
export function describeWait(seconds: number): { short: string; spoken: string } {
  if (seconds < 60) {
    const s = Math.max(1, Math.round(seconds));
    return { short: `~${s}s`, spoken: `about ${s} second${s === 1 ? '' : 's'}` };
  }
  const m = Math.round(seconds / 60);
  return { short: `~${m}m`, spoken: `about ${m} minute${m === 1 ? '' : 's'}` };
}
