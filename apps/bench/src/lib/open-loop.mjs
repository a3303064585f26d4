// Latency at a fixed arrival rate (an open loop): requests go out on a schedule set in
// advance, whatever the answers' speed, and each one's latency runs from its *scheduled*
// send time to the end of its answer. A slow answer therefore never delays the next
// request and hides its own queueing (no coordinated omission, as in wrk2).
import { Agent, request as httpRequest } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { tally } from './client.mjs';
import { watchCpu } from './cpu.mjs';
import { round, summarize } from './stats.mjs';

/**
 * The most connections the client opens. Below it a request never waits for a socket:
 * when every open one is busy, another is opened on demand and kept for later. Past it
 * (only when the server has fallen far behind), requests wait in the agent's queue,
 * which their latency, timed from the scheduled send, includes; they are counted.
 */
const MAX_CONNECTIONS = 1000;

/** A keep-alive agent that counts the connections it opens. */
function openingAgent() {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: MAX_CONNECTIONS,
    maxFreeSockets: MAX_CONNECTIONS,
    scheduling: 'lifo',
  });
  const create = agent.createConnection.bind(agent);
  const counts = { opened: 0 };
  agent.createConnection = (...args) => {
    counts.opened += 1;
    return create(...args);
  };
  return { agent, counts };
}

/**
 * One request; `done(status, body, endedAt)` on its answer's end, `status` 0 on a network
 * error or after `timeoutMs`. The body is read only when `wantBody` (the status polls'
 * bodies are drained unread: reading them is client work the bare server is not charged).
 */
function sendOne({ hostname, port, agent, timeoutMs }, { method, path, token, body, wantBody }, done) {
  const headers = { cookie: `psession=${token}` };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  let finished = false;
  const finish = (status, text) => {
    if (finished) return;
    finished = true;
    done(status, text, performance.now());
  };
  const req = httpRequest({ hostname, port, path, method, headers, agent }, (res) => {
    const chunks = wantBody ? [] : null;
    if (chunks) res.on('data', (chunk) => chunks.push(chunk));
    else res.resume();
    res.on('end', () => finish(res.statusCode ?? 0, chunks ? Buffer.concat(chunks).toString('utf8') : ''));
    res.on('error', () => finish(0, 'response error'));
  });
  req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
  req.on('error', (error) => finish(0, String(error)));
  req.end(body);
}

/**
 * Runs `streams` side by side, each at its own fixed `rate` per second, for `warmupSec`
 * (not recorded) then `durationSec`. A stream is `{ name, rate, request(i), outcome(status, text) }`:
 * `request(i)` gives the i-th request `{ method, path, token, body?, wantBody? }` (`body`
 * a Buffer), `outcome` names a good answer (tallied) or returns null for a failure.
 * Returns per stream the latency from the scheduled send time (every answer, failures
 * included) and the send lag (actual minus scheduled send: the client's own lateness,
 * which the latency includes rather than hides), the achieved rate and the failures,
 * plus the connections opened, the most requests ever in flight, and the client's own
 * event-loop delay and CPU (with `watch`'s processes).
 */
