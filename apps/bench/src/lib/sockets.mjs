// The live-socket measurements: send→partner-receive latency of chat messages (sent
// over REST and over the socket) with many sockets open and a steady message rate,
// and pair made→the waiting person's `matched` push. Every timestamp is taken with
// performance.now() in this one process, so the clocks agree.
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import WebSocket from 'ws';
import { describeFailure, runPool, tally } from './client.mjs';
import { watchCpu } from './cpu.mjs';
import { uniqueTag } from './scenarios.mjs';
import { round, summarize } from './stats.mjs';

const SOCKET_PATH = '/v1/portal/socket';
const MATCH_PATH = '/v1/portal/match';
const TEXT_PREFIX = 'bench:';
const OPEN_TIMEOUT_MS = 10_000;

const count = (map) => Object.values(map).reduce((a, b) => a + b, 0);

/** A small seeded PRNG (mulberry32) so every run picks the same senders. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Starts `fn(i)` for i in [0, count) at a steady `rate` per second (a drift-free
 * schedule), never more than `concurrency` at once: an open loop, so what is measured
 * is each operation's latency rather than how fast the server drains a backlog.
 * Resolves with the elapsed ms and the most that were ever in flight.
 */
export async function runPaced(rate, concurrency, count, fn) {
  const intervalMs = 1000 / rate;
  const started = performance.now();
  const running = new Set();
  let maxInFlight = 0;
  for (let i = 0; i < count; i++) {
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (running.size >= concurrency) await Promise.race(running);
    const task = fn(i).finally(() => running.delete(task));
    running.add(task);
    maxInFlight = Math.max(maxInFlight, running.size);
  }
  await Promise.all(running);
  return { elapsedMs: performance.now() - started, maxInFlight };
}

/**
 * Every socket the run opens, so one call closes them all — on success, on error and
 * on a signal alike.
 */
