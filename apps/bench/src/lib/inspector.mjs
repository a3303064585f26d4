// A minimal DevTools-protocol client for a server child started with --inspect: the
// memory part uses it to force a full garbage collection before reading RSS (so the
// figure is what the server holds, not garbage it has yet to collect), to read the V8
// heap's size and to take a heap snapshot. It needs no hook in the server itself.
import { createWriteStream, readFileSync } from 'node:fs';
import WebSocket from 'ws';

const LISTENING = /Debugger listening on (ws:\/\/\S+)/;

/** Connects to the inspector whose "Debugger listening on ws://…" line is in `log`. */
export async function connectInspector(log) {
  const url = LISTENING.exec(log)?.[1];
  if (!url) throw new Error('the server printed no inspector address (was it started with --inspect?)');
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 2 ** 30 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map();
  const listeners = new Map();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString('utf8'));
    if (message.id === undefined) return listeners.get(message.method)?.(message.params);
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) call?.reject(new Error(`${call.method}: ${message.error.message}`));
    else call?.resolve(message.result);
  });
  ws.on('close', () => {
    for (const call of pending.values()) call.reject(new Error(`${call.method}: the inspector closed`));
    pending.clear();
  });

  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { method, resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });

  return {
    /** A full, compacting collection, as DevTools' "collect garbage" button. */
    collectGarbage: () => call('HeapProfiler.collectGarbage'),
    /** `{ usedSize, totalSize }` of the V8 heap, in bytes. */
    heapUsage: () => call('Runtime.getHeapUsage'),
    /** Streams a heap snapshot into `file` (V8's .heapsnapshot JSON). */
    async writeHeapSnapshot(file) {
      const out = createWriteStream(file);
      listeners.set('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => out.write(chunk));
      try {
        await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      } finally {
        listeners.delete('HeapProfiler.addHeapSnapshotChunk');
        await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
      }
    },
    close: () => ws.close(),
  };
}

/**
 * What a heap snapshot holds, grouped as DevTools' Summary view groups it (objects by
 * constructor, then strings, code, arrays… by kind): the `top` groups by shallow size,
 * each `{ name, count, selfMiB }`, and the total.
 */
export function summarizeHeapSnapshot(file, top = 15) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const {
    node_fields: fields,
    node_types: [types],
  } = snapshot.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const { nodes, strings } = snapshot;
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const size = nodes[i + sizeAt];
    total += size;
    const name = type === 'object' || type === 'native' ? strings[nodes[i + nameAt]] : `(${type})`;
    const group = groups.get(name) ?? { name, count: 0, self: 0 };
    group.count += 1;
    group.self += size;
    groups.set(name, group);
  }
  const toMiB = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return {
    totalMiB: toMiB(total),
    nodes: nodes.length / width,
    top: [...groups.values()]
      .sort((a, b) => b.self - a.self)
      .slice(0, top)
      .map((g) => ({ name: g.name, count: g.count, selfMiB: toMiB(g.self) })),
  };
}
