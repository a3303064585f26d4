import pg from 'pg';
import type { EventBus, PortalEvent } from './events.ts';

const CHANNEL = 'portal_events';
/** NOTIFY payloads must stay under 8000 bytes; larger messages travel by id. */
const MAX_PAYLOAD_BYTES = 7500;

type Wire = PortalEvent | { type: 'message_ref'; chat: string; id: number };

export interface PostgresBusOptions {
  url: string;
  /** Publishes through the shared pool. */
  pool: pg.Pool;
  /** Reads a message that was too large for NOTIFY. */
  loadMessage(id: number): Promise<Extract<PortalEvent, { type: 'message' }>['message'] | null>;
  onError(error: unknown): void;
}

/**
 * Several instances on one database: every event goes through NOTIFY and comes
 * back to every instance (this one included) through LISTEN, so each instance
 * delivers exactly what the others do, in commit order.
 */
export async function createPostgresBus(options: PostgresBusOptions): Promise<EventBus> {
  const listeners = new Set<(event: PortalEvent) => void>();
  let listener: pg.Client | undefined;
  let closed = false;

  const deliver = (event: PortalEvent) => {
    for (const fn of listeners) fn(event);
  };

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
    const client = new pg.Client({ connectionString: options.url });
    client.on('notification', (note) => {
      try {
        receive(note.payload);
      } catch (error) {
        options.onError(error);
      }
    });
    client.on('error', (error) => {
      options.onError(error);
      void reconnect(client);
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  }

  async function reconnect(broken: pg.Client): Promise<void> {
    if (closed || listener !== broken) return;
    listener = undefined;
    await broken.end().catch(() => undefined);
    for (let delayMs = 100; !closed; delayMs = Math.min(delayMs * 2, 5000)) {
      try {
        await connect();
        return;
      } catch (error) {
        options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
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
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
    },
  };
}
