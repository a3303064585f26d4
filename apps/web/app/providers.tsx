'use client';

import { HydrationBoundary, QueryClient, QueryClientProvider, type DehydratedState } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { appCodeOf } from '../lib/errors.ts';
import { MatchAlertsProvider } from '../lib/match-alerts.tsx';
import { SessionProvider } from '../lib/session.tsx';
import { portalLinks, trpc } from '../lib/trpc.ts';

/** `state`: what the server read for this page (lib/page-data.ts), the session among it when there is one. */
export function Providers({ children, state }: { children: ReactNode; state: DehydratedState | null }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 5_000,
            // An answer with an ERR_ code is final; only network failures are worth another try.
            retry: (failures, error) => appCodeOf(error) === undefined && failures < 2,
          },
          mutations: { retry: false },
        },
      }),
  );
  const [trpcClient] = useState(() => trpc.createClient({ links: portalLinks() }));
  return (
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <HydrationBoundary state={state}>
          <SessionProvider>
            <MatchAlertsProvider>{children}</MatchAlertsProvider>
          </SessionProvider>
        </HydrationBoundary>
      </QueryClientProvider>
    </trpc.Provider>
  );
}
