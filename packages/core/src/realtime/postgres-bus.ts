import pg from 'pg';
import { createListeners, type EventBus, type PortalEvent } from './events.ts';

const CHANNEL = 'portal_events';
/** The empty statement: answered at once, nothing to parse or run (the fence, below). */
const FENCE = ';';
/** NOTIFY payloads must stay under 8000 bytes; larger messages travel by id. */
const MAX_PAYLOAD_BYTES = 7500;
/** Reconnect attempts back off from the first delay to the last, doubling. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

type Wire = PortalEvent | { type: 'message_ref'; chat: string; id: number };

export interface PostgresBusOptions {
  /** How the listening connection connects (the pool's settings: connect timeout, keepalive). */
  connection: pg.ClientConfig;
  /** Publishes through the shared pool. */
  pool: pg.Pool;
  /** Reads a message that was too large for NOTIFY. */
  loadMessage(id: number): Promise<Extract<PortalEvent, { type: 'message' }>['message'] | null>;
  onError(error: unknown): void;
  /** The listening connection was lost (`false`) or is listening again (`true`). */
  onListening?(listening: boolean): void;
}

/**
 * Several instances on one database: every event goes through NOTIFY and comes
 * back to every instance (this one included) through LISTEN, so each instance
 * delivers exactly what the others do, in commit order.
 *
 * The listening connection is one dedicated client. When it breaks (the database
 * restarted, the network dropped), it is replaced and LISTEN is issued again, with
 * backoff, until the database answers; then subscribers get `resync`, because
 * whatever was notified meanwhile never reached this instance.
 */
export async function createPostgresBus(options: PostgresBusOptions): Promise<EventBus> {
  const listeners = createListeners((error) => options.onError(error));
  let listener: pg.Client | undefined;
  let closed = false;
  let retrying = false;

  const { deliver } = listeners;

  const receive = (payload: string | undefined) => {
    if (!payload) return;
    const wire = JSON.parse(payload) as Wire;
    if (wire.type !== 'message_ref') return deliver(wire);
    options.loadMessage(wire.id).then(
      (message) => message && deliver({ type: 'message', chat: wire.chat, message }),
      (error: unknown) => options.onError(error),
    );
  };

  async function connect(): Promise<void> {
    const client = new pg.Client(options.connection);
    client.on('notification', (note) => {
      try {
        receive(note.payload);
      } catch (error) {
        options.onError(error);
      }
    });
    // pg reports a lost connection as 'error' (and then 'end'), or only as 'end'
    // when the server closed it cleanly: either one means "listen again".
    const lost = (error?: unknown) => {
      if (error) options.onError(error);
      lose(client);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await client.end().catch(() => undefined);
      return;
    }
    listener = client;
  }

  function lose(broken: pg.Client): void {
    if (closed || listener !== broken) return;
    listener = undefined;
    options.onListening?.(false);
    void broken.end().catch(() => undefined);
    void listenAgain();
  }

  async function listenAgain(): Promise<void> {
    if (retrying) return;
    retrying = true;
    try {
      for (let delayMs = RETRY_FIRST_MS; !closed; delayMs = Math.min(delayMs * 2, RETRY_MAX_MS)) {
        try {
          await connect();
          if (closed) return;
          options.onListening?.(true);
          deliver({ type: 'resync' });
          return;
        } catch (error) {
          options.onError(error);
          await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
        }
      }
    } finally {
      retrying = false;
    }
  }

  // The fence behind caughtUp(): a query on the listening connection. PostgreSQL puts
  // notifications in the queue in commit order, and signals every listener before the
  // notifying transaction's commit is acknowledged to its client; the listener's backend
  // sends what it was signalled about before it answers a query that arrived later. So
  // when the fence's answer arrives, every notification acknowledged before it was sent
  // has been parsed from the same socket, ahead of it, and delivered (synchronously) to
  // the subscribers. One fence is in flight at a time; callers that come meanwhile share
  // the next one, sent as soon as the current one is answered: one round trip on one
  // connection serves every request of that moment.
  let nextFence: { promise: Promise<boolean>; resolve(ok: boolean): void } | undefined;
  let fencing = false;

  function sendFence(): void {
    const fence = nextFence!;
    nextFence = undefined;
    const client = listener;
    if (!client) return fence.resolve(false);
    fencing = true;
    client
      .query(FENCE)
      .then(
        // A listener replaced meanwhile may have missed events: the caller must not trust the cache.
        () => fence.resolve(listener === client),
        () => fence.resolve(false),
      )
      .finally(() => {
        fencing = false;
        if (nextFence) sendFence();
      });
  }

  await connect();

  return {
    async publish(event) {
      let payload = JSON.stringify(event);
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES && event.type === 'message') {
        payload = JSON.stringify({ type: 'message_ref', chat: event.chat, id: event.message.id } satisfies Wire);
      }
      // The write this announces has committed: a failed NOTIFY is logged, not turned
      // into a failed request (live sockets miss it; reconnects catch up by cursor).
      await options.pool
        .query('SELECT pg_notify($1, $2)', [CHANNEL, payload])
        .catch((error: unknown) => options.onError(error));
    },
    subscribe: (listener) => listeners.add(listener),
    listening: () => listener !== undefined,
    caughtUp() {
      if (!listener) return Promise.resolve(false);
      if (nextFence) return nextFence.promise;
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((r) => (resolve = r));
      nextFence = { promise, resolve };
      if (!fencing) sendFence();
      return promise;
    },
    async close() {
      closed = true;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
