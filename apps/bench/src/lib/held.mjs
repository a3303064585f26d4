// Cheap polling (SPEC §9): many status requests held at once (memory, and how soon a
// held request hears of its match), and what a searching person costs the server per
// minute when it long-polls versus when it polls every second.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createClient, describeFailure, runPool, tally } from './client.mjs';
import { watchCpu } from './cpu.mjs';
import { uniqueTag } from './scenarios.mjs';
import { runPaced } from './sockets.mjs';
import { round, summarize } from './stats.mjs';

const STATUS_PATH = '/v1/portal/match/status';
const MATCH_PATH = '/v1/portal/match';
const METRICS_PATH = '/v1/portal/metrics';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (map) => Object.values(map).reduce((a, b) => a + b, 0);

/** Resident memory of a process in MiB (Linux), or null. */
export function rssMiB(pid) {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? round(Number(kb) / 1024, 1) : null;
  } catch {
    return null;
  }
}

/** The server's own count of held status requests (the `portal_status_held` gauge). */
async function heldNow(client) {
  const reply = await client.send('GET', METRICS_PATH);
  return Number(/^portal_status_held (\d+)$/m.exec(reply.text ?? '')?.[1] ?? NaN);
}

async function waitForHeld(client, test, timeoutMs) {
  const started = performance.now();
  for (;;) {
    const held = await heldNow(client);
    if (test(held)) return held;
    if (performance.now() - started > timeoutMs) throw new Error(`held status requests stuck at ${held}`);
    await sleep(50);
  }
}

/**
 * Each of `tokens` searches on a tag of its own (nobody shares it, so it stays
 * searching), and reads its status once for the ETag. Throws if any fails.
 */
export async function seedSearchers(client, tokens, { prefix, concurrency }) {
  const tags = tokens.map((_, i) => uniqueTag(prefix, i));
  const etags = new Array(tokens.length);
  const failures = {};
  await runPool(concurrency, tokens.length, async (i) => {
    const enqueued = await client.send('POST', MATCH_PATH, { token: tokens[i], body: { interests: [tags[i]] } });
    if (enqueued.status !== 200 || enqueued.json?.state !== 'searching') {
      tally(failures, `enqueue ${describeFailure(enqueued)} ${enqueued.json?.state ?? ''}`.trim());
      return;
    }
    const status = await client.send('GET', STATUS_PATH, { token: tokens[i] });
    if (status.status === 200 && status.headers?.etag) etags[i] = status.headers.etag;
    else tally(failures, `status ${describeFailure(status)}`);
  });
  if (count(failures) > 0) throw new Error(`seeding ${tokens.length} searchers failed: ${JSON.stringify(failures)}`);
  return { tags, etags };
}

/**
 * One long-polling client: GET status?wait=`wait` with If-None-Match, again after every
 * 304, until the state changes (`onChange(reply, at)`) or the client is closed.
 * `firstWait` lets a fleet start spread over the cycle, as it would be after a while.
 */
function longPoll(client, token, etag, { wait, firstWait = wait, stats, onChange }) {
  let seconds = firstWait;
  const loop = async () => {
    for (;;) {
      const reply = await client.send('GET', `${STATUS_PATH}?wait=${seconds}`, {
        token,
        headers: { 'if-none-match': etag },
      });
      seconds = wait;
      if (stats.stopped) return;
      stats.requests += 1;
      if (reply.status === 304) continue;
      if (reply.status === 200) {
        onChange?.(reply, performance.now());
        etag = reply.headers.etag;
        if (onChange) return;
        continue;
      }
      tally(stats.problems, describeFailure(reply));
      return;
    }
  };
  return loop();
}

/**
 * (a) `count` searching sessions each hold a status request (re-held on each 304, as a
 * client would) on one instance: the server's RSS before and with them held, its CPU
 * while nothing happens, and, for `sample` of them, the time from just before a partner's
 * enqueue is sent to the held request's 200 `matched` (paced at `rate`/s, at most
 * `concurrency` at a time).
 */
