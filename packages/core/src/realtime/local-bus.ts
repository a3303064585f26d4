import type { EventBus, PortalEvent } from './events.ts';

const CAUGHT_UP = Promise.resolve(true);

/** One instance (SQLite): subscribers are in this process. */
export function createLocalBus(): EventBus {
  const listeners = new Set<(event: PortalEvent) => void>();
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // One failing subscriber must not fail the write that published the event.
        }
      }
      return Promise.resolve();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    listening: () => true,
    caughtUp: () => CAUGHT_UP,
    close: () => Promise.resolve(),
  };
}
