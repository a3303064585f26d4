// The API benchmark: the production server (apps/web/dist/server.mjs) against a bare
// node:http server, in one run. `bash scripts/bench.sh` builds first and runs this.
// Two parts: the HTTP API (status poll, pairs/s, enqueue→matched) and the live socket
// (message send→partner receive, pair made→matched push; across two instances on --pg).
//
// A third part measures cheap polling (SPEC §9): 10,000 status requests held at once on
// one instance, and a searching person's server CPU per minute, long-polling vs polling.
// A fourth sends enqueues and status polls at a fixed rate (an open loop) and reports
// their latency from each request's scheduled send time; a fifth measures the memory
// of a fresh API-only instance, idle, with 10,000 searchers and with 2,000 sockets.
// A sixth, only when asked for (--only=notify), finds the ceiling of the PostgreSQL
// event bus on one database: NOTIFY events/s from several instances' pools to several
// listening instances, stepped up until the publish→receive p99 passes 50 ms. A seventh,
// also only when asked for (--only=costs), measures what one typing notice, one socket
// message and one enqueue cost the server and the database in CPU.
//
//   node apps/bench/src/run.mjs [--pg] [--quick] [--only=<part>] … (see USAGE)
//
// Writes bench/results/<ISO stamp>-<sqlite|postgresql>.json (…-quick.json for --quick,
// …-<part>.json for --only).
// Exits non-zero only when something crashes, never for a missed target.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, createSessions } from './lib/client.mjs';
import { actionCosts } from './lib/costs.mjs';
import { memoryFootprint } from './lib/memory.mjs';
import { enqueueStream, openLoop, statusStream } from './lib/open-loop.mjs';
import { heldRequests, searcherCost } from './lib/held.mjs';
import { NOTIFY_SHAPES, notifyCeiling } from './lib/notify.mjs';
import { createScratchDatabase, DEFAULT_ADMIN_URL } from './lib/postgres.mjs';
import { startChild } from './lib/processes.mjs';
import { evaluateTargets, formatReport, TARGETS } from './lib/report.mjs';
import {
  GENERATORS,
  pairInterests,
  partnerLatency,
  pairThroughput,
  pollStatus,
  seedStatusSessions,
} from './lib/scenarios.mjs';
import { createSocketPool, fakePairs, makePairs, matchedPush, messageLatency, openChats } from './lib/sockets.mjs';
import { round } from './lib/stats.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '../../..');
const PORTAL_SERVER = join(ROOT, 'apps/web/dist/server.mjs');
const BARE_SERVER = join(HERE, 'bare-server.mjs');
const RESULTS_DIR = join(ROOT, 'bench/results');

const PARTS = ['api', 'open', 'sockets', 'held', 'memory'];
/** Parts run only when named with --only. */
const EXTRA_PARTS = ['notify', 'costs'];
const NOTIFY_RATES = [1000, 2000, 3000, 5000, 6000, 7000, 8000, 9000, 10000, 12500, 15000, 20000, 30000, 40000];

