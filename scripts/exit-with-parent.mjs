// Preloaded (`node --import`) into every server a test run starts, by apps/web/test
// and the Playwright config: when the process that started the server is gone
// (killed by a signal, crashed, or its run was interrupted), the server shuts itself
// down instead of living on without a parent. No production code path loads it.
const parent = process.ppid;
const watcher = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watcher);
  process.stderr.write(`${JSON.stringify({ level: 'warn', msg: 'test runner gone: stopping', parent })}\n`);
  // The server's own SIGTERM handler drains and exits; this is the backstop.
  setTimeout(() => process.exit(1), 15_000).unref();
  process.kill(process.pid, 'SIGTERM');
}, 200);
watcher.unref();
