// The PostgreSQL event bus's ceiling (packages/core/src/realtime/postgres-bus.ts) on one
// database: `publishers` instances each publish chat-message events on `portal_events`
// through a pool of their own, and `listeners` instances each LISTEN on one connection
// and receive every event. Events go out at a fixed total rate (an open loop, as in
// open-loop.mjs), stepped up until the publish→receive p99 passes a limit or the rate
// is not sustained. Latency runs from each event's scheduled publish time to its
// arrival at each listener, so queueing for a pool connection, for PostgreSQL's
// notify queue lock or for the listener's socket is all counted.
//
// Every publisher and listener is a worker thread of this process, so that parsing
// 3 × the rate of notifications is not held up behind the publishers' own event loop.
// Their clocks agree: process.hrtime is the machine's monotonic clock in every thread.
//
// Four shapes of publishing:
//   notify:  `SELECT pg_notify(...)`, one statement and commit per event, as the bus's publish();
//   notify_async: the same with synchronous_commit off for the publishing connections (a
//            NOTIFY's commit assigns a transaction id, so it waits for its WAL flush, and
//            PostgreSQL holds one cluster-wide lock from before the commit to after it);
//   message: the message path as built (chats/service.ts send()): the guarded INSERT, its
//            commit, then the bus's pg_notify in a second commit;
//   tx:      the INSERT and the pg_notify in one statement, so one commit (one transaction).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import { watchCpu } from './cpu.mjs';
import { round, summarize } from './stats.mjs';

