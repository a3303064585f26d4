// The three measurements: status poll (autocannon), pairs per second and
// enqueue→matched latency (custom keep-alive driver).
import autocannon from 'autocannon';
import { describeFailure, runPool, tally } from './client.mjs';
import { round, summarize } from './stats.mjs';

const STATUS_PATH = '/v1/portal/match/status';
const MATCH_PATH = '/v1/portal/match';

/** A tag no other part of the run uses: prefix + base-36 counter (fits ^[a-z0-9]{3,12}$). */
export const uniqueTag = (prefix, n) => `${prefix}${n.toString(36).padStart(6, '0')}`;

/**
 * Puts the status-poll sessions in a realistic mix of states:
 * i % 4 ∈ {0, 1} searching on 1–3 tags of their own (nobody else shares them, so they
 * stay searching), i % 4 = 2 matched in pairs (on a tag per pair), i % 4 = 3 idle.
 * Then reads every session's status back and returns the tally of states.
 */
export async function seedStatusSessions(client, tokens, concurrency) {
  const failures = {};
  const enqueue = async (token, interests, expected) => {
    const reply = await client.send('POST', MATCH_PATH, { token, body: { interests } });
    if (reply.status !== 200 || reply.json?.state !== expected)
      tally(failures, `${describeFailure(reply)} ${reply.json?.state ?? ''}`.trim());
  };

  const searching = tokens.filter((_, i) => i % 4 === 0 || i % 4 === 1);
  await runPool(concurrency, searching.length, (k) => {
    const interests = ['a', 'b', 'c'].slice(0, 1 + (k % 3)).map((suffix) => `${uniqueTag('s', k)}${suffix}`);
    return enqueue(searching[k], interests, 'searching');
  });

  const matched = tokens.filter((_, i) => i % 4 === 2);
  await runPool(concurrency, Math.floor(matched.length / 2), async (pair) => {
    const interests = [uniqueTag('m', pair)];
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
 * GET /v1/portal/match/status with autocannon; every request carries the next
 * session's cookie (rotating over `tokens`), so the server sees many distinct sessions.
 * `amount` (a request count) replaces `duration` for warm-ups.
 */
export async function pollStatus(url, tokens, { connections, duration, amount }) {
  let next = 0;
  const options = {
    url,
    connections,
    pipelining: 1,
    timeout: 10,
    ...(amount ? { amount } : { duration }),
    requests: [
      {
        method: 'GET',
        path: STATUS_PATH,
        setupRequest(req) {
          req.headers = { ...req.headers, cookie: `psession=${tokens[next++ % tokens.length]}` };
          return req;
        },
      },
    ],
  };
  const result = await new Promise((resolve, reject) => {
    autocannon(options, (error, res) => (error ? reject(error) : resolve(res)));
  });
  return {
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
    distinctSessions: Math.min(tokens.length, next),
  };
}

/** Interests of the i-th pair-throughput enqueue: one tag of `tags`, every third one two. */
function pairInterests(tags, i) {
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
