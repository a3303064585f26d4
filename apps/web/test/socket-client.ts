// A test person's socket: collects every server event and waits for the ones a
// test expects (never on a timer).
import WebSocket from 'ws';
import { ZServerEvent, type TClientEventInput, type TServerEvent } from '@portal/contracts';

export interface TestSocket {
  ws: WebSocket;
  events: TServerEvent[];
  send(event: TClientEventInput | Record<string, unknown> | string): void;
  /** Resolves with the first event (old or new) matching `match` after index `from`. */
  next<T extends TServerEvent['type']>(
    type: T,
    match?: (event: Extract<TServerEvent, { type: T }>) => boolean,
    from?: number,
  ): Promise<Extract<TServerEvent, { type: T }>>;
  close(): Promise<void>;
  /** Resolves when the server closes the socket, with its close code. */
  closed: Promise<{ code: number; reason: string }>;
}

export function openSocket(
  base: string,
  cookie: string | null,
  headers: Record<string, string> = {},
  options: { answerPings?: boolean } = {},
): Promise<TestSocket> {
  const url = `${base.replace(/^http/, 'ws')}/v1/portal/socket`;
  const ws = new WebSocket(url, {
    headers: { ...(cookie ? { cookie: `psession=${cookie}` } : {}), ...headers },
    autoPong: options.answerPings ?? true,
  });
  const events: TServerEvent[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') })),
  );
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer) => {
    events.push(ZServerEvent.parse(JSON.parse(data.toString('utf8'))));
    for (const wake of waiters) wake();
  });
  const socket: TestSocket = {
    ws,
    events,
    closed,
    send: (event) => ws.send(typeof event === 'string' ? event : JSON.stringify(event)),
    next(type, match = () => true, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find((e): e is never => e.type === type && match(e as never));
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${type} event; got ${JSON.stringify(events)}`));
        }, 10_000);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })),
      );
    });
    ws.once('error', reject);
  });
}
