import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * How often the background connection copies the WAL back into the database file. Each
 * pass moves what the last interval committed; PASSIVE never waits for, nor blocks, the
 * server's reads and writes.
 */
const CHECKPOINT_EVERY_MS = 250;

/**
 * A backstop for the main connection: should the background thread stop, a commit
 * checkpoints again once the WAL holds this many pages (about 40 MB), as SQLite does by
 * default at 1,000.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000;

// CommonJS run by the worker (eval): its own connection to the same file, closed on 'stop'.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyMs });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failing now: the next interval tries again (and the backstop remains).
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Runs SQLite's WAL checkpoints on a worker thread with a connection of its own. A
 * checkpoint ends with an fsync of the database file; run by a commit on the event loop
 * (SQLite's automatic checkpoint, every 1,000 pages: a few times a second under 200
 * enqueues/s) it held every request behind it for 5–15 ms, which was most of the
 * enqueue's p99 at a fixed arrival rate.
 */
export function startCheckpointer(file: string, busyMs: number): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file, busyMs, everyMs: CHECKPOINT_EVERY_MS },
  });
  // The process may exit without stopping it; a failed worker leaves the backstop in charge.
  worker.unref();
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        worker.postMessage('stop');
        const timer = setTimeout(() => void worker.terminate(), busyMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
