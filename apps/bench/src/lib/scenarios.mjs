// The three measurements: status poll (autocannon), pairs per second and
// enqueue→matched latency (custom keep-alive driver).
import autocannon from 'autocannon';
import { describeFailure, runPool, tally } from './client.mjs';
import { watchCpu } from './cpu.mjs';
import { round, summarize } from './stats.mjs';

const STATUS_PATH = '/v1/portal/match/status';
const MATCH_PATH = '/v1/portal/match';

/** A tag no other part of the run uses: prefix + base-36 counter (fits ^[a-z0-9]{3,12}$). */
export const uniqueTag = (prefix, n) => `${prefix}${n.toString(36).padStart(6, '0')}`;

/**
 * Puts the status-poll sessions in a realistic mix of states:
 * i % 4 ∈ {0, 1} searching on 1–3 tags of their own (nobody else shares them, so they
 * stay searching), i % 4 = 2 matched in pairs (on a tag per pair), i % 4 = 3 idle.
 * Then reads every session's status back and returns the tally of states. `prefix` keeps
 * the tags of two seedings on one server apart (one letter; the default is the closed loop's).
 */
export async function seedStatusSessions(client, tokens, concurrency, prefix = '') {
  const failures = {};
  const enqueue = async (token, interests, expected) => {
    const reply = await client.send('POST', MATCH_PATH, { token, body: { interests } });
    if (reply.status !== 200 || reply.json?.state !== expected)
      tally(failures, `${describeFailure(reply)} ${reply.json?.state ?? ''}`.trim());
  };

  const searching = tokens.filter((_, i) => i % 4 === 0 || i % 4 === 1);
  await runPool(concurrency, searching.length, (k) => {
    const interests = ['a', 'b', 'c'].slice(0, 1 + (k % 3)).map((suffix) => `${uniqueTag(`${prefix}s`, k)}${suffix}`);
    return enqueue(searching[k], interests, 'searching');
  });

  const matched = tokens.filter((_, i) => i % 4 === 2);
  await runPool(concurrency, Math.floor(matched.length / 2), async (pair) => {
    const interests = [uniqueTag(`${prefix}m`, pair)];
    await enqueue(matched[2 * pair], interests, 'searching');
    await enqueue(matched[2 * pair + 1], interests, 'matched');
  });

  const states = {};
  await runPool(concurrency, tokens.length, async (i) => {
    const reply = await client.send('GET', STATUS_PATH, { token: tokens[i] });
    tally(states, reply.status === 200 ? String(reply.json?.state) : describeFailure(reply));
  });
  return { states, seedFailures: failures };
}

/**
 * How the status poll's load generator picks each request's cookie:
 * - `rotating`: every connection cycles over its own slice of the sessions, with
 *   requests built once before the run; sessions rotate per connection and every
 *   session is seen, at no per-request cost to the client.
 * - `per-request`: the old generator, kept to show what it cost: autocannon rebuilds
 *   every request (setupRequest) to put the next session's cookie on it.
 * - `fixed`: one cookie per connection, set once: the cheapest the client can be, the
 *   ceiling `rotating` is checked against.
 */
export const GENERATORS = ['rotating', 'per-request', 'fixed'];

const statusRequest = (token) => ({ method: 'GET', path: STATUS_PATH, headers: { cookie: `psession=${token}` } });

/** The sessions of connection `c` of `connections`: every `connections`-th one from `c`. */
const sliceOf = (tokens, c, connections) => tokens.filter((_, i) => i % connections === c);

/**
 * The autocannon options of one generator, and a function that tells afterwards how many
 * distinct sessions the server saw.
 */
function generatorOptions(generator, tokens, connections) {
  if (generator === 'per-request') {
    let next = 0;
    const requests = [
      {
        method: 'GET',
        path: STATUS_PATH,
        setupRequest(req) {
          req.headers = { ...req.headers, cookie: `psession=${tokens[next++ % tokens.length]}` };
          return req;
        },
      },
    ];
    return { options: { requests }, distinct: () => Math.min(tokens.length, next) };
  }
  // autocannon calls setupClient once per connection, in order: connection c takes
  // slice c (rotating) or session c (fixed). Its own response count tells how far it got.
  const answered = [];
  const sliceLengths = [];
  let nextClient = 0;
  const setupClient = (client) => {
    const c = nextClient++;
    const mine = generator === 'fixed' ? [tokens[c % tokens.length]] : sliceOf(tokens, c % connections, connections);
    sliceLengths[c] = mine.length;
    answered[c] = 0;
    client.setRequests(mine.map(statusRequest));
    client.on('response', () => {
      answered[c] += 1;
    });
  };
  const distinct = () => answered.reduce((sum, n, c) => sum + Math.min(n, sliceLengths[c]), 0);
  return { options: { requests: [statusRequest(tokens[0])], setupClient }, distinct };
}

