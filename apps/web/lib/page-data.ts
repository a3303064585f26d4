import type { AppRouter } from '@portal/api';
import type { DehydratedState } from '@tanstack/react-query';
import { createServerSideHelpers } from '@trpc/react-query/server';
import { cache } from 'react';
import { pageServices } from '../server/page-services.ts';

type Helpers = ReturnType<typeof createServerSideHelpers<AppRouter>>;

/** One per page request (React's `cache`): the layout and the page share the context and the answers. */
const helpers = cache((): Helpers | null => {
  const services = pageServices();
  return services ? createServerSideHelpers<AppRouter>({ router: services.router, ctx: services.ctx }) : null;
});

/**
 * For server components: runs the reads a page's client components make first,
 * with the page's own cookie, and returns the answers for `<HydrationBoundary>`,
 * under the same query keys, so those components paint with data and do not
 * fetch it again at once. Queries only: a visitor without a session is not given
 * one here (the client's `session.create` does that, as before). A read that
 * fails (no session, database down) is left out, and the client makes it as it
 * would without this: never an error page.
 */
export async function prefetchForPage(read: (trpc: Helpers) => Promise<unknown>): Promise<DehydratedState | null> {
  const trpc = helpers();
  if (!trpc) return null;
  try {
    await read(trpc);
  } catch {
    // Whatever succeeded before the failure is still worth handing over.
  }
  return trpc.dehydrate({ shouldDehydrateQuery: (query) => query.state.status === 'success' });
}
