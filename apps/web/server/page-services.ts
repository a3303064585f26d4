import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppRouter, Context } from '@portal/api';

/** What the custom server lends the pages: its router, and a request's context over its Core. */
export interface PageServices {
  router: AppRouter;
  context(req: IncomingMessage, res: ServerResponse): Context;
}

interface PageRequest {
  req: IncomingMessage;
  res: ServerResponse;
}

interface Bridge {
  services: PageServices;
  requests: AsyncLocalStorage<PageRequest>;
}

// On globalThis: Next bundles its own copy of this module, apart from the server's.
const BRIDGE = Symbol.for('portal.page-services');
const slot = globalThis as { [BRIDGE]?: Bridge };

/**
 * Called once by portal-server, before Next handles a request. Returns how to hand
 * Next a page request: server components then read through `pageServices()`, in
 * this process, never over HTTP to ourselves. The last server started in a process wins.
 */
export function lendPageServices(
  services: PageServices,
): <T>(req: IncomingMessage, res: ServerResponse, handle: () => T) => T {
  const requests = new AsyncLocalStorage<PageRequest>();
  slot[BRIDGE] = { services, requests };
  return (req, res, handle) => requests.run({ req, res }, handle);
}

/**
 * For server components: the router and the context of the page request being
 * rendered, or null (no portal-server around it, as under `next dev`).
 */
export function pageServices(): { router: AppRouter; ctx: Context } | null {
  const bridge = slot[BRIDGE];
  const request = bridge?.requests.getStore();
  if (!bridge || !request) return null;
  return { router: bridge.services.router, ctx: bridge.services.context(request.req, request.res) };
}