const USAGE = `usage: node apps/bench/src/run.mjs [--pg] [--quick] [--only=api|open|sockets|held|memory|notify|costs] [--limits]
                                     [--duration=<s>] [--open-duration=<s>] [--enqueue-rate=<n>] [--poll-rate=<n>]
                                     [--socket-duration=<s>] [--held-duration=<s>] [--heap-snapshot] [--server=<file>]
                                     [--memory-sockets=<n>] [--notify-rates=<n,…>] [--notify-shapes=<shape,…>]
                                     [--notify-duration=<s>]
  --pg              PostgreSQL instead of SQLite: scratch databases created through
                    ${DEFAULT_ADMIN_URL} (BENCH_PG_ADMIN_URL overrides), dropped at the end;
                    the socket scenarios then also run across two server instances
  --only=<part>     one part (default: all five):
                    api: status poll (closed loop, 50 connections; the bare server under each
                         load generator), pairs/s and enqueue→matched;
                    open: enqueues and status polls at a fixed rate, latency from each
                         request's scheduled send time (and the same polls against the bare server);
                    sockets: the live-socket scenarios;
                    held: cheap polling (10,000 held status requests, and CPU per
                         searcher-minute, long-poll vs 1-second polling);
                    memory: RSS of a fresh API-only instance idle, with 10,000 searchers
                         queued and with 2,000 sockets more;
                    notify (only when asked for, always PostgreSQL, no server): the event bus's
                         ceiling on one database, 3 publishing instances' pools (PG_POOL_SIZE
                         each, default 10) and 3 listening instances, at fixed rates stepped up
                         until the publish→receive p99 passes 50 ms;
                    costs (only when asked for): CPU per typing notice, socket message and
                         enqueue on one instance (server and PostgreSQL), 1,000 sockets open,
                         net of the same window with nothing sent
  --duration=<s>    closed-loop status-poll duration per run (default 10, or 2 with --quick)
  --open-duration=<s>
                    open-loop duration per server, after 2 s of warm-up (default 20, or 3 with --quick)
  --enqueue-rate=<n>, --poll-rate=<n>
                    open-loop arrivals per second (default 200 enqueues, 2000 status polls)
  --socket-duration=<s>
                    socket message-rate duration per setup (default 10, or 3 with --quick)
  --held-duration=<s>
                    CPU window per polling mode in the held part (default 60, or 5 with --quick)
  --memory-sockets=<n>
                    memory part: sockets opened after the searchers (default 2000)
  --notify-rates=<n,…>
                    notify part: total events/s of each step (default ${NOTIFY_RATES.join(',')})
  --notify-shapes=<shape,…>
                    notify part: what each event costs the publisher (default all):
                         notify: SELECT pg_notify, one commit each, as the bus publishes;
                         notify_async: the same, synchronous_commit off on those connections;
                         message: the message path as built, the guarded INSERT then pg_notify;
                         tx: the INSERT and pg_notify in one statement (one commit)
  --notify-duration=<s>
                    notify part: seconds per step, after 2 s of warm-up (default 8, or 2 with --quick)
  --heap-snapshot   memory part: also write a heap snapshot of the instance at its fullest
                    next to the results, and list what holds the most
  --server=<file>   the server bundle to measure (default apps/web/dist/server.mjs); a copy
                    kept in apps/web/dist measures an older build back to back with the new
  --limits          keep the rate limits on, every one raised out of reach: measures what
                    counting costs (on PostgreSQL the shared counters are database writes)
  --quick           tiny counts: a smoke run whose numbers mean nothing`;

const RAISED_LIMITS = Object.fromEntries([
  ['PORTAL_RATE_LIMITS', 'on'],
  ...[
    'RATE_LIMIT_PER_MINUTE',
    'RATE_LIMIT_SESSIONS_PER_MINUTE',
    'RATE_LIMIT_REGISTER_PER_HOUR',
    'RATE_LIMIT_LOGIN_PER_MINUTE',
    'RATE_LIMIT_LOGIN_FAILURES_PER_HOUR',
    'RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR',
    'RATE_LIMIT_ENQUEUE_PER_MINUTE',
    'RATE_LIMIT_ENQUEUE_PER_IP_PER_MINUTE',
    'RATE_LIMIT_MESSAGES_PER_MINUTE',
    'RATE_LIMIT_MESSAGES_PER_IP_PER_MINUTE',
  ].map((name) => [name, '1000000000']),
]);

class UsageError extends Error {}

