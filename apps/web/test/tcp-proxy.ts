// A TCP proxy in front of the machine's PostgreSQL, so that a test can take the
// database away from a running Portal and give it back, without touching the
// server itself (other suites and engineers share it).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  /** Like a crashed database: every connection is dropped and new ones are refused. */
  cut(): Promise<void>;
  /** Like a database that hangs: connections are accepted and then nothing ever answers. */
  blackhole(): Promise<void>;
  /** Connections go through again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A proxy to the server a PostgreSQL URL names. */
export function proxyFor(url: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(url);
  return startTcpProxy({ host: hostname || '127.0.0.1', port: Number(port || 5432) });
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let mode: 'forward' | 'blackhole' = 'forward';
  let server: Server | undefined;
  let port = 0;

  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const onConnection = (client: Socket) => {
    track(client);
    if (mode === 'blackhole') return; // read nothing, answer nothing
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };

  async function listen(): Promise<void> {
    const next = createServer(onConnection);
    next.listen(port, '127.0.0.1');
    await once(next, 'listening');
    port = (next.address() as { port: number }).port;
    server = next;
  }

  async function stopListening(): Promise<void> {
    const current = server;
    server = undefined;
    if (!current) return;
    await new Promise<void>((resolve) => current.close(() => resolve()));
  }

  const dropAll = () => {
    for (const socket of open) socket.destroy();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    through(url) {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(port);
      return proxied.toString();
    },
    async cut() {
      mode = 'forward';
      const closing = stopListening();
      dropAll();
      await closing;
    },
    async blackhole() {
      mode = 'blackhole';
      dropAll();
      if (!server) await listen();
    },
    async restore() {
      mode = 'forward';
      if (!server) await listen();
    },
    async close() {
      const closing = stopListening();
      dropAll();
      await closing;
    },
  };
}
