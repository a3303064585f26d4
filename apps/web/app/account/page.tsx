import { HydrationBoundary } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { prefetchForPage } from '../../lib/page-data.ts';
import { RequireSession } from '../../lib/session.tsx';
import { AccountView } from './account-view.tsx';

export const metadata: Metadata = { title: 'Account' };

export default async function AccountPage() {
  // The session comes with the layout; these are the lists AccountView shows beside it.
  const state = await prefetchForPage((trpc) =>
    Promise.all([trpc.auth.sessions.fetch({}), trpc.blocks.list.fetch({})]),
  );
  return (
    <div className="account-page">
      <h1>Account</h1>
      <HydrationBoundary state={state}>
        <RequireSession>
          <AccountView />
        </RequireSession>
      </HydrationBoundary>
    </div>
  );
}
