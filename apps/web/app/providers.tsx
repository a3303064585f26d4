'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { appCodeOf } from '../lib/errors.ts';
import { MatchAlertsProvider } from '../lib/match-alerts.tsx';
import { SessionProvider } from '../lib/session.tsx';
import { portalLinks, trpc } from '../lib/trpc.ts';

export function Providers({ children }: { children: ReactNode }) {
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
        <SessionProvider>
          <MatchAlertsProvider>{children}</MatchAlertsProvider>
        </SessionProvider>
      </QueryClientProvider>
    </trpc.Provider>
  );
}
