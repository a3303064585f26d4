// What one action costs in CPU, on the server and in PostgreSQL: each action at a fixed
// rate on one instance with `pairs` chats' sockets open and joined, net of the same
// window with the sockets open and nothing sent. The capacity model (docs/scaling.md)
// multiplies these by what people do.
import { performance } from 'node:perf_hooks';
import { createSessions, tally } from './client.mjs';
import { watchCpu } from './cpu.mjs';
import { enqueueStream, openLoop } from './open-loop.mjs';
import { pairInterests } from './scenarios.mjs';
import { createSocketPool, makePairs, openChats } from './sockets.mjs';
import { round } from './stats.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU (% of a core) of the server and PostgreSQL over `durationSec` while `work` runs, after `warmupSec` of it. */
async function measure(watch, { warmupSec, durationSec }, work) {
  const stop = work();
  await sleep(warmupSec * 1000);
  const cpu = watchCpu(watch.cpu, { postgres: watch.postgres });
  await sleep(durationSec * 1000);
  const usage = cpu.stop();
  await stop();
  return usage;
}

/**
 * Sends socket frames of `kind` (`typing` or `message`) at `rate` per second, each from a
 * random member of a random chat, until the returned stop() is called.
 */
function sendFrames(chats, kind, rate, counts) {
  const intervalMs = 1000 / rate;
  const started = performance.now();
  let n = 0;
  let timer;
  let stopped = false;
  const tick = () => {
    const now = performance.now();
    while (started + n * intervalMs <= now) {
      const chat = chats[Math.floor(Math.random() * chats.length)];
      const from = Math.random() < 0.5 ? chat.a : chat.b;
      const frame =
        kind === 'typing'
          ? { type: 'typing', token: chat.token }
          : { type: 'message', token: chat.token, text: `cost ${n}: are you going to the concert on saturday?` };
      from.socket.ws.send(JSON.stringify(frame));
      counts.sent += 1;
      n += 1;
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, started + n * intervalMs - performance.now()));
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await sleep(1000); // what was sent last is delivered before the next window
  };
}

/**
 * @returns {{ pairs, sockets, rate, enqueueRate, baseline, actions: { typing, message, enqueue } }}
 *   each action `{ rate, cpu, serverMsEach, postgresMsEach, ... }`, ms of a core per action.
 */
export async function actionCosts(
  portal,
  client,
  { pairs, rate, enqueueRate, tags, durationSec, warmupSec, concurrency, postgres, log },
) {
  const watch = { cpu: { server: portal.pid }, postgres };
  const timing = { warmupSec, durationSec };
  const enqueues = Math.round(enqueueRate * (warmupSec + durationSec));
  log(`costs: ${2 * pairs + enqueues} sessions, ${pairs} chats`);
  const { tokens } = await createSessions(client, 2 * pairs + enqueues, concurrency);
  const made = await makePairs({ a: client, b: client }, tokens.slice(0, 2 * pairs), { prefix: 'k', concurrency });
  const pool = createSocketPool();
  try {
    const side = { url: portal.url, client };
    const { chats } = await openChats(pool, made, { a: side, b: side }, { concurrency });
    const events = {};
    for (const chat of chats)
      for (const member of [chat.a, chat.b]) member.socket.listener = (event) => tally(events, event.type);

    log(`costs: baseline, ${2 * pairs} sockets open, nothing sent, ${durationSec} s`);
    const baseline = await measure(watch, timing, () => async () => undefined);
    const net = (usage, perSec) => ({
      serverMsEach: round((usage.processes.server - baseline.processes.server) * (10 / perSec), 3),
      postgresMsEach: postgres ? round((usage.postgres - baseline.postgres) * (10 / perSec), 3) : null,
    });

    const actions = {};
    for (const kind of ['typing', 'message']) {
      log(`costs: ${kind} frames at ${rate}/s for ${durationSec} s after ${warmupSec} s`);
      const counts = { sent: 0 };
      const usage = await measure(watch, timing, () => sendFrames(chats, kind, rate, counts));
      actions[kind] = { rate, sent: counts.sent, cpu: usage, ...net(usage, rate) };
    }

    log(`costs: enqueues at ${enqueueRate}/s (open loop) for ${durationSec} s after ${warmupSec} s`);
    const run = await openLoop(
      portal.url,
      [enqueueStream(tokens.slice(2 * pairs), { rate: enqueueRate, interests: (i) => pairInterests(tags, i) })],
      { durationSec, warmupSec, watch },
    );
    const stream = run.streams.enqueue;
    actions.enqueue = {
      rate: enqueueRate,
      outcomes: stream.outcomes,
      failed: stream.failed,
      latencyMs: stream.latencyMs,
      cpu: run.cpu,
      ...net(run.cpu, enqueueRate),
    };
    return { pairs, sockets: pool.size, durationSec, warmupSec, baseline, actions, events };
  } finally {
    await pool.closeAll();
  }
}