export function createSocketPool() {
  const open = new Set();

  /**
   * Opens a socket as `session` (its psession cookie). Resolves once the upgrade is
   * done; every event then goes to the waiters first, then to `socket.listener`
   * (set by the scenario), with the time it arrived.
   * @returns {Promise<{ ws: WebSocket, session: string, listener?: Function, waitFor: Function, close: Function }>}
   */
  function connect(baseUrl, session) {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${SOCKET_PATH}`, {
      headers: { cookie: `psession=${session}` },
      perMessageDeflate: false,
      handshakeTimeout: OPEN_TIMEOUT_MS,
    });
    const waiters = new Set();
    const socket = {
      ws,
      session,
      listener: undefined,
      /** Resolves with `{ event, at }` for the first later event that `match`es, rejects after `timeoutMs`. */
      waitFor(match, timeoutMs) {
        return new Promise((resolve, reject) => {
          const waiter = (event, at) => {
            if (!match(event)) return false;
            clearTimeout(timer);
            resolve({ event, at });
            return true;
          };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`no matching socket event within ${timeoutMs} ms`));
          }, timeoutMs);
          waiters.add(waiter);
        });
      },
      close() {
        open.delete(socket);
        if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2_000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
          else ws.close();
        });
      },
    };
    ws.on('message', (data) => {
      const at = performance.now();
      let event;
      try {
        event = JSON.parse(data.toString('utf8'));
      } catch {
        event = { type: 'unparsable' };
      }
      for (const waiter of waiters) if (waiter(event, at)) waiters.delete(waiter);
      socket.listener?.(event, at);
    });
    open.add(socket);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.on('error', () => undefined);
        resolve(socket);
      });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`socket upgrade answered HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  return {
    connect,
    get size() {
      return open.size;
    },
    /** Closes every socket still open. */
    closeAll: () => Promise.all([...open].map((socket) => socket.close())),
  };
}

/**
 * Pairs fresh sessions two by two on a tag of their own: the first enqueues
 * (searching), the second is matched. `a`/`b` are the clients of the instances the
 * two sides use. Throws unless every pair forms: the timed parts need them all.
 * @returns {Promise<{ token: string, a: string, b: string }[]>} chat token and the two sessions
 */
export async function makePairs({ a, b }, sessions, { prefix, concurrency }) {
  const pairs = new Array(Math.floor(sessions.length / 2));
  const failures = {};
  await runPool(concurrency, pairs.length, async (i) => {
    const interests = [uniqueTag(prefix, i)];
    const first = await a.send('POST', MATCH_PATH, { token: sessions[2 * i], body: { interests } });
    if (first.status !== 200 || first.json?.state !== 'searching') {
      tally(failures, `first ${describeFailure(first)} ${first.json?.state ?? ''}`.trim());
      return;
    }
    const second = await b.send('POST', MATCH_PATH, { token: sessions[2 * i + 1], body: { interests } });
    if (second.status !== 200 || second.json?.state !== 'matched' || !second.json.token) {
      tally(failures, `second ${describeFailure(second)} ${second.json?.state ?? ''}`.trim());
      return;
    }
    pairs[i] = { token: second.json.token, a: sessions[2 * i], b: sessions[2 * i + 1] };
  });
  if (count(failures) > 0)
    throw new Error(`could not pair ${count(failures)} of ${pairs.length}: ${JSON.stringify(failures)}`);
  return pairs;
}

/** Pairs for the bare relay, which checks nothing: made-up chat tokens and sessions. */
export const fakePairs = (n) =>
  Array.from({ length: n }, (_, i) => ({ token: `chat${i}`, a: `bare-a${i}`, b: `bare-b${i}` }));

/**
 * Opens both sockets of every pair — side A on `a.url`, side B on `b.url` — and
 * joins each to its chat, `concurrency` at a time. Throws unless every `joined` comes.
 * @param {{ a: { url: string, client: object }, b: { url: string, client: object } }} sides
 * @returns {Promise<{ token: string, a: { session, socket, client }, b: { session, socket, client } }[]>}
 */
export async function openChats(pool, pairs, sides, { concurrency }) {
  const chats = new Array(pairs.length);
  const failures = {};
  const join = async (side, session, token) => {
    const socket = await pool.connect(sides[side].url, session);
    const reply = socket.waitFor(
      (e) => (e.type === 'joined' || e.type === 'error') && e.token === token,
      OPEN_TIMEOUT_MS,
    );
    socket.ws.send(JSON.stringify({ type: 'join', token }));
    const { event } = await reply;
    if (event.type !== 'joined') throw new Error(`join answered ${event.error}: ${event.message}`);
    return { session, socket, client: sides[side].client };
  };
  const elapsedMs = await runPool(concurrency, 2 * pairs.length, async (k) => {
    const i = k >> 1;
    const side = k % 2 === 0 ? 'a' : 'b';
    try {
      const joined = await join(side, pairs[i][side], pairs[i].token);
      chats[i] ??= { token: pairs[i].token };
      chats[i][side] = joined;
    } catch (error) {
      tally(failures, error instanceof Error ? error.message : String(error));
    }
  });
  if (count(failures) > 0)
    throw new Error(
      `could not open/join ${count(failures)} of ${2 * pairs.length} sockets: ${JSON.stringify(failures)}`,
    );
  return { chats, elapsedMs };
}

/**
 * Chat messages at a steady `rate` per second in total for `durationSec` (after
 * `warmupSec` of the same, not recorded), alternating socket-sent and REST-sent, each
 * from a random member of a random chat to its partner. The text carries the message's
 * number; the latency is send → the partner's socket receiving it (the sender's own
 * echo, from:'me', is ignored). A message not received within `lostAfterMs` is lost.
 * @param {{ cpu?: Record<string, number>, postgres?: boolean }} watch pids to watch
 */
export async function messageLatency(chats, { rate, durationSec, warmupSec, lostAfterMs, seed = 1, watch = {} }) {
  const intervalMs = 1000 / rate;
  const warmup = Math.round(rate * warmupSec);
  const total = warmup + Math.round(rate * durationSec);
  const pick = random(seed);
  const pending = new Map();
  const samples = { rest: [], socket: [] };
  const sent = { rest: 0, socket: 0 };
  const lost = { rest: 0, socket: 0 };
  const restMs = [];
  const restFailures = {};
  const socketErrors = {};
  const surprises = {};
  let maxLag = 0;

  const listen = (me) => (event, at) => {
    if (event.type === 'message') {
      if (event.message?.from !== 'partner') return;
      const text = String(event.message.text ?? '');
      const entry = text.startsWith(TEXT_PREFIX) ? pending.get(Number(text.slice(TEXT_PREFIX.length))) : undefined;
      if (!entry) return tally(surprises, 'unknown or repeated message');
      if (entry.receiver !== me) return tally(surprises, 'received by the wrong socket');
      pending.delete(entry.n);
      const ms = at - entry.sentAt;
      if (!entry.recorded) return;
      samples[entry.kind].push(ms);
      if (ms > lostAfterMs) lost[entry.kind] += 1;
    } else if (event.type === 'error') tally(socketErrors, event.error);
    else if (event.type === 'ended' || event.type === 'partner_left' || event.type === 'unparsable')
      tally(surprises, event.type);
  };
  for (const chat of chats) {
    chat.a.socket.listener = listen(chat.a.socket);
    chat.b.socket.listener = listen(chat.b.socket);
  }

  const requests = [];
  const sendOne = (n, recorded) => {
    const chat = chats[Math.floor(pick() * chats.length)];
    const [from, to] = pick() < 0.5 ? [chat.a, chat.b] : [chat.b, chat.a];
    const kind = n % 2 === 0 ? 'socket' : 'rest';
    const text = `${TEXT_PREFIX}${n}`;
    const entry = { n, kind, receiver: to.socket, recorded, sentAt: 0 };
    pending.set(n, entry);
    if (recorded) sent[kind] += 1;
    if (kind === 'socket') {
      const frame = JSON.stringify({ type: 'message', token: chat.token, text });
      entry.sentAt = performance.now();
      from.socket.ws.send(frame);
    } else {
      entry.sentAt = performance.now();
      const request = from.client
        .send('POST', `/v1/portal/chats/${chat.token}/messages`, { token: from.session, body: { text } })
        .then((reply) => {
          if (recorded) restMs.push(reply.ms);
          if (reply.status !== 201) tally(restFailures, describeFailure(reply));
        });
      requests.push(request);
    }
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  // The bench client's own garbage collections: a long one delays every receive.
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count += 1;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  });
  // CPU over warm-up + timed sends + drain: reading /proc takes a few ms, so never mid-run.
  const cpu = watchCpu(watch.cpu ?? {}, { postgres: watch.postgres });
  const started = performance.now();
  let recordedFrom = started;
  let lastSent = started;
  await new Promise((resolve) => {
    let n = 0;
    const tick = () => {
      const now = performance.now();
      // Drift-free schedule, one message per timer tick: a late tick catches up one
      // message at a time instead of bursting.
      if (n === warmup) {
        recordedFrom = now;
        loopDelay.enable();
        gcObserver.observe({ entryTypes: ['gc'] });
      }
      if (n >= warmup) {
        maxLag = Math.max(maxLag, now - (started + n * intervalMs));
      }
      sendOne(n, n >= warmup);
      lastSent = performance.now();
      n += 1;
      if (n >= total) return resolve();
      setTimeout(tick, Math.max(0, started + n * intervalMs - performance.now()));
    };
    tick();
  });
  const sendingSec = (lastSent - recordedFrom) / 1000;
  loopDelay.disable();
  gcObserver.disconnect();

  // Wait for the stragglers (and every REST answer); whatever is still out is lost.
  await Promise.all(requests);
  const deadline = lastSent + lostAfterMs;
  while (pending.size > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const usage = cpu.stop();
  for (const entry of pending.values()) if (entry.recorded) lost[entry.kind] += 1;
  for (const chat of chats) {
    chat.a.socket.listener = undefined;
    chat.b.socket.listener = undefined;
  }

  const recordedCount = sent.rest + sent.socket;
  return {
    chats: chats.length,
    sockets: 2 * chats.length,
    targetRate: rate,
    achievedRate: round((recordedCount - 1) / sendingSec, 1),
    durationSec,
    warmupMessages: warmup,
    sent,
    restToSocketMs: summarize(samples.rest),
    socketToSocketMs: summarize(samples.socket),
    restResponseMs: summarize(restMs),
    lost,
    lostTotal: lost.rest + lost.socket,
    restFailures,
    socketErrors,
    surprises,
    problems: count(restFailures) + count(socketErrors) + count(surprises),
    pacerMaxLagMs: round(maxLag),
    clientEventLoopDelayMs: {
      p50: round(loopDelay.percentile(50) / 1e6),
      p99: round(loopDelay.percentile(99) / 1e6),
      max: round(loopDelay.max / 1e6),
    },
    clientGc: { count: gc.count, totalMs: round(gc.totalMs), maxMs: round(gc.maxMs) },
    cpu: usage,
  };
}

/**
 * `iterations` times, started at `rate` per second and at most `concurrency` at a time,
 * each with a fresh pair of sessions and A's socket already open on `a.url`: A enqueues
 * on a tag of its own through `a.client` (searching), then B enqueues on the same tag
 * through `b.client` (matched). Measured: just before B's request is sent → A's socket
 * receiving `matched` (and B's answer). `sessions` holds 2 × iterations fresh sessions.
 * (Back to back, 10 at a time would saturate the database and measure its queue.)
 */
export async function matchedPush(
  pool,
  sessions,
  { a, b, iterations, rate, concurrency, prefix, timeoutMs, watch = {} },
) {
  // Open every A socket first so the timed loop is nothing but enqueues.
  const sockets = new Array(iterations);
  const openFailures = {};
  await runPool(50, iterations, async (i) => {
    try {
      sockets[i] = await pool.connect(a.url, sessions[2 * i]);
    } catch (error) {
      tally(openFailures, error instanceof Error ? error.message : String(error));
    }
  });
  if (count(openFailures) > 0)
    throw new Error(`could not open ${count(openFailures)} sockets: ${JSON.stringify(openFailures)}`);
  const socketsOpen = pool.size;

  const push = [];
  const answer = [];
  const pushAfterAnswer = [];
  const problems = {};
  const cpu = watchCpu(watch.cpu ?? {}, { postgres: watch.postgres });
  const { elapsedMs, maxInFlight } = await runPaced(rate, concurrency, iterations, async (i) => {
    const interests = [uniqueTag(prefix, i)];
    const first = await a.client.send('POST', MATCH_PATH, { token: sessions[2 * i], body: { interests } });
    if (first.status !== 200 || first.json?.state !== 'searching') {
      tally(problems, `waiting person: ${first.status === 200 ? `200 ${first.json?.state}` : describeFailure(first)}`);
      return;
    }
    const pushed = sockets[i].waitFor((e) => e.type === 'matched', timeoutMs).catch(() => null);
    const sentAt = performance.now();
    const second = await b.client.send('POST', MATCH_PATH, { token: sessions[2 * i + 1], body: { interests } });
    const got = await pushed;
    if (second.status !== 200 || second.json?.state !== 'matched') {
      tally(
        problems,
        `second enqueue: ${second.status === 200 ? `200 ${second.json?.state}` : describeFailure(second)}`,
      );
      return;
    }
    answer.push(second.ms);
    if (!got) return tally(problems, `no matched push within ${timeoutMs} ms`);
    if (got.event.match?.token !== second.json.token) return tally(problems, 'matched push for another chat');
    push.push(got.at - sentAt);
    pushAfterAnswer.push(got.at - sentAt - second.ms);
  });
  const usage = cpu.stop();
  await Promise.all(sockets.map((socket) => socket.close()));
  return {
    iterations,
    rate,
    concurrency,
    maxInFlight,
    socketsOpen,
    elapsedSec: round(elapsedMs / 1000, 3),
    pairsPerSec: round(iterations / (elapsedMs / 1000), 1),
    pushLatencyMs: summarize(push),
    enqueueAnswerMs: summarize(answer),
    /** Push arrival minus the second enqueue's answer: negative when the push came first. */
    pushAfterAnswerMs: summarize(pushAfterAnswer),
    problems: count(problems),
    problemReasons: problems,
    cpu: usage,
  };
}
