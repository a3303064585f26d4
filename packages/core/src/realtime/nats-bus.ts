import { connect, Events, type NatsConnection } from 'nats';
import { createListeners, type EventBus, type PortalEvent } from './events.ts';

/** The subject every instance of one deployment publishes and listens on. */
export const DEFAULT_SUBJECT = 'portal.events';
/** Between two attempts to reach a lost server (the client adds up to 100 ms of jitter). */
const RECONNECT_WAIT_MS = 250;
/** A connection that stops answering pings is given up after about two intervals. */
const PING_INTERVAL_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;
/**
 * Events published while the connection is down are kept by the client and sent once
 * it is back, up to this many bytes; past it they are dropped (at most once, as a
 * failed NOTIFY is), so that a long outage cannot grow the process without end.
 */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

export interface NatsBusOptions {
  /** `nats://host:port`, or several, comma-separated, for a cluster. */
  url: string;
  subject?: string;
  onError(error: unknown): void;
  /** The connection was lost (`false`) or is receiving again (`true`). */
  onListening?(listening: boolean): void;
}

/**
 * Several instances on one NATS subject (core NATS, no persistence): every event is
 * published once and comes back to every instance, this one included, so each
 * instance delivers what the others do, and its own events in the order it
 * published them. Delivery is at most once; clients catch up by cursor (`join` with
 * `after`) whenever `resync` tells them to.
 *
 * The client reconnects by itself, for as long as it takes. While it is away
 * `listening()` is false; once the server has the subscription again (a round trip
 * after the reconnection, so nothing published after `resync` can be missed here)
 * subscribers get `resync`.
 *
 * Publishing costs one JSON encoding and one write into the client's buffer: no round
 * trip. The largest event, a 2,000-character message, is about 12 KB even with every
 * character escaped, far under the server's `max_payload` (1 MB by default); an event
 * over it is refused by the client and logged.
 */
export async function createNatsBus(options: NatsBusOptions): Promise<EventBus> {
  const subject = options.subject ?? DEFAULT_SUBJECT;
  const listeners = createListeners((error) => options.onError(error));
  let up = true;
  let closed = false;
  let backlog = 0;
  let dropping = false;
  /** Bumped at every disconnection: a reconnection's round trip answered after another loss means nothing. */
  let generation = 0;

  const { deliver } = listeners;

  const nc: NatsConnection = await connect({
    servers: options.url.split(','),
    name: 'portal',
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    pingInterval: PING_INTERVAL_MS,
    maxPingOut: 2,
    timeout: CONNECT_TIMEOUT_MS,
  });

  nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error) return options.onError(error);
      try {
        deliver(
          JSON.parse(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength).toString()) as PortalEvent,
        );
      } catch (error) {
        options.onError(error);
      }
    },
  });

  const lose = () => {
    generation++;
    if (!up) return;
    up = false;
    options.onListening?.(false);
  };

  void (async () => {
    for await (const status of nc.status()) {
      if (closed) return;
      if (status.type === Events.Disconnect) lose();
      else if (status.type === Events.Error) options.onError(status.data);
      else if (status.type === Events.Reconnect) {
        const current = generation;
        // The client re-sent the subscription before it said "reconnected"; the flush's
        // answer proves the server has it.
        nc.flush().then(
          () => {
            if (closed || current !== generation) return;
            up = true;
            backlog = 0;
            dropping = false;
            options.onListening?.(true);
            deliver({ type: 'resync' });
          },
          (error: unknown) => options.onError(error),
        );
      }
    }
  })();
  // Only when the client gives up for good (it does not, by the options above) or is closed.
  void nc.closed().then((error) => {
    if (closed) return;
    if (error) options.onError(error);
    lose();
  });

  return {
    publish(event) {
      const payload = Buffer.from(JSON.stringify(event));
      if (!up) {
        if (backlog + payload.length > MAX_BACKLOG_BYTES) {
          if (!dropping) options.onError(new Error('NATS is away: events are dropped until it is back'));
          dropping = true;
          return Promise.resolve();
        }
        backlog += payload.length;
      }
      try {
        nc.publish(subject, payload);
      } catch (error) {
        // The write this announces has committed: logged, not turned into a failed request.
        options.onError(error);
      }
      return Promise.resolve();
    },
    subscribe: (listener) => listeners.add(listener),
    listening: () => up && !closed,
    // No fence: NATS keeps each publisher's order, not one order over all of them, so
    // nothing here proves another instance's event has arrived. The principal cache
    // takes its fence from PostgreSQL (split-bus.ts); on its own this bus says so.
    caughtUp: () => Promise.resolve(false),
    async close() {
      if (closed) return;
      closed = true;
      // Drain: what was published goes out, what was received is delivered. A connection
      // that is down has nothing to drain and would wait for the server: just close.
      await (up ? nc.drain() : nc.close()).catch((error: unknown) => options.onError(error));
    },
  };
}