/**
 * GET /v1/portal/match/status with autocannon, `connections` keep-alive connections in a
 * closed loop, cookies chosen by `generator` (see GENERATORS). `amount` (a request count)
 * replaces `duration` for warm-ups. `watch` names processes whose CPU is reported, so a
 * reader can tell whether the server or this client was the limit.
 */
export async function pollStatus(url, tokens, { connections, duration, amount, generator = 'rotating', watch = {} }) {
  const { options, distinct } = generatorOptions(generator, tokens, connections);
  const cpu = watchCpu(watch);
  const result = await new Promise((resolve, reject) => {
    autocannon(
      { url, connections, pipelining: 1, timeout: 10, ...(amount ? { amount } : { duration }), ...options },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
  });
  return {
    generator,
    connections,
    requestsPerSec: round(result.requests.average, 1),
    totalRequests: result.requests.total,
    durationSec: round(result.duration, 2),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: round(result.latency.average),
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, v]) => [code, v.count])),
    distinctSessions: distinct(),
    cpu: cpu.stop(),
  };
}

/** Interests of the i-th pair-throughput enqueue: one tag of `tags`, every third one two. */
export function pairInterests(tags, i) {
  const first = tags[i % tags.length];
  return i % 3 === 0 ? [first, tags[(i + 1) % tags.length]] : [first];
}

/**
 * Each of `tokens` (fresh sessions) enqueues once on a small set of tags, `concurrency`
 * at a time. Pairs per second = `matched` answers / elapsed seconds.
 */
export async function pairThroughput(client, tokens, { concurrency, tags }) {
  const latencies = new Float64Array(tokens.length);
  const outcomes = { matched: 0, searching: 0 };
  const failures = {};
  const elapsedMs = await runPool(concurrency, tokens.length, async (i) => {
    const reply = await client.send('POST', MATCH_PATH, {
      token: tokens[i],
      body: { interests: pairInterests(tags, i) },
    });
    latencies[i] = reply.ms;
    const state = reply.json?.state;
    if (reply.status === 200 && (state === 'matched' || state === 'searching')) outcomes[state] += 1;
    else tally(failures, describeFailure(reply));
  });
  const seconds = elapsedMs / 1000;
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  return {
    enqueues: tokens.length,
    concurrency,
    tags,
    elapsedSec: round(seconds, 3),
    pairs: outcomes.matched,
    pairsPerSec: round(outcomes.matched / seconds, 1),
    enqueuesPerSec: round(tokens.length / seconds, 1),
    searchingAnswers: outcomes.searching,
    non200: failed,
    failures,
    enqueueLatencyMs: summarize(latencies),
  };
}

/**
 * `iterations` times, `concurrency` at a time: a partner enqueues on a tag of its own
 * (untimed for the target), then the measured session enqueues on the same tag and must
 * be `matched` at once. `tokens` holds 2 × iterations fresh sessions.
 */
export async function partnerLatency(client, tokens, { concurrency, iterations }) {
  const measured = new Float64Array(iterations);
  const partner = new Float64Array(iterations);
  const partnerProblems = {};
  const nonMatched = {};
  const elapsedMs = await runPool(concurrency, iterations, async (i) => {
    const interests = [uniqueTag('l', i)];
    const first = await client.send('POST', MATCH_PATH, { token: tokens[2 * i], body: { interests } });
    partner[i] = first.ms;
    if (first.status !== 200 || first.json?.state !== 'searching') {
      tally(partnerProblems, first.status === 200 ? `200 ${first.json?.state}` : describeFailure(first));
    }
    const second = await client.send('POST', MATCH_PATH, { token: tokens[2 * i + 1], body: { interests } });
    measured[i] = second.ms;
    if (second.status !== 200 || second.json?.state !== 'matched' || second.json?.matched_interest !== interests[0]) {
      tally(nonMatched, second.status === 200 ? `200 ${second.json?.state}` : describeFailure(second));
    }
  });
  const count = (map) => Object.values(map).reduce((a, b) => a + b, 0);
  return {
    iterations,
    concurrency,
    elapsedSec: round(elapsedMs / 1000, 3),
    matchedLatencyMs: summarize(measured),
    nonMatched: count(nonMatched),
    nonMatchedReasons: nonMatched,
    partnerEnqueueLatencyMs: summarize(partner),
    partnerNotSearching: count(partnerProblems),
    partnerProblems,
  };
}