export async function openLoop(url, streams, { durationSec, warmupSec, timeoutMs = 10_000, watch = {} }) {
  const { hostname, port } = new URL(url);
  const { agent, counts } = openingAgent();
  const target = { hostname, port, agent, timeoutMs };
  const totalSec = warmupSec + durationSec;
  const states = streams.map((stream) => {
    const warmup = Math.round(stream.rate * warmupSec);
    const total = warmup + Math.round(stream.rate * durationSec);
    return {
      stream,
      warmup,
      total,
      intervalMs: 1000 / stream.rate,
      next: 0,
      latency: new Float64Array(total - warmup),
      lag: new Float64Array(total - warmup),
      queuedForSocket: 0,
      outcomes: {},
      failures: {},
    };
  });
  let inFlight = 0;
  let maxInFlight = 0;
  let drained;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  let cpu;
  const startRecording = () => {
    loopDelay.enable();
    cpu = watchCpu(watch.cpu ?? {}, { postgres: watch.postgres });
  };

  const fire = (state, i, scheduledAt) => {
    const recorded = i >= state.warmup;
    if (recorded) {
      state.lag[i - state.warmup] = performance.now() - scheduledAt;
      if (inFlight >= MAX_CONNECTIONS) state.queuedForSocket += 1;
    }
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    sendOne(target, state.stream.request(i), (status, text, endedAt) => {
      inFlight -= 1;
      if (recorded) {
        state.latency[i - state.warmup] = endedAt - scheduledAt;
        const outcome = state.stream.outcome(status, text);
        if (outcome === null)
          tally(state.failures, status === 0 ? `network ${text}` : `${status} ${text.slice(0, 80)}`);
        else tally(state.outcomes, outcome);
      }
      if (inFlight === 0 && drained) drained();
    });
  };

  const started = performance.now();
  // The CPU and the client's loop delay are watched over the recorded part only.
  setTimeout(startRecording, warmupSec * 1000);
  await new Promise((resolve) => {
    // Timers fire at best every millisecond: each tick sends whatever has fallen due since
    // the last one, each request keeping its own scheduled time.
    const tick = () => {
      const now = performance.now();
      let nextDue = Infinity;
      for (const state of states) {
        while (state.next < state.total && started + state.next * state.intervalMs <= now) {
          fire(state, state.next, started + state.next * state.intervalMs);
          state.next += 1;
        }
        if (state.next < state.total) nextDue = Math.min(nextDue, started + state.next * state.intervalMs);
      }
      if (nextDue === Infinity) return resolve();
      setTimeout(tick, Math.max(0, nextDue - performance.now()));
    };
    tick();
  });
  const sendingSec = (performance.now() - started) / 1000 - warmupSec;
  if (inFlight > 0) await new Promise((resolve) => (drained = resolve));
  loopDelay.disable();
  const usage = cpu.stop();
  agent.destroy();

  const result = {
    durationSec,
    warmupSec,
    totalSec,
    connectionsOpened: counts.opened,
    maxConnections: MAX_CONNECTIONS,
    maxInFlight,
    clientEventLoopDelayMs: {
      p50: round(loopDelay.percentile(50) / 1e6),
      p99: round(loopDelay.percentile(99) / 1e6),
      max: round(loopDelay.max / 1e6),
    },
    cpu: usage,
    streams: {},
  };
  for (const state of states) {
    const recorded = state.total - state.warmup;
    const failed = Object.values(state.failures).reduce((a, b) => a + b, 0);
    result.streams[state.stream.name] = {
      targetRate: state.stream.rate,
      sent: recorded,
      achievedRate: round(recorded / sendingSec, 1),
      latencyMs: summarize(state.latency),
      sendLagMs: summarize(state.lag),
      queuedForSocket: state.queuedForSocket,
      outcomes: state.outcomes,
      failed,
      failures: state.failures,
    };
  }
  return result;
}

/**
 * Enqueues at `rate`/s, the i-th by fresh session `tokens[i]` on a few shared tags (as in
 * the pairs/s scenario), so about every other one finds a partner waiting: `searching`
 * and `matched` answers are tallied.
 */
export function enqueueStream(tokens, { rate, interests }) {
  return {
    name: 'enqueue',
    rate,
    request: (i) => ({
      method: 'POST',
      path: '/v1/portal/match',
      token: tokens[i],
      body: Buffer.from(JSON.stringify({ interests: interests(i) })),
      wantBody: true,
    }),
    outcome(status, text) {
      if (status !== 200) return null;
      const state = /"state":"(searching|matched)"/.exec(text)?.[1];
      return state ?? null;
    },
  };
}

/** Status polls at `rate`/s, the i-th as session `tokens[i % tokens.length]`; any 200 is good. */
export function statusStream(tokens, { rate }) {
  return {
    name: 'status',
    rate,
    request: (i) => ({ method: 'GET', path: '/v1/portal/match/status', token: tokens[i % tokens.length] }),
    outcome: (status) => (status === 200 ? 'ok' : null),
  };
}
