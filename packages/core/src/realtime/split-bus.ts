import type { EventBus, PortalEvent } from './events.ts';

/**
 * PostgreSQL with a broker beside it (docs/architecture.md, "The event bus"): the
 * chat and search events, nearly all the traffic, go through `fanOut` (NATS);
 * `principal_changed` stays on `database` (LISTEN/NOTIFY), where the triggers
 * announce every write to sessions and accounts, and `caughtUp()` is that
 * connection's fence, so the principal cache keeps its promise (docs/sessions.md).
 *
 * Subscribers hear both: the database channel still carries the triggers'
 * notifications, and whatever a process without the broker publishes there (the
 * operator's command line, an instance not yet given PORTAL_BUS_URL). Each bus
 * sends its own `resync` when it is back. Listening means both are.
 */
export function createSplitBus(fanOut: EventBus, database: EventBus): EventBus {
  const via = (event: PortalEvent) => (event.type === 'principal_changed' ? database : fanOut);
  return {
    publish: (event) => via(event).publish(event),
    subscribe(listener) {
      const stops = [fanOut.subscribe(listener), database.subscribe(listener)];
      return () => stops.forEach((stop) => stop());
    },
    listening: () => fanOut.listening() && database.listening(),
    caughtUp: () => database.caughtUp(),
    async close() {
      await Promise.all([fanOut.close(), database.close()]);
    },
  };
}
