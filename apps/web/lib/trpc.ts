'use client';

import { httpBatchLink, httpLink, splitLink, type OperationContext, type TRPCLink } from '@trpc/client';
import { createTRPCReact } from '@trpc/react-query';
import type { AppRouter } from '@portal/api';
import { MAX_TRPC_BATCH } from '@portal/contracts/browser';

/** The one way the UI talks to the server: typed procedures over /api/trpc, cached by React Query. */
export const trpc = createTRPCReact<AppRouter>();

const TRPC_URL = '/api/trpc';

/**
 * A call the server holds open (`match.status` with `wait`): sent alone, because a
 * batch is answered only when its slowest call is, and with `If-None-Match` so the
 * server holds it only while the state is still the one this tab has.
 */
export const heldCall = (ifNoneMatch: string | null): OperationContext => ({ held: true, ifNoneMatch });

/**
 * A call that must go out even while the page is being closed (the pagehide
 * cancel): sent alone and at once (a batch waits a tick, which an unloading page
 * does not get) as a `keepalive` fetch, which the browser finishes after the page is gone.
 */
export const farewellCall = (): OperationContext => ({ keepalive: true });

/** Batched by default; held and farewell calls each get a plain request of their own. */
export function portalLinks(): TRPCLink<AppRouter>[] {
  return [
    splitLink({
      condition: (op) => op.context.keepalive === true,
      true: httpLink({ url: TRPC_URL, fetch: (input, init) => fetch(input, { ...init, keepalive: true }) }),
      false: splitLink({
        condition: (op) => op.context.held === true,
        true: httpLink({
          url: TRPC_URL,
          headers: ({ op }) =>
            typeof op.context.ifNoneMatch === 'string' ? { 'if-none-match': op.context.ifNoneMatch } : {},
        }),
        false: httpBatchLink({ url: TRPC_URL, maxItems: MAX_TRPC_BATCH }),
      }),
    }),
  ];
}
