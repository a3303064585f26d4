import { join, resolve } from 'node:path';
import { readEnv } from './env.ts';
import { startPortalServer, type Pages } from './portal-server.ts';
import { repoRoot } from './root.ts';

async function main(): Promise<void> {
  const env = readEnv();
  const root = repoRoot();
  const webDir = resolve(root, 'apps/web');
  let pages: Pages | undefined;
  if (!env.PORTAL_API_ONLY) {
    const { default: next } = await import('next');
    const app = next({ dev: false, dir: webDir, quiet: true });
    await app.prepare();
    const handle = app.getRequestHandler();
    pages = {
      handle: (req, res) => handle(req, res),
      close: () => app.close(),
      staticDir: join(webDir, '.next/static'),
    };
  }
  const portal = await startPortalServer({
    env,
    pages,
    migrationsDir: (provider) => join(root, provider === 'sqlite' ? 'prisma/migrations' : 'prisma/postgres/migrations'),
  });
  const exit = (stopped: Promise<void>) =>
    stopped.then(
      () => process.exit(0),
      (error: unknown) => {
        portal.logger.error('shutdown failed', { err: String(error) });
        process.exit(1);
      },
    );
  // SIGTERM (a balancer's rolling restart) drains first: SPEC §12, docs/operations.md.
  // SIGINT (Ctrl-C), or a second signal during the drain, closes at once.
  let signalled = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      portal.logger.info('shutting down', { signal });
      const drain = signal === 'SIGTERM' && !signalled;
      signalled = true;
      void exit(drain ? portal.drain(env.SHUTDOWN_DRAIN_SECONDS * 1000) : portal.close());
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'startup failed', err: String(error) })}\n`);
  process.exit(1);
});
