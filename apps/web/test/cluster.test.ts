import { openDatabase, type Database } from '@portal/db';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyCommand, startCluster, type Cluster } from '../scripts/cluster.ts';
import { expectError, newStranger, postgresBuses, request, type Reply } from './server.ts';
import { openSocket } from './socket-client.ts';

// SPEC §12: three production instances on one fresh PostgreSQL database behind
// Debian's HAProxy (deploy/haproxy/haproxy.cfg), round-robin, no sticky sessions.
// Everything here goes through the balancer, as a client's traffic would; the test
// reads an instance directly only to see what it alone says (health, metrics).

const PING_SECONDS = 3;
/** Enqueues per minute per session: the limit the instances must share. */
const ENQUEUE_LIMIT = 6;
const HIGH = '1000000';

const haproxy = haproxyCommand();
if (!haproxy && process.env.CI === 'true') throw new Error('CI=true requires HAProxy: apt-get install -y haproxy');
if (!haproxy)
  console.warn('\n!!! HAProxy is not installed: the three-instance suite is SKIPPED (apt-get install -y haproxy).\n');

const EXIT_WITH_PARENT = new URL('../../../scripts/exit-with-parent.mjs', import.meta.url).pathname;

for (const bus of await postgresBuses()) {
  describe.skipIf(bus.skip || !haproxy)(
    `three instances behind HAProxy on one PostgreSQL, events through ${bus.name}`,
    () => {
      let cluster: Cluster;
      let db: Database;
      beforeAll(async () => {
        cluster = await startCluster({
          checkInterval: '250ms',
          checkFastInterval: '100ms',
          nodeArgs: ['--import', EXIT_WITH_PARENT],
          env: {
            LOG_LEVEL: 'warn',
            SOCKET_PING_SECONDS: String(PING_SECONDS),
            // HAProxy takes a draining instance out within about 0.5 s with these checks.
            SHUTDOWN_DRAIN_SECONDS: '1.5',
            // Limits stay on, counted in PostgreSQL; every test client is one address, so
            // all but the per-session enqueue limit are out of reach.
            PORTAL_RATE_LIMITS: 'on',
            RATE_LIMIT_PER_MINUTE: HIGH,
            RATE_LIMIT_SESSIONS_PER_MINUTE: HIGH,
            RATE_LIMIT_ENQUEUE_PER_MINUTE: String(ENQUEUE_LIMIT),
            RATE_LIMIT_ENQUEUE_PER_IP_PER_MINUTE: HIGH,
            RATE_LIMIT_MESSAGES_PER_MINUTE: HIGH,
            RATE_LIMIT_MESSAGES_PER_IP_PER_MINUTE: HIGH,
            SOCKET_MAX_PER_IP: HIGH,
            MATCH_REPEAT_COOLDOWN_MINUTES: '0',
            ...bus.env,
          },
        });
        db = await openDatabase(cluster.databaseUrl);
      });
      afterAll(async () => {
        await db?.close();
        await cluster?.close();
      });

      let tags = 0;
      const tag = () => `cl${++tags}x`;
      const post = (cookie: string, path: string, body?: unknown) =>
        request(cluster.url, path, { method: 'POST', cookie, body });

      /** Two strangers matched through the balancer; returns their cookies and the chat token. */
      async function pair(): Promise<{ a: string; b: string; token: string }> {
        const [a, b] = await Promise.all([newStranger(cluster.url), newStranger(cluster.url)]);
        const t = tag();
        expect((await post(a, '/v1/portal/match', { interests: [t] })).json).toMatchObject({ state: 'searching' });
        const matched = await post(b, '/v1/portal/match', { interests: [t] });
        expect(matched.json).toMatchObject({ state: 'matched' });
        return { a, b, token: matched.json.token as string };
      }

      /** An instance's own gauge, read from it directly (metrics answer loopback). */
      async function gauge(url: string, name: string): Promise<number> {
        const metrics = await request(url, '/v1/portal/metrics');
        return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics.text)?.[1]);
      }

      it('spreads pairs, chats, messages, sockets and held status requests over the three, and shares rate limits', async () => {
        expect([...(await cluster.states()).values()]).toEqual(['UP', 'UP', 'UP']);
        // Sockets through the balancer land on every instance, and each gets what the others publish.
        const chats = await Promise.all([pair(), pair(), pair()]);
        const sockets = [];
        for (const { a, b, token } of chats) {
          for (const cookie of [a, b]) {
            const socket = await openSocket(cluster.url, cookie);
            socket.send({ type: 'join', token });
            await socket.next('joined');
            sockets.push(socket);
          }
        }
        const perInstance = await Promise.all(cluster.instances.map((i) => gauge(i.url, 'portal_sockets_open')));
        expect(perInstance).toEqual([2, 2, 2]);
        for (const [n, { a, token }] of chats.entries()) {
          const sent = await post(a, `/v1/portal/chats/${token}/messages`, { text: `hello ${n}` });
          expect(sent.status).toBe(201);
          for (const socket of sockets.slice(2 * n, 2 * n + 2)) {
            await socket.next('message', (e) => e.token === token && e.message.id === sent.json.id);
          }
        }
        await Promise.all(sockets.map((s) => s.close()));

        // A held status request answers when the partner arrives through any instance.
        const [waiter, partner] = await Promise.all([newStranger(cluster.url), newStranger(cluster.url)]);
        const t = tag();
        await post(waiter, '/v1/portal/match', { interests: [t] });
        const first = await request(cluster.url, '/v1/portal/match/status', { cookie: waiter });
        const held = request(cluster.url, '/v1/portal/match/status?wait=20', {
          cookie: waiter,
          headers: { 'if-none-match': String(first.headers.etag) },
        });
        await until(async () => {
          const counts = await Promise.all(cluster.instances.map((i) => gauge(i.url, 'portal_status_held')));
          return counts.reduce((sum, n) => sum + n, 0) === 1;
        });
        const started = Date.now();
        await post(partner, '/v1/portal/match', { interests: [t] });
        const answer = await held;
        expect(answer.json).toMatchObject({ state: 'matched' });
        expect(Date.now() - started).toBeLessThan(2000);

        // One session's enqueues are counted once over the three instances, not once per instance.
        const limited = await newStranger(cluster.url);
        const replies: Reply[] = [];
        for (let i = 0; i <= ENQUEUE_LIMIT; i += 1)
          replies.push(await post(limited, '/v1/portal/match', { interests: ['limits'] }));
        expect(replies.slice(0, ENQUEUE_LIMIT).map((r) => r.status)).toEqual(Array(ENQUEUE_LIMIT).fill(200));
        expectError(replies[ENQUEUE_LIMIT]!, 429, 'ERR_RATE_LIMITED');
        expect(Number(replies[ENQUEUE_LIMIT]!.headers['retry-after'])).toBeGreaterThan(0);
      });

      it('restarts all three, one after another, under load: no failed request, no acknowledged message lost or unseen', async () => {
        const load = await startLoad(cluster, pair);
        const drains: Array<{
          instance: string;
          exitCode: number | null;
          health: Reply;
          drainingAfterMs: number;
          servedWhileDraining: Reply;
        }> = [];
        for (const [index, instance] of cluster.instances.entries()) {
          await load.progress();
          const signalled = Date.now();
          const exited = cluster.stop(index, 'SIGTERM');
          // At once: 503 `draining`, and requests still served while the balancer takes it out.
          let health: Reply | undefined;
          await until(
            async () => (health = await request(instance.url, '/v1/portal/health')).status === 503,
            'draining',
          );
          const drainingAfterMs = Date.now() - signalled;
          const servedWhileDraining = await request(instance.url, '/v1/portal/session', { cookie: load.someone });
          await cluster.waitFor(instance.name, 'DOWN');
          drains.push({
            instance: instance.name,
            exitCode: await exited,
            health: health!,
            drainingAfterMs,
            servedWhileDraining,
          });
          await cluster.start(index);
        }
        await load.progress();
        const figures = await load.finish(db);
        console.log(`rolling restart of 3 under load (${bus.name}): ${JSON.stringify(figures)}`);
        for (const drain of drains) {
          expect(drain.health.status).toBe(503);
          expect(drain.health.json).toMatchObject({ status: 'draining' });
          expect(drain.drainingAfterMs).toBeLessThan(500);
          expect(drain.servedWhileDraining.status).toBe(200);
          expect(drain.exitCode).toBe(0);
        }
        expect(figures.failed).toEqual([]);
        expect(figures.missing).toBe(0);
        expect(figures.unseen).toBe(0);
        expect(figures.doubled).toBe(0);
        // Every socket closed by a drain said 1012 (service restart), none was cut off.
        expect(figures.closeCodes.filter((code) => code !== 1012)).toEqual([]);
        expect(figures.reconnects).toBeGreaterThanOrEqual(figures.sockets);
        expect(figures.acked).toBeGreaterThan(0);
        expect(figures.pairs).toBeGreaterThan(0);
      });

      it('loses nothing acknowledged when one instance is killed, and corrects the presence it held within SOCKET_PING_SECONDS', async () => {
        const load = await startLoad(cluster, pair);
        await load.progress();
        const victim = 1;
        const dead = cluster.instances[victim]!;
        const alive = cluster.instances[(victim + 1) % 3]!;
        // P's socket is on the instance that dies and does not come back; Q, elsewhere, sees P online.
        const { a: p, b: q, token } = await pair();
        const pSocket = await openSocket(dead.url, p);
        pSocket.send({ type: 'join', token });
        await pSocket.next('joined');
        const qSocket = await openSocket(alive.url, q);
        qSocket.send({ type: 'join', token });
        // P's arrival may reach Q's instance just after Q joined: then Q hears it.
        if (!(await qSocket.next('joined')).partner_online) await qSocket.next('partner_joined');

        const killedAt = Date.now();
        await cluster.stop(victim, 'SIGKILL');
        await qSocket.next('partner_left', (e) => e.token === token);
        const presenceFixedMs = Date.now() - killedAt;
        await cluster.waitFor(dead.name, 'DOWN');
        await load.progress();
        await cluster.start(victim);
        await load.progress();
        const figures = await load.finish(db);
        console.log(`SIGKILL of one of 3 under load (${bus.name}): ${JSON.stringify({ ...figures, presenceFixedMs })}`);
        await qSocket.close();
        expect(presenceFixedMs).toBeLessThanOrEqual(PING_SECONDS * 1000);
        // Requests in flight on the killed instance may fail; nothing acknowledged may be lost.
        expect(figures.missing).toBe(0);
        expect(figures.unseen).toBe(0);
        expect(figures.doubled).toBe(0);
        expect(figures.acked).toBeGreaterThan(0);
      });
    },
  );
}