function parseArgs(argv) {
  const args = {
    pg: false,
    quick: false,
    limits: false,
    duration: undefined,
    socketDuration: undefined,
    heldDuration: undefined,
    openDuration: undefined,
    enqueueRate: 200,
    pollRate: 2000,
    heapSnapshot: false,
    memorySockets: undefined,
    notifyRates: NOTIFY_RATES,
    notifyShapes: NOTIFY_SHAPES,
    notifyDuration: undefined,
    server: PORTAL_SERVER,
    only: undefined,
  };
  const positive = (what) => (arg, flag) => {
    const value = Number(arg.slice(flag.length + 1));
    if (!(value > 0)) throw new UsageError(`${flag} wants a positive ${what}: ${arg}`);
    return value;
  };
  const seconds = positive('number of seconds');
  const rate = positive('rate per second');
  for (const arg of argv) {
    if (arg === '--pg') args.pg = true;
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--limits') args.limits = true;
    else if (arg.startsWith('--duration=')) args.duration = seconds(arg, '--duration');
    else if (arg.startsWith('--socket-duration=')) args.socketDuration = seconds(arg, '--socket-duration');
    else if (arg.startsWith('--held-duration=')) args.heldDuration = seconds(arg, '--held-duration');
    else if (arg.startsWith('--open-duration=')) args.openDuration = seconds(arg, '--open-duration');
    else if (arg.startsWith('--enqueue-rate=')) args.enqueueRate = rate(arg, '--enqueue-rate');
    else if (arg.startsWith('--poll-rate=')) args.pollRate = rate(arg, '--poll-rate');
    else if (arg === '--heap-snapshot') args.heapSnapshot = true;
    else if (arg.startsWith('--memory-sockets=')) args.memorySockets = positive('count')(arg, '--memory-sockets');
    else if (arg.startsWith('--notify-duration=')) args.notifyDuration = seconds(arg, '--notify-duration');
    else if (arg.startsWith('--notify-rates=')) {
      args.notifyRates = arg.slice('--notify-rates='.length).split(',').map(Number);
      if (!args.notifyRates.every((n) => n > 0)) throw new UsageError(`--notify-rates wants rates per second: ${arg}`);
    } else if (arg.startsWith('--notify-shapes=')) {
      args.notifyShapes = arg.slice('--notify-shapes='.length).split(',');
      const unknown = args.notifyShapes.filter((shape) => !NOTIFY_SHAPES.includes(shape));
      if (unknown.length > 0) throw new UsageError(`--notify-shapes wants some of ${NOTIFY_SHAPES.join(', ')}: ${arg}`);
    } else if (arg.startsWith('--server=')) args.server = resolve(arg.slice('--server='.length));
    else if (arg.startsWith('--only=')) {
      args.only = arg.slice('--only='.length);
      if (![...PARTS, ...EXTRA_PARTS].includes(args.only))
        throw new UsageError(`--only wants one of ${[...PARTS, ...EXTRA_PARTS].join(', ')}: ${arg}`);
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  // The bus's ceiling is PostgreSQL's.
  if (args.only === 'notify') args.pg = true;
  return args;
}

function settingsFor(args) {
  const quick = args.quick;
  return {
    quick,
    connections: 50,
    durationSec: args.duration ?? (quick ? 2 : 10),
    warmupRequests: quick ? 500 : 5_000,
    statusSessions: quick ? 200 : 2_000,
    pairEnqueues: quick ? 400 : 10_000,
    pairTags: ['music', 'games', 'books', 'films'],
    partnerIterations: quick ? 100 : 5_000,
    sessionCreateConcurrency: 50,
    parts: args.only ? [args.only] : PARTS,
    // Live sockets: `socketPairs` chats with both members' sockets open and joined.
    socketPairs: quick ? 100 : 500,
    socketOpenConcurrency: 50,
    messageRate: 200,
    messageDurationSec: args.socketDuration ?? (quick ? 3 : 10),
    messageWarmupSec: quick ? 0.5 : 2,
    lostAfterMs: 5_000,
    pushIterations: quick ? 50 : 500,
    pushRate: 50,
    pushConcurrency: 10,
    // Cheap polling: `heldRequests` searching sessions each hold GET status?wait=`heldWait`
    // (re-held on every 304); `heldSample` of them are matched at `heldRate`/s.
    heldRequests: quick ? 500 : 10_000,
    heldWait: 30,
    heldRampBatch: quick ? 250 : 1000,
    heldQuietSec: quick ? 1 : 5,
    heldSample: quick ? 50 : 500,
    heldRate: 50,
    heldConcurrency: 10,
    // Then `costSearchers` searching sessions poll in each mode for `costDurationSec`.
    costSearchers: quick ? 50 : 300,
    costDurationSec: args.heldDuration ?? (quick ? 5 : 60),
    costWarmupSec: quick ? 1 : 5,
    // Open loop: fresh sessions enqueue at `openEnqueueRate`/s on `pairTags` while
    // `openStatusSessions` seeded sessions are polled at `openPollRate`/s in turn.
    openEnqueueRate: args.enqueueRate,
    openPollRate: args.pollRate,
    openDurationSec: args.openDuration ?? (quick ? 3 : 20),
    openWarmupSec: quick ? 1 : 2,
    openStatusSessions: quick ? 200 : 2_000,
    // Memory: a fresh instance; `memorySearchers` queued, then `memorySockets` sockets more.
    memorySearchers: quick ? 500 : 10_000,
    memorySockets: args.memorySockets ?? (quick ? 100 : 2_000),
    memorySettleSec: quick ? 1 : 5,
    // The bus's ceiling: `notifyPublishers` instances' pools publish, `notifyListeners`
    // instances listen; each step at a fixed total rate, stopped past `notifyLimitMs` p99.
    notifyShapes: args.notifyShapes,
    notifyRates: quick ? [1000, 2000] : args.notifyRates,
    notifyPublishers: 3,
    notifyListeners: 3,
    notifyPoolSize: Number(process.env.PG_POOL_SIZE ?? 10),
    notifyWarmupSec: quick ? 1 : 2,
    notifyDurationSec: args.notifyDuration ?? (quick ? 2 : 8),
    notifyLimitMs: 50,
    // Costs: `costsPairs` chats with both sockets joined; typing notices and messages at
    // `costsRate`/s, enqueues at `costsEnqueueRate`/s, each for `costsDurationSec`.
    costsPairs: quick ? 50 : 500,
    costsRate: quick ? 100 : 500,
    costsEnqueueRate: quick ? 50 : 200,
    costsDurationSec: quick ? 2 : 10,
    costsWarmupSec: quick ? 1 : 2,
  };
}

function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAvgStart: os.loadavg().map((n) => round(n, 2)),
  };
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

// Everything to undo, newest first; run on success, on error and on SIGINT/SIGTERM.
const cleanups = [];
const children = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const [what, fn] = cleanups.pop();
      try {
        await fn();
      } catch (error) {
        log(`cleanup (${what}) failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaning;
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    log(`${signal}: stopping servers`);
    void cleanup().finally(() => process.exit(code));
  });
}
// A synchronous last resort if the process exits any other way.
process.once('exit', () => children.forEach((child) => child.killNow()));

/** Status poll, pairs per second and enqueue→matched latency (HTTP only). */
async function apiScenarios(settings, { bare, portal, client }) {
  // Every session, before anything is timed.
  const totalSessions = settings.statusSessions + settings.pairEnqueues + 2 * settings.partnerIterations;
  log(`creating ${totalSessions} sessions`);
  const created = await createSessions(client, totalSessions, settings.sessionCreateConcurrency);
  const statusTokens = created.tokens.slice(0, settings.statusSessions);
  const pairTokens = created.tokens.slice(settings.statusSessions, settings.statusSessions + settings.pairEnqueues);
  const partnerTokens = created.tokens.slice(settings.statusSessions + settings.pairEnqueues);
  const sessions = {
    created: totalSessions,
    elapsedSec: round(created.elapsedMs / 1000, 2),
    perSec: round(totalSessions / (created.elapsedMs / 1000), 1),
  };

  // 1. Status poll.
  log(`seeding ${statusTokens.length} status-poll sessions`);
  const seeded = await seedStatusSessions(client, statusTokens, settings.connections);
  if (Object.keys(seeded.seedFailures).length > 0) log(`seeding surprises: ${JSON.stringify(seeded.seedFailures)}`);
  const pollOptions = { connections: settings.connections, duration: settings.durationSec };
  const statusPoll = { sessions: statusTokens.length, seededStates: seeded.states, seedFailures: seeded.seedFailures };
  const poll = async (name, server, generator) => {
    log(
      `status poll: ${name} (${generator}), warm-up ${settings.warmupRequests} requests, then ${settings.durationSec} s`,
    );
    await pollStatus(server.url, statusTokens, { ...pollOptions, generator, amount: settings.warmupRequests });
    return pollStatus(server.url, statusTokens, { ...pollOptions, generator, watch: { server: server.pid } });
  };
  // Both servers under the same generator. Then the bare server under the old generator
  // and under one fixed cookie per connection: the first shows what the old figure was
  // held back by, the second the ceiling this client reaches at all.
  statusPoll.bare = await poll('bare', bare, 'rotating');
  statusPoll.portal = await poll('portal', portal, 'rotating');
  statusPoll.ratio = round(statusPoll.portal.requestsPerSec / statusPoll.bare.requestsPerSec, 4);
  statusPoll.bareGenerators = {};
  for (const generator of GENERATORS.filter((g) => g !== 'rotating'))
    statusPoll.bareGenerators[generator] = await poll('bare', bare, generator);

  // 2. Pairs per second.
  log(`pairs: ${pairTokens.length} enqueues, ${settings.connections} concurrent`);
  const pairs = await pairThroughput(client, pairTokens, {
    concurrency: settings.connections,
    tags: settings.pairTags,
  });

  // 3. Enqueue→matched latency with a partner waiting.
  log(`partner waiting: ${settings.partnerIterations} pairs, ${settings.connections} concurrent`);
  const partner = await partnerLatency(client, partnerTokens, {
    concurrency: settings.connections,
    iterations: settings.partnerIterations,
  });

  return { sessions, statusPoll, pairs, partner };
}

/**
 * The open loop: enqueues (fresh sessions, shared tags) and status polls (seeded sessions
 * in turn) at fixed rates against Portal, then the same status polls alone against the
 * bare server. Latency runs from each request's scheduled send time.
 */
async function openScenarios(settings, { bare, portal, client, database }) {
  const enqueues = Math.round(settings.openEnqueueRate * (settings.openWarmupSec + settings.openDurationSec));
  log(`open loop: creating ${settings.openStatusSessions + enqueues} sessions`);
  const { tokens } = await createSessions(
    client,
    settings.openStatusSessions + enqueues,
    settings.sessionCreateConcurrency,
  );
  const statusTokens = tokens.slice(0, settings.openStatusSessions);
  const enqueueTokens = tokens.slice(settings.openStatusSessions);
  // A tag prefix of its own: the closed loop's seeded searchers must not match these.
  const seeded = await seedStatusSessions(client, statusTokens, settings.connections, 'o');
  if (Object.keys(seeded.seedFailures).length > 0) log(`seeding surprises: ${JSON.stringify(seeded.seedFailures)}`);
  const timing = { durationSec: settings.openDurationSec, warmupSec: settings.openWarmupSec };
  const status = statusStream(statusTokens, { rate: settings.openPollRate });

  log(
    `open loop: Portal, ${settings.openEnqueueRate} enqueues/s and ${settings.openPollRate} status polls/s ` +
      `for ${settings.openDurationSec} s after ${settings.openWarmupSec} s`,
  );
  const enqueue = enqueueStream(enqueueTokens, {
    rate: settings.openEnqueueRate,
    interests: (i) => pairInterests(settings.pairTags, i),
  });
  const portalRun = await openLoop(portal.url, [enqueue, status], {
    ...timing,
    watch: { cpu: { server: portal.pid }, postgres: database === 'postgresql' },
  });
  log(`open loop: bare server, ${settings.openPollRate} status polls/s`);
  const bareRun = await openLoop(bare.url, [status], { ...timing, watch: { cpu: { server: bare.pid } } });
  return {
    statusSessions: statusTokens.length,
    seededStates: seeded.states,
    tags: settings.pairTags,
    portal: portalRun,
    bare: bareRun,
  };
}

/**
 * Memory of a fresh API-only instance on a database of its own (see lib/memory.mjs).
 * Started with --inspect so the bench can force a collection before each reading.
 */
async function memoryScenario(settings, { args, serverEnv, newDatabase, database, stamp }) {
  const url = await newDatabase('memory');
  const start = async () => {
    const server = await startChild(
      args.server,
      { ...serverEnv, DATABASE_URL: url },
      {
        name: `Portal server (memory, ${database})`,
        nodeArgs: ['--inspect=127.0.0.1:0'],
      },
    );
    children.push(server);
    cleanups.push(['stop the memory instance', () => server.stop()]);
    return server;
  };
  return memoryFootprint(start, {
    searchers: settings.memorySearchers,
    sockets: settings.memorySockets,
    settleSec: settings.memorySettleSec,
    concurrency: settings.sessionCreateConcurrency,
    snapshotFile: args.heapSnapshot ? join(RESULTS_DIR, `${stamp}-${database}.heapsnapshot`) : undefined,
    log,
  });
}

/**
 * The live sockets: message latency with `socketPairs` chats open (the bare ws relay
 * first, as the floor), then the matched push; on PostgreSQL both again with a second
 * instance, each chat's two members on different instances.
 */
async function socketScenarios(settings, { bare, portal, client, database, serverEnv, serverScript }) {
  const pool = createSocketPool();
  cleanups.push(['close sockets', () => pool.closeAll()]);
  const postgres = database === 'postgresql';
  const messageOptions = {
    rate: settings.messageRate,
    durationSec: settings.messageDurationSec,
    warmupSec: settings.messageWarmupSec,
    lostAfterMs: settings.lostAfterMs,
  };
  const concurrency = settings.socketOpenConcurrency;
  const sockets = {};

  // The floor: the same client, sockets and rate against a relay that does nothing else.
  const bareClient = createClient(bare.url, { maxSockets: settings.connections });
  cleanups.push(['close bare HTTP client', () => bareClient.close()]);
  const bareSide = { url: bare.url, client: bareClient };
  log(`sockets: bare ws relay, ${2 * settings.socketPairs} sockets`);
  const bareChats = await openChats(
    pool,
    fakePairs(settings.socketPairs),
    { a: bareSide, b: bareSide },
    { concurrency },
  );
  log(`sockets: bare ws relay, ${settings.messageRate} msg/s for ${settings.messageDurationSec} s`);
  sockets.bare = {
    openSec: round(bareChats.elapsedMs / 1000, 2),
    messages: await messageLatency(bareChats.chats, { ...messageOptions, watch: { cpu: { server: bare.pid } } }),
  };
  await pool.closeAll();

  const one = { url: portal.url, client };
  sockets.oneInstance = await portalSockets(
    settings,
    pool,
    { a: one, b: one },
    {
      label: 'one instance',
      prefixes: { pairs: 'wa', push: 'wp' },
      watch: { cpu: { server: portal.pid }, postgres },
    },
  );

  if (postgres) {
    const second = await startChild(serverScript, serverEnv, { name: `Portal server 2 (${database})` });
    children.push(second);
    cleanups.push(['stop Portal server 2', () => second.stop()]);
    const client2 = createClient(second.url, { maxSockets: settings.connections });
    cleanups.push(['close HTTP client 2', () => client2.close()]);
    log(`second Portal server ${second.url}`);
    sockets.crossInstance = await portalSockets(
      settings,
      pool,
      { a: one, b: { url: second.url, client: client2 } },
      {
        label: 'across two instances',
        prefixes: { pairs: 'xa', push: 'xp' },
        watch: { cpu: { server: portal.pid, server2: second.pid }, postgres },
      },
    );
  }
  return sockets;
}

/**
 * Cheap polling (SPEC §9) on one instance: `heldRequests` status requests held at once
 * (RSS, CPU, time from a match to the held answer), then a searcher's CPU per minute
 * when it long-polls versus when it polls every second.
 */
async function heldScenarios(settings, { portal, client, database }) {
  const postgres = database === 'postgresql';
  const total = settings.heldRequests + settings.heldSample + settings.costSearchers;
  log(`held: creating ${total} sessions`);
  const { tokens } = await createSessions(client, total, settings.sessionCreateConcurrency);
  const partners = tokens.slice(settings.heldRequests, settings.heldRequests + settings.heldSample);
  log(
    `held: ${settings.heldRequests} searching sessions each hold GET status?wait=${settings.heldWait}, ` +
      `then ${settings.heldSample} of them are matched at ${settings.heldRate}/s`,
  );
  const requests = await heldRequests(portal, client, tokens.slice(0, settings.heldRequests), partners, {
    wait: settings.heldWait,
    rampBatch: settings.heldRampBatch,
    quietSec: settings.heldQuietSec,
    sample: settings.heldSample,
    rate: settings.heldRate,
    concurrency: settings.heldConcurrency,
    postgres,
  });
  log(
    `held: CPU per searcher-minute, ${settings.costSearchers} searchers, ${settings.costDurationSec} s per mode ` +
      `after ${settings.costWarmupSec} s`,
  );
  const cost = await searcherCost(portal, client, tokens.slice(settings.heldRequests + settings.heldSample), {
    wait: settings.heldWait,
    durationSec: settings.costDurationSec,
    warmupSec: settings.costWarmupSec,
    postgres,
  });
  return { requests, cost };
}

/** Message latency and matched push against Portal, side A on `sides.a`, side B on `sides.b`. */
async function portalSockets(settings, pool, sides, { label, prefixes, watch }) {
  const chats = settings.socketPairs;
  const pushes = settings.pushIterations;
  const concurrency = settings.socketOpenConcurrency;
  log(`sockets (${label}): ${2 * chats + 2 * pushes} sessions, ${chats} pairs`);
  const created = await createSessions(sides.a.client, 2 * chats + 2 * pushes, settings.sessionCreateConcurrency);
  const pairs = await makePairs({ a: sides.a.client, b: sides.b.client }, created.tokens.slice(0, 2 * chats), {
    prefix: prefixes.pairs,
    concurrency,
  });
  log(`sockets (${label}): opening and joining ${2 * chats} sockets`);
  const opened = await openChats(pool, pairs, sides, { concurrency });
  log(`sockets (${label}): ${settings.messageRate} msg/s for ${settings.messageDurationSec} s`);
  const messages = await messageLatency(opened.chats, {
    rate: settings.messageRate,
    durationSec: settings.messageDurationSec,
    warmupSec: settings.messageWarmupSec,
    lostAfterMs: settings.lostAfterMs,
    watch,
  });
  log(
    `sockets (${label}): matched push, ${pushes} pairs at ${settings.pushRate}/s, ` +
      `at most ${settings.pushConcurrency} at a time`,
  );
  const push = await matchedPush(pool, created.tokens.slice(2 * chats), {
    a: sides.a,
    b: sides.b,
    iterations: pushes,
    rate: settings.pushRate,
    concurrency: settings.pushConcurrency,
    prefix: prefixes.push,
    timeoutMs: settings.lostAfterMs,
    watch,
  });
  await pool.closeAll();
  return { openSec: round(opened.elapsedMs / 1000, 2), messages, push };
}

async function main(args) {
  const settings = settingsFor(args);
  const database = args.pg ? 'postgresql' : 'sqlite';
  const machine = machineInfo();
  const started = new Date();
  mkdirSync(RESULTS_DIR, { recursive: true });

  // A database per server started: a scratch PostgreSQL database, or a file in one
  // temporary folder. All of them go at the end.
  let tempDir;
  const newDatabase = async (label) => {
    if (args.pg) {
      const scratch = await createScratchDatabase(process.env.BENCH_PG_ADMIN_URL || DEFAULT_ADMIN_URL);
      cleanups.push([`drop database ${scratch.name}`, () => scratch.drop()]);
      machine.postgres = scratch.serverVersion;
      log(`PostgreSQL database ${scratch.name} (${label})`);
      return scratch.url;
    }
    if (!tempDir) {
      const dir = mkdtempSync(join(os.tmpdir(), 'portal-bench-'));
      cleanups.push([`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true })]);
      tempDir = dir;
    }
    return `file:${join(tempDir, `${label}.db`)}`;
  };

  // The servers.
  const serverEnv = {
    PORTAL_API_ONLY: 'true',
    LOG_LEVEL: 'info',
    PG_POOL_SIZE: process.env.PG_POOL_SIZE ?? '20',
    // Status-poll sessions must stay `searching` for the whole run.
    MATCH_QUEUE_TTL_SECONDS: '3600',
    SHUTDOWN_GRACE_SECONDS: '3',
    // No balancer in front: SIGTERM closes at once.
    SHUTDOWN_DRAIN_SECONDS: '0',
    // Every request comes from one IP and each session is polled often: a load test
    // turns the rate limits off (the server logs a warning saying so), or with
    // --limits raises each one out of reach, so that counting still happens.
    ...(args.limits ? RAISED_LIMITS : { PORTAL_RATE_LIMITS: 'off' }),
    // The socket caps are connection limits, on whatever PORTAL_RATE_LIMITS says: every
    // benchmark socket comes from 127.0.0.1, so the per-IP cap is raised out of reach.
    SOCKET_MAX_PER_IP: '1000000',
  };
  const stamp = started.toISOString().replace(/:/g, '-');
  const results = {};
  // Every part but memory (which starts its own instance) and notify (no server at all)
  // shares the bare server and one Portal instance.
  if (settings.parts.some((part) => part !== 'memory' && part !== 'notify')) {
    const bare = await startChild(BARE_SERVER, {}, { name: 'bare node:http server' });
    children.push(bare);
    cleanups.push(['stop bare server', () => bare.stop()]);
    const env = { ...serverEnv, DATABASE_URL: await newDatabase('bench') };
    const portal = await startChild(args.server, env, { name: `Portal server (${database})` });
    children.push(portal);
    cleanups.push(['stop Portal server', () => portal.stop()]);
    log(`bare server ${bare.url}, Portal server ${portal.url} (${database})`);

    const client = createClient(portal.url, { maxSockets: settings.connections });
    cleanups.push(['close HTTP client', () => client.close()]);
    const servers = { bare, portal, client, database };
    if (settings.parts.includes('api')) Object.assign(results, await apiScenarios(settings, servers));
    if (settings.parts.includes('open')) results.open = await openScenarios(settings, servers);
    if (settings.parts.includes('sockets'))
      results.sockets = await socketScenarios(settings, { ...servers, serverEnv: env, serverScript: args.server });
    if (settings.parts.includes('held')) results.held = await heldScenarios(settings, servers);
    if (settings.parts.includes('costs'))
      results.costs = await actionCosts(portal, client, {
        pairs: settings.costsPairs,
        rate: settings.costsRate,
        enqueueRate: settings.costsEnqueueRate,
        tags: settings.pairTags,
        durationSec: settings.costsDurationSec,
        warmupSec: settings.costsWarmupSec,
        concurrency: settings.sessionCreateConcurrency,
        postgres: database === 'postgresql',
        log,
      });
  }
  if (settings.parts.includes('memory'))
    results.memory = await memoryScenario(settings, { args, serverEnv, newDatabase, database, stamp });
  if (settings.parts.includes('notify'))
    results.notify = await notifyCeiling(await newDatabase('notify'), {
      shapes: settings.notifyShapes,
      rates: settings.notifyRates,
      publishers: settings.notifyPublishers,
      listeners: settings.notifyListeners,
      poolSize: settings.notifyPoolSize,
      warmupSec: settings.notifyWarmupSec,
      durationSec: settings.notifyDurationSec,
      limitMs: settings.notifyLimitMs,
      log,
    });

  machine.loadAvgEnd = os.loadavg().map((n) => round(n, 2));
  const report = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    database,
    git: gitInfo(),
    machine,
    settings: { ...settings, targets: TARGETS, serverEnv: { ...serverEnv, DATABASE_URL: undefined } },
    results,
    targets: evaluateTargets(results, database),
  };

  console.log(formatReport(report));
  const only = settings.parts.length === 1 ? `-${settings.parts[0]}` : '';
  const file = join(
    RESULTS_DIR,
    `${stamp}-${database}${only}${args.limits ? '-limits' : ''}${settings.quick ? '-quick' : ''}.json`,
  );
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nResults: ${relative(ROOT, file)}`);
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  process.exit(2);
}

let exitCode = 0;
try {
  await main(args);
} catch (error) {
  exitCode = 1;
  log(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  for (const portal of children.filter((child) => child.name.startsWith('Portal')))
    log(`${portal.name} log (tail):\n${portal.output().slice(-4000)}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