const CHANNEL = 'portal_events';
export const NOTIFY_SHAPES = ['notify', 'notify_async', 'message', 'tx'];
/** Chats the message shapes insert into, in turn. */
const CHATS = 1000;
/** How long after the last publish the listeners may take to receive the rest. */
const DRAIN_MS = 10_000;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The chats and messages tables as the PostgreSQL migrations make them (only the
// chats' columns the guarded INSERT reads, with the same keys and indexes).
const SCHEMA = `
CREATE TABLE chats (
  id TEXT NOT NULL PRIMARY KEY,
  token TEXT NOT NULL,
  created_at TIMESTAMP(3) NOT NULL,
  expires_at TIMESTAMP(3) NOT NULL,
  ended_at TIMESTAMP(3)
);
CREATE TABLE messages (
  id SERIAL NOT NULL PRIMARY KEY,
  chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
  sender_key TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TIMESTAMP(3) NOT NULL,
  client_id TEXT,
  deleted_at TIMESTAMP(3)
);
CREATE INDEX messages_chat_id_id_idx ON messages (chat_id, id);
CREATE UNIQUE INDEX messages_chat_id_sender_key_client_id_key ON messages (chat_id, sender_key, client_id);
INSERT INTO chats (id, token, created_at, expires_at)
  SELECT gen_random_uuid()::text, md5(i::text), now(), now() + interval '1 day' FROM generate_series(1, ${CHATS}) i;
`;

// chats/service.ts send(): stored only while the chat is active, the chat row share-locked.
const INSERT = `INSERT INTO messages (chat_id, sender_key, text, created_at, client_id)
  SELECT $1, $2, $3, $4, $5
  WHERE EXISTS (SELECT 1 FROM chats WHERE id = $1 AND ended_at IS NULL AND expires_at > $4 FOR SHARE)
  ON CONFLICT (chat_id, sender_key, client_id) DO NOTHING
  RETURNING id`;
const INSERT_AND_NOTIFY = `WITH m AS (${INSERT}) SELECT pg_notify('${CHANNEL}', $6) FROM m`;

/** A message of a typical length (~60 characters). */
const TEXT = 'sounds good, are you going to the concert on saturday night?';

/**
 * The client id (a 32-character random id in the web app) carries the bench's bookkeeping:
 * publisher, step, sequence, scheduled time, and whether it is a warm-up send.
 */
const bookkeeping = (publisher, step, seq, scheduledMs, recorded) =>
  `${publisher}_${step}_${seq}_${scheduledMs.toFixed(3)}${recorded ? '' : '_w'}`;

/** The bus's `message` event, as JSON.stringify makes it (about 270 bytes). */
function messageEvent(chat, id, clientId) {
  return JSON.stringify({
    type: 'message',
    chat: chat.token,
    message: { id, sender: chat.sender, text: TEXT, created_at: new Date().toISOString(), client_id: clientId },
  });
}

// ---------------------------------------------------------------------------------------
// Workers.

async function listenerWorker({ url }) {
  const client = new pg.Client({ connectionString: url });
  // Per step: every arrival counted, the recorded ones' latencies kept.
  const steps = new Map();
  const stepOf = (step) => {
    let s = steps.get(step);
    if (!s) steps.set(step, (s = { received: 0, latency: [] }));
    return s;
  };
  client.on('notification', (note) => {
    const arrived = nowMs();
    // As the bus does: the payload is parsed on arrival.
    const wire = JSON.parse(note.payload);
    const [, step, , scheduled, warmup] = wire.message.client_id.split('_');
    const s = stepOf(Number(step));
    s.received += 1;
    if (warmup === undefined) s.latency.push(arrived - Number(scheduled));
  });
  client.on('error', (error) => parentPort.postMessage({ error: String(error) }));
  await client.connect();
  await client.query(`LISTEN ${CHANNEL}`);
  // This thread's busy time from the step's start to its collection: what receiving the
  // events costs one instance (the pg protocol, JSON.parse, the bookkeeping).
  let busySince;
  parentPort.on('message', async (cmd) => {
    if (cmd.type === 'mark') {
      busySince = performance.eventLoopUtilization();
      parentPort.postMessage({ marked: true });
    } else if (cmd.type === 'count') parentPort.postMessage({ received: stepOf(cmd.step).received });
    else if (cmd.type === 'collect') {
      const s = stepOf(cmd.step);
      steps.delete(cmd.step);
      const busy = performance.eventLoopUtilization(busySince);
      parentPort.postMessage({
        received: s.received,
        latencyMs: summarize(s.latency),
        busyUsPerEvent: round((busy.active * 1000) / s.received, 2),
      });
    } else if (cmd.type === 'stop') {
      await client.end();
      process.exit(0);
    }
  });
  parentPort.postMessage({ ready: true });
}

async function publisherWorker({ url, index, poolSize, chats }) {
  const sender = `s:${randomUUID()}`;
  const myChats = chats.map((chat) => ({ ...chat, sender }));
  const openPool = async (options) => {
    const pool = new pg.Pool({ connectionString: url, max: poolSize, ...options });
    // Every connection open before anything is timed.
    const clients = await Promise.all(Array.from({ length: poolSize }, () => pool.connect()));
    clients.forEach((c) => c.release());
    return pool;
  };
  const pools = { sync: await openPool({}), async: undefined };

  const publish = async (shape, step, seq, scheduledMs, recorded) => {
    const chat = myChats[seq % myChats.length];
    const clientId = bookkeeping(index, step, seq, scheduledMs, recorded);
    const pool = shape === 'notify_async' ? pools.async : pools.sync;
    if (shape === 'notify' || shape === 'notify_async') {
      return pool.query('SELECT pg_notify($1, $2)', [CHANNEL, messageEvent(chat, 1_000_000 + seq, clientId)]);
    }
    const at = new Date();
    if (shape === 'message') {
      const { rows } = await pool.query(INSERT, [chat.id, sender, TEXT, at, clientId]);
      return pool.query('SELECT pg_notify($1, $2)', [CHANNEL, messageEvent(chat, rows[0].id, clientId)]);
    }
    // One statement: the id is not in the payload (the size is as if it were).
    const payload = messageEvent(chat, 1_000_000 + seq, clientId);
    return pool.query(INSERT_AND_NOTIFY, [chat.id, sender, TEXT, at, clientId, payload]);
  };

  parentPort.on('message', async (cmd) => {
    if (cmd.type === 'stop') {
      await Promise.all(Object.values(pools).map((pool) => pool?.end()));
      process.exit(0);
    }
    const { shape, step, rate, warmupSec, durationSec, startAt, phase } = cmd;
    if (shape === 'notify_async') pools.async ??= await openPool({ options: '-c synchronous_commit=off' });
    const intervalMs = 1000 / rate;
    const warmup = Math.round(rate * warmupSec);
    const total = warmup + Math.round(rate * durationSec);
    const lag = new Float64Array(total - warmup);
    const ack = new Float64Array(total - warmup);
    const errors = {};
    let inFlight = 0;
    let maxInFlight = 0;
    let next = 0;
    let drained;
    const begin = startAt + phase * intervalMs;
    const fire = (i, scheduled) => {
      const recorded = i >= warmup;
      if (recorded) lag[i - warmup] = nowMs() - scheduled;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      publish(shape, step, i, scheduled, recorded)
        .catch((error) => {
          const key = String(error.message ?? error).slice(0, 80);
          errors[key] = (errors[key] ?? 0) + 1;
        })
        .finally(() => {
          if (recorded) ack[i - warmup] = nowMs() - scheduled;
          inFlight -= 1;
          if (inFlight === 0 && drained) drained();
        });
    };
    await sleep(Math.max(0, begin - nowMs()));
    let recordStart;
    await new Promise((resolve) => {
      const tick = () => {
        const now = nowMs();
        while (next < total && begin + next * intervalMs <= now) {
          if (next === warmup) recordStart = nowMs();
          fire(next, begin + next * intervalMs);
          next += 1;
        }
        if (next >= total) return resolve();
        setTimeout(tick, Math.max(0, begin + next * intervalMs - nowMs()));
      };
      tick();
    });
    const sendingSec = (nowMs() - (recordStart ?? nowMs())) / 1000;
    if (inFlight > 0) await new Promise((resolve) => (drained = resolve));
    parentPort.postMessage({
      sent: total,
      recorded: total - warmup,
      achievedRate: round((total - warmup) / sendingSec, 1),
      sendLagMs: summarize(lag),
      ackMs: summarize(ack),
      maxInFlight,
      errors,
    });
  });
  parentPort.postMessage({ ready: true });
}

if (!isMainThread && workerData?.role === 'listener') await listenerWorker(workerData);
if (!isMainThread && workerData?.role === 'publisher') await publisherWorker(workerData);

// ---------------------------------------------------------------------------------------
// The coordinator (main thread).

/** A worker of this file and a request/answer channel to it (one request at a time). */
async function startWorker(data) {
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  let pending;
  const errors = [];
  worker.on('message', (message) => {
    if (message.error) return errors.push(message.error);
    const p = pending;
    pending = undefined;
    p?.resolve(message);
  });
  worker.on('error', (error) => pending?.reject(error));
  const ask = (message) =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      if (message) worker.postMessage(message);
    });
  await ask();
  return { worker, ask, errors, stop: () => worker.postMessage({ type: 'stop' }) };
}