/** Polls `condition` (every 20 ms, 20 s at most): waits on state, never a fixed delay. */
async function until(condition: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 20_000;) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Figures {
  requests: number;
  /** Requests that failed: a network error or a 5xx, with what was asked. */
  failed: string[];
  /** Messages whose POST answered 201. */
  acked: number;
  /** Acknowledged messages not in the database. */
  missing: number;
  /** Acknowledged messages a listening socket of their chat never received. */
  unseen: number;
  /** Messages a socket received twice. */
  doubled: number;
  sockets: number;
  reconnects: number;
  closeCodes: number[];
  /** Pairs formed by searchers polling with held status requests. */
  pairs: number;
}

interface Load {
  /** A session the test may use for a plain request. */
  someone: string;
  /** Resolves once every sender has had another message acknowledged and every searcher another pair. */
  progress(): Promise<void>;
  /** Stops the load, waits until the sockets caught up (or 20 s), and counts. */
  finish(db: Database): Promise<Figures>;
}

const CHATS = 4;
const SEARCHERS = 2;

/**
 * What people do while instances restart: chats sending messages over REST, a
 * socket per person listening (reconnecting through the balancer when closed and
 * re-joining with `after`), searchers holding status requests until matched.
 */
async function startLoad(
  cluster: Cluster,
  pair: () => Promise<{ a: string; b: string; token: string }>,
): Promise<Load> {
  const chats = await Promise.all(Array.from({ length: CHATS }, () => pair()));
  let running = true;
  let requests = 0;
  const failed: string[] = [];
  const acked = new Map<number, string>();
  const ticks = { sent: 0, pairs: 0 };
  const call = async (what: string, go: () => Promise<Reply>): Promise<Reply | undefined> => {
    requests += 1;
    try {
      const reply = await go();
      if (reply.status >= 500) failed.push(`${what}: ${reply.status}`);
      return reply;
    } catch (error) {
      failed.push(`${what}: ${(error as Error).message}`);
      return undefined;
    }
  };

  const listeners = chats.flatMap(({ a, b, token }) => [listen(cluster.url, a, token), listen(cluster.url, b, token)]);
  await Promise.all(listeners.map((l) => l.ready));

  const senders = chats.flatMap(({ a, b, token }) =>
    [a, b].map(async (cookie) => {
      for (let n = 0; running; n += 1) {
        const path = `/v1/portal/chats/${token}/messages`;
        const reply = await call(`POST ${path}`, () =>
          request(cluster.url, path, { method: 'POST', cookie, body: { text: `m${n}` } }),
        );
        if (reply?.status === 201) {
          acked.set(reply.json.id as number, token);
          ticks.sent += 1;
        }
        // A person types for a moment between messages.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );

  let searchTag = 0;
  const searchers = Array.from({ length: SEARCHERS }, (_, s) =>
    (async () => {
      while (running) {
        const made = await Promise.all([
          call('POST /session', () => request(cluster.url, '/v1/portal/session', { method: 'POST' })),
          call('POST /session', () => request(cluster.url, '/v1/portal/session', { method: 'POST' })),
        ]);
        const [waiter, partner] = made.map((r) => /psession=([^;]+)/.exec(String(r?.headers['set-cookie']))?.[1]);
        if (!waiter || !partner) continue;
        const interests = [`load${s}t${++searchTag}`];
        await call('POST /match', () =>
          request(cluster.url, '/v1/portal/match', { method: 'POST', cookie: waiter, body: { interests } }),
        );
        // The partner arrives while the waiter's status request is held.
        const arrival: { matched?: boolean } = {};
        const poll = (async () => {
          let etag = '';
          // Until matched, or the partner's enqueue failed or found nobody (the
          // waiter's own enqueue failed): then no match is coming.
          while (arrival.matched !== false) {
            const reply = await call('GET /match/status?wait', () =>
              request(cluster.url, '/v1/portal/match/status?wait=2', {
                cookie: waiter,
                headers: etag ? { 'if-none-match': etag } : {},
              }),
            );
            if (reply?.json?.state === 'matched') return true;
            if (reply?.headers.etag) etag = String(reply.headers.etag);
          }
          return false;
        })();
        const arrived = await call('POST /match', () =>
          request(cluster.url, '/v1/portal/match', { method: 'POST', cookie: partner, body: { interests } }),
        );
        arrival.matched = arrived?.json?.state === 'matched';
        if (await poll) ticks.pairs += 1;
      }
    })(),
  );

  const someone = chats[0]!.a;
  return {
    someone,
    async progress() {
      const at = { ...ticks };
      await until(() => ticks.sent >= at.sent + 2 * CHATS && ticks.pairs >= at.pairs + SEARCHERS, 'load progress');
    },
    async finish(db) {
      running = false;
      await Promise.all([...senders, ...searchers]);
      const expected = (listener: Listener) =>
        [...acked].filter(([, token]) => token === listener.token).map(([id]) => id);
      await until(() => listeners.every((l) => expected(l).every((id) => l.seen.has(id))), 'sockets catching up').catch(
        () => undefined,
      );
      for (const l of listeners) l.stop();
      const ids = [...acked.keys()];
      const stored = await db.prisma.message.count({ where: { id: { in: ids } } });
      return {
        requests,
        failed,
        acked: ids.length,
        missing: ids.length - stored,
        unseen: listeners.reduce((sum, l) => sum + expected(l).filter((id) => !l.seen.has(id)).length, 0),
        doubled: listeners.reduce((sum, l) => sum + l.doubled, 0),
        sockets: listeners.length,
        reconnects: listeners.reduce((sum, l) => sum + l.reconnects, 0),
        closeCodes: listeners.flatMap((l) => l.closeCodes),
        pairs: ticks.pairs,
      };
    },
  };
}

interface Listener {
  token: string;
  ready: Promise<void>;
  seen: Set<number>;
  doubled: number;
  reconnects: number;
  closeCodes: number[];
  stop(): void;
}

/**
 * One person's socket, as the web client keeps it: when the server closes it, it
 * connects again through the balancer (landing on another instance) and re-joins
 * with `after`, the last message id it has.
 */
function listen(base: string, cookie: string, token: string): Listener {
  const url = `${base.replace(/^http/, 'ws')}/v1/portal/socket`;
  let stopped = false;
  let last = 0;
  let ws: WebSocket | undefined;
  let markReady: () => void;
  const listener: Listener = {
    token,
    ready: new Promise<void>((resolve) => (markReady = resolve)),
    seen: new Set(),
    doubled: 0,
    reconnects: 0,
    closeCodes: [],
    stop() {
      stopped = true;
      ws?.close();
    },
  };
  const take = (id: number) => {
    if (listener.seen.has(id)) listener.doubled += 1;
    listener.seen.add(id);
    last = Math.max(last, id);
  };
  const pageBack = async (before: number, after: number) => {
    while (!stopped) {
      const page = await request(base, `/v1/portal/chats/${token}/messages?before=${before}&limit=100`, { cookie });
      const older = (page.json?.messages ?? []) as Array<{ id: number }>;
      for (const { id } of older) if (id > after) take(id);
      if (older.length === 0 || older[0]!.id <= after) return;
      before = older[0]!.id;
    }
  };
  const connect = (attempt: number) => {
    const socket = new WebSocket(url, { headers: { cookie: `psession=${cookie}` } });
    ws = socket;
    let opened = false;
    socket.on('open', () => {
      opened = true;
      socket.send(JSON.stringify({ type: 'join', token, ...(last > 0 ? { after: last } : {}) }));
    });
    socket.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString('utf8'));
      if (event.type === 'joined') {
        const after = last;
        for (const message of event.messages) take(message.id);
        // More were missed than `joined` holds: page back to what this socket had, as the web client does.
        if (event.has_more) void pageBack(event.messages[0].id, after);
        markReady();
      } else if (event.type === 'message' && event.token === token) take(event.message.id);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code: number) => {
      if (stopped) return;
      if (opened) listener.closeCodes.push(code);
      listener.reconnects += opened ? 1 : 0;
      // Like the web client: at once after a close, backing off while nobody answers.
      const wait = opened ? 0 : Math.min(1000, 50 * 2 ** attempt);
      setTimeout(() => connect(opened ? 0 : attempt + 1), wait);
    });
  };
  connect(0);
  return listener;
}