export async function heldRequests(portal, client, tokens, partnerTokens, options) {
  const { wait, rampBatch, quietSec, sample, rate, concurrency, postgres } = options;
  const held = tokens.length;
  const { tags, etags } = await seedSearchers(client, tokens, { prefix: 'h', concurrency: 50 });
  const rssBefore = rssMiB(portal.pid);

  // Every held request needs its own connection: a client of its own, without a socket cap.
  const holder = createClient(portal.url, { maxSockets: Infinity, timeoutMs: (wait + 20) * 1000 });
  const stats = { requests: 0, problems: {}, stopped: false };
  const changes = new Map();
  const loops = [];
  const rampStarted = performance.now();
  try {
    for (let first = 0; first < held; first += rampBatch) {
      const last = Math.min(held, first + rampBatch);
      for (let i = first; i < last; i++) {
        let resolve;
        changes.set(i, new Promise((r) => (resolve = r)));
        loops.push(
          longPoll(holder, tokens[i], etags[i], { wait, stats, onChange: (reply, at) => resolve({ reply, at }) }),
        );
      }
      await waitForHeld(client, (n) => n >= last, 60_000);
    }
    const rampSec = (performance.now() - rampStarted) / 1000;
    const rssHeld = rssMiB(portal.pid);

    const cpu = watchCpu({ server: portal.pid }, { postgres });
    await sleep(quietSec * 1000);
    const quietCpu = cpu.stop();

    // The sample, spread over the whole set.
    const step = Math.max(1, Math.floor(held / sample));
    const picks = Array.from({ length: Math.min(sample, held) }, (_, k) => k * step);
    const latency = [];
    const afterAnswer = [];
    const enqueueAnswer = [];
    const problems = {};
    const watched = watchCpu({ server: portal.pid }, { postgres });
    const paced = await runPaced(rate, concurrency, picks.length, async (k) => {
      const i = picks[k];
      const sent = performance.now();
      const reply = await client.send('POST', MATCH_PATH, { token: partnerTokens[k], body: { interests: [tags[i]] } });
      const answered = performance.now();
      enqueueAnswer.push(answered - sent);
      if (reply.status !== 200 || reply.json?.state !== 'matched') {
        tally(problems, `enqueue ${describeFailure(reply)} ${reply.json?.state ?? ''}`.trim());
        return;
      }
      const change = await Promise.race([changes.get(i), sleep(5_000).then(() => null)]);
      if (!change) return tally(problems, 'held request not answered within 5 s');
      if (change.reply.json?.state !== 'matched' || change.reply.json?.token !== reply.json.token) {
        return tally(problems, `held answer ${change.reply.status} ${change.reply.json?.state}`);
      }
      latency.push(change.at - sent);
      afterAnswer.push(change.at - answered);
    });
    const sampleCpu = watched.stop();
    const rssEnd = rssMiB(portal.pid);
    return {
      held,
      wait,
      rampSec: round(rampSec, 2),
      rssMiB: { before: rssBefore, held: rssHeld, end: rssEnd },
      perHeldKiB: rssBefore === null || rssHeld === null ? null : round(((rssHeld - rssBefore) * 1024) / held, 2),
      quietCpu,
      sample: picks.length,
      rate,
      concurrency,
      maxInFlight: paced.maxInFlight,
      heldAnswerMs: summarize(latency),
      heldAfterEnqueueAnswerMs: summarize(afterAnswer),
      enqueueAnswerMs: summarize(enqueueAnswer),
      sampleCpu,
      rehelds: stats.requests - latency.length,
      problems: count(problems) + count(stats.problems),
      problemReasons: { ...problems, ...stats.problems },
    };
  } finally {
    stats.stopped = true;
    holder.close();
    await Promise.allSettled(loops);
    // Aborted requests leave the server's registry as their sockets close.
    await waitForHeld(client, (n) => n === 0, 30_000).catch(() => undefined);
  }
}

/** Polls GET status every second (a drift-free schedule), with or without If-None-Match. */
async function pollEverySecond(client, token, etag, { conditional, stats, offsetMs }) {
  let next = performance.now() + offsetMs;
  for (;;) {
    const delay = next - performance.now();
    if (delay > 0) await sleep(delay);
    if (stats.stopped) return;
    next += 1000;
    const reply = await client.send('GET', STATUS_PATH, {
      token,
      headers: conditional ? { 'if-none-match': etag } : undefined,
    });
    if (stats.stopped) return;
    stats.requests += 1;
    if (reply.status !== (conditional ? 304 : 200)) tally(stats.problems, describeFailure(reply));
  }
}

