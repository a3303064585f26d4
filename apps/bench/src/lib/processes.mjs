// Starts a server script as a child process on a free port and reads the port from
// its `{"msg":"listening","url":"http://127.0.0.1:PORT"}` log line (like
// apps/web/test/server.ts does for the tests).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const LISTENING = /"msg":"listening","url":"http:\/\/127\.0\.0\.1:(\d+)"/;
const KEEP_LOG_CHARS = 64 * 1024;

/**
 * @param {string} script absolute path of the .mjs to run with this Node
 * @param {Record<string, string>} env added to process.env
 * @param {{ name: string, startTimeoutMs?: number, nodeArgs?: string[] }} options `nodeArgs`
 *   go to Node before the script (e.g. --inspect)
 */
export async function startChild(script, env, { name, startTimeoutMs = 60_000, nodeArgs = [] }) {
  if (!existsSync(script)) throw new Error(`${script} is missing`);
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Only the tail of the log is kept; the pipes are always drained so the child never blocks on them.
  let log = '';
  const append = (chunk) => {
    log += chunk.toString();
    if (log.length > KEEP_LOG_CHARS * 2) log = log.slice(-KEEP_LOG_CHARS);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const port = await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${startTimeoutMs} ms:\n${log}`));
    }, startTimeoutMs);
    const onData = (chunk) => {
      seen += chunk.toString();
      const match = LISTENING.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${log}`));
    });
  });

  let stopping;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    output: () => log,
    /** SIGTERM, then SIGKILL after `graceMs`. Safe to call more than once. */
    stop(graceMs = 8_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        child.stdin.destroy();
        return result;
      })();
      return stopping;
    },
    /** Last resort from a synchronous exit handler. */
    killNow() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
