import { HydrationBoundary } from '@tanstack/react-query';
import { headers } from 'next/headers';
import { prefetchForPage } from '../lib/page-data.ts';
import { RequireSession } from '../lib/session.tsx';
import { readPageConfig } from '../server/page-config.ts';
import { MatchFinder } from './_components/match-finder.tsx';

export default async function HomePage() {
  const { fallbackSeconds } = readPageConfig(await headers());
  // "Popular now" comes with the page: its chips paint with the picker instead of pushing it down later.
  const state = await prefetchForPage((trpc) => trpc.interests.popular.fetch({}));
  return (
    <div className="home">
      <h1>Find a partner</h1>
      <p className="lede">
        Pick one to three interests. Whoever has waited longest on one of them becomes your partner, and the two of you
        get a private chat for 24 hours. No sign-up needed.
      </p>
      <HydrationBoundary state={state}>
        <RequireSession>
          <MatchFinder fallbackSeconds={fallbackSeconds} />
        </RequireSession>
      </HydrationBoundary>
    </div>
  );
}