/**
 * (b) What one searching person costs the server over a minute: `searchers` sessions,
 * searching, poll their status for `durationSec` (after `warmupSec`) in each mode:
 * every second without and with If-None-Match, and long-polling with `wait`. Server
 * (and PostgreSQL) CPU time per searcher-minute, from /proc, net of what the same
 * window costs with nobody polling (measured first; reported in the `idle` row as the
 * per-searcher share, not subtracted).
 */
export async function searcherCost(portal, client, tokens, options) {
  const { wait, durationSec, warmupSec, postgres } = options;
  const { etags } = await seedSearchers(client, tokens, { prefix: 'c', concurrency: 50 });
  const modes = [
    // The same window with nobody polling: what the server spends anyway (reaper, matchmaker ticks).
    ['idle', 'nobody polling (the baseline)'],
    ['poll1s', 'GET every 1 s'],
    ['poll1sConditional', 'GET every 1 s, If-None-Match (304)'],
    ['longPoll', `long-poll, wait=${wait}`],
  ];
  const results = {};
  const baseline = { server: 0, postgres: 0 };
  for (const [mode, label] of modes) {
    const modeClient = createClient(portal.url, { maxSockets: Infinity, timeoutMs: (wait + 20) * 1000 });
    const stats = { requests: 0, problems: {}, stopped: false };
    const loops = (mode === 'idle' ? [] : tokens).map((token, i) => {
      // Spread over the cycle from the start: offsets over a second, first waits over the whole wait.
      const spread = (i + 0.5) / tokens.length;
      return mode === 'longPoll'
        ? longPoll(modeClient, token, etags[i], { wait, firstWait: Math.max(1, Math.ceil(spread * wait)), stats })
        : pollEverySecond(modeClient, token, etags[i], {
            conditional: mode === 'poll1sConditional',
            stats,
            offsetMs: spread * 1000,
          });
    });
    await sleep(warmupSec * 1000);
    const before = stats.requests;
    const cpu = watchCpu({ server: portal.pid }, { postgres });
    await sleep(durationSec * 1000);
    const used = cpu.stop();
    const requests = stats.requests - before;
    stats.stopped = true;
    modeClient.close();
    await Promise.allSettled(loops);
    await waitForHeld(client, (n) => n === 0, 30_000).catch(() => undefined);
    const searcherMinutes = (tokens.length * used.wallSec) / 60;
    const msOf = (pct) => (pct === null || pct === undefined ? null : (pct / 100) * used.wallSec * 1000);
    // Net of the baseline (per second of it), so the modes compare what polling itself costs.
    const net = (ms, idlePerSec) =>
      ms === null ? null : round((ms - (mode === 'idle' ? 0 : idlePerSec * used.wallSec)) / searcherMinutes, 3);
    const serverMs = msOf(used.processes.server);
    const postgresMs = msOf(used.postgres);
    if (mode === 'idle') {
      baseline.server = serverMs === null ? 0 : serverMs / used.wallSec;
      baseline.postgres = postgresMs === null ? 0 : postgresMs / used.wallSec;
    }
    results[mode] = {
      label,
      requestsPerSearcherMinute: round(requests / searcherMinutes, 2),
      serverCpuMsPerSearcherMinute: net(serverMs, baseline.server),
      postgresCpuMsPerSearcherMinute: net(postgresMs, baseline.postgres),
      cpu: used,
      problems: count(stats.problems),
      problemReasons: stats.problems,
    };
  }
  const ratio = (a, b) => (a === null || b === null || b === 0 ? null : round(a / b, 1));
  return {
    searchers: tokens.length,
    durationSec,
    warmupSec,
    wait,
    modes: results,
    poll1sOverLongPoll: ratio(
      results.poll1s.serverCpuMsPerSearcherMinute,
      results.longPoll.serverCpuMsPerSearcherMinute,
    ),
  };
}