/**
 * Steps through `rates` (events/s in total, split evenly over the publishers) for each
 * shape, stopping a shape at the first step whose p99 on some listener passes
 * `limitMs` or whose achieved rate or delivery falls short by more than 5%.
 */
export async function notifyCeiling(
  url,
  { shapes, rates, publishers, listeners, poolSize, warmupSec, durationSec, limitMs, log },
) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(SCHEMA);
  const chats = (await admin.query('SELECT id, token FROM chats ORDER BY id')).rows.map((row) => ({
    id: row.id,
    // The chat token as the bus carries it: 22 base64url characters.
    token: Buffer.from(row.token, 'hex').toString('base64url').slice(0, 22),
  }));
  const sample = messageEvent(
    { ...chats[0], sender: `s:${randomUUID()}` },
    1_234_567,
    bookkeeping(0, 1, 123_456, performance.now(), true),
  );

  const listenerWorkers = [];
  const publisherWorkers = [];
  try {
    for (let i = 0; i < listeners; i++) listenerWorkers.push(await startWorker({ role: 'listener', url }));
    for (let i = 0; i < publishers; i++)
      publisherWorkers.push(await startWorker({ role: 'publisher', url, index: i, poolSize, chats }));

    const results = {};
    let step = 0;
    for (const shape of shapes) {
      results[shape] = [];
      for (const rate of rates) {
        step += 1;
        log(`notify (${shape}): ${rate} events/s for ${durationSec} s after ${warmupSec} s`);
        await admin.query('TRUNCATE messages');
        for (const l of listenerWorkers) await l.ask({ type: 'mark' });
        const startAt = nowMs() + 200;
        const cpu = watchCpu({}, { postgres: true });
        const runs = await Promise.all(
          publisherWorkers.map((p, i) =>
            p.ask({
              type: 'run',
              shape,
              step,
              rate: rate / publishers,
              warmupSec,
              durationSec,
              startAt,
              phase: i / publishers,
            }),
          ),
        );
        const usage = cpu.stop();
        const sent = runs.reduce((a, r) => a + r.sent, 0);
        const queueUsage = Number((await admin.query('SELECT pg_notification_queue_usage() AS u')).rows[0].u);
        // Whatever is still in flight to the listeners gets DRAIN_MS.
        const drainUntil = nowMs() + DRAIN_MS;
        for (const l of listenerWorkers) {
          while ((await l.ask({ type: 'count', step })).received < sent && nowMs() < drainUntil) await sleep(50);
        }
        const received = [];
        for (const l of listenerWorkers) received.push(await l.ask({ type: 'collect', step }));
        const achievedRate = round(
          runs.reduce((a, r) => a + r.achievedRate, 0),
          0,
        );
        const errors = Object.assign({}, ...runs.map((r) => r.errors));
        const worstP99 = Math.max(...received.map((r) => r.latencyMs.p99 ?? Infinity));
        const missing = Math.max(...received.map((r) => sent - r.received));
        const row = {
          targetRate: rate,
          achievedRate,
          sent,
          listeners: received.map((r) => ({
            received: r.received,
            latencyMs: r.latencyMs,
            busyUsPerEvent: r.busyUsPerEvent,
          })),
          worstP99Ms: worstP99,
          missing,
          publishAckMs: worstOf(runs.map((r) => r.ackMs)),
          sendLagMs: worstOf(runs.map((r) => r.sendLagMs)),
          maxInFlight: runs.reduce((a, r) => a + r.maxInFlight, 0),
          errors,
          notifyQueueUsage: queueUsage,
          cpu: usage,
        };
        results[shape].push(row);
        const over = worstP99 > limitMs;
        const short = achievedRate < 0.95 * rate || missing > 0.05 * sent || Object.keys(errors).length > 0;
        log(
          `notify (${shape}): ${achievedRate}/s, p99 ${received.map((r) => r.latencyMs.p99).join(' / ')} ms, ` +
            `postgres ${usage.postgres}% of a core${over || short ? ' — stopping this shape' : ''}`,
        );
        if (over || short) break;
      }
    }
    return {
      shapes,
      publishers,
      listeners,
      poolSize,
      warmupSec,
      durationSec,
      limitMs,
      payloadBytes: Buffer.byteLength(sample),
      samplePayload: sample,
      results,
      // A listening connection that broke: its events are missing, not late.
      listenerErrors: listenerWorkers.flatMap((w) => w.errors),
    };
  } finally {
    for (const w of [...publisherWorkers, ...listenerWorkers]) w.stop();
    await Promise.all(
      [...publisherWorkers, ...listenerWorkers].map((w) => new Promise((resolve) => w.worker.once('exit', resolve))),
    );
    await admin.end();
  }
}

/** Of several summaries, the one with the worst p99 (the publisher that fell furthest behind). */
const worstOf = (summaries) => summaries.reduce((a, b) => ((b.p99 ?? 0) > (a.p99 ?? 0) ? b : a));
