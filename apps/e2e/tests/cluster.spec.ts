import { startCluster, type Cluster } from '../../web/scripts/cluster.ts';
import { expect, expectConnected, matchPair, messages, send, test } from './fixtures.ts';

// SPEC §12 in the browser: the web app behind HAProxy (deploy/haproxy/haproxy.cfg),
// three production instances on one PostgreSQL database. While every instance is
// restarted in turn, the chat page reconnects through the balancer to another
// instance and catches up: every message shows exactly once on both sides.
// The same restarts under REST and socket load: apps/web/test/cluster.test.ts.

let cluster: Cluster;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  // The project's baseURL is the balancer's address (playwright.config.ts).
  const port = Number(new URL(test.info().project.use.baseURL!).port);
  cluster = await startCluster({
    pages: true,
    port,
    checkInterval: '250ms',
    checkFastInterval: '100ms',
    env: {
      LOG_LEVEL: 'warn',
      PORTAL_RATE_LIMITS: 'off',
      SOCKET_MAX_PER_IP: '100000',
      SHUTDOWN_DRAIN_SECONDS: '1.5',
    },
  });
});
test.afterAll(async () => {
  await cluster?.close();
});

test('a chat goes on through a rolling restart of every instance, each message shown once', async ({ alice, bob }) => {
  test.setTimeout(120_000);
  await matchPair(alice, bob);
  const sent: string[] = [];
  for (const [index, instance] of cluster.instances.entries()) {
    const before = `before ${instance.name} restarts`;
    await send(bob, before);
    sent.push(before);
    await expect(messages(alice)).toContainText(before);
    await cluster.stop(index, 'SIGTERM');
    // Whoever was on the stopped instance reconnected elsewhere; whoever was not, never left.
    await expectConnected(alice);
    await expectConnected(bob);
    const during = `while ${instance.name} is down`;
    await send(alice, during);
    sent.push(during);
    await cluster.start(index);
  }
  for (const page of [alice, bob]) {
    for (const text of sent) await expect(messages(page).getByText(text, { exact: true })).toHaveCount(1);
  }
});
