// The server's memory: the resident set (VmRSS) of a fresh API-only instance idle after
// start, with `searchers` sessions queued (each its own session and tag, over REST), and
// with `sockets` more sessions each holding an open WebSocket.
import { statSync } from 'node:fs';
import { createClient, createSessions } from './client.mjs';
import { seedSearchers, rssMiB } from './held.mjs';
import { connectInspector, summarizeHeapSnapshot } from './inspector.mjs';
import { createSocketPool } from './sockets.mjs';
import { round } from './stats.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One reading: RSS once the server has sat still for `settleSec` (what it holds with the
 * garbage it has not collected yet), then RSS and the V8 heap after a forced full
 * collection and a second to hand freed pages back (what it holds, full stop).
 */
async function sample(server, inspector, settleSec) {
  await sleep(settleSec * 1000);
  const settled = rssMiB(server.pid);
  await inspector.collectGarbage();
  await sleep(1000);
  const { usedSize, totalSize } = await inspector.heapUsage();
  return {
    rssMiB: settled,
    rssAfterGcMiB: rssMiB(server.pid),
    heapUsedMiB: round(usedSize / 2 ** 20, 1),
    heapTotalMiB: round(totalSize / 2 ** 20, 1),
  };
}

/**
 * `start()` starts the instance (with --inspect) and resolves with its child; the
 * instance is stopped at the end, and `snapshotFile`, if given, receives a heap snapshot
 * of it at its fullest.
 */
export async function memoryFootprint(start, { searchers, sockets, settleSec, concurrency, snapshotFile, log }) {
  const server = await start();
  const inspector = await connectInspector(server.output());
  const client = createClient(server.url, { maxSockets: concurrency });
  const pool = createSocketPool();
  try {
    log(`memory: idle, settling ${settleSec} s`);
    const idle = await sample(server, inspector, settleSec);

    log(`memory: ${searchers} searchers, each its own session and tag`);
    const { tokens } = await createSessions(client, searchers + sockets, concurrency);
    await seedSearchers(client, tokens.slice(0, searchers), { prefix: 'q', concurrency });
    const queued = await sample(server, inspector, settleSec);

    log(`memory: ${sockets} more sessions, each with an open socket`);
    const socketTokens = tokens.slice(searchers);
    for (let i = 0; i < socketTokens.length; i += concurrency) {
      await Promise.all(socketTokens.slice(i, i + concurrency).map((token) => pool.connect(server.url, token)));
    }
    const withSockets = await sample(server, inspector, settleSec);

    let heap;
    if (snapshotFile) {
      log(`memory: heap snapshot → ${snapshotFile}`);
      await inspector.writeHeapSnapshot(snapshotFile);
      heap = {
        file: snapshotFile,
        sizeMiB: round(statSync(snapshotFile).size / 2 ** 20, 1),
        ...summarizeHeapSnapshot(snapshotFile),
      };
    }
    return { searchers, sockets: pool.size, settleSec, idle, queued, withSockets, heap };
  } finally {
    await pool.closeAll();
    client.close();
    inspector.close();
    await server.stop();
  }
}
