import { createListeners, type EventBus } from './events.ts';

const CAUGHT_UP = Promise.resolve(true);

/** One instance (SQLite): subscribers are in this process. */
export function createLocalBus(): EventBus {
  const listeners = createListeners(() => undefined);
  return {
    publish(event) {
      listeners.deliver(event);
      return Promise.resolve();
    },
    subscribe: (listener) => listeners.add(listener),
    listening: () => true,
    caughtUp: () => CAUGHT_UP,
    close: () => Promise.resolve(),
  };
}
