import type { TEndReason, TErrorCode, TMatchState } from '@portal/contracts';

/** A message as it crosses the bus: the sender is a person key, each socket renders `from` for its reader. */
export interface BusMessage {
  id: number;
  sender: string;
  text: string;
  created_at: string;
  /** The sender's own id, if they gave one (only the sender gets it back). */
  client_id?: string;
  /** The sender deleted their account: `text` is "". */
  deleted?: true;
}

/** Everything that happens to a chat or a search, for the sockets of every instance. */
export type PortalEvent =
  | { type: 'message'; chat: string; message: BusMessage }
  | { type: 'typing'; chat: string; sender: string }
  /**
   * `instance` has `count` sockets of `person` in `chat` now (one joined or left, or
   * an answer to someone coming online). `seq` grows with each of that instance's
   * presence events, so one that arrives after a later one is ignored.
   */
  | { type: 'presence'; chat: string; person: string; instance: string; count: number; seq: number }
  /** `instance` is alive: presence it announced stands (an instance that stops beating is forgotten). */
  | { type: 'beat'; instance: string }
  | { type: 'ended'; chat: string; by: string | null; reason: TEndReason }
  /** Every message `sender` sent in this chat was erased (they deleted their account). */
  | { type: 'messages_removed'; chat: string; sender: string }
  | { type: 'matched'; session: string; match: TMatchState }
  /**
   * These sessions' searches ended without a match (a cancel, possibly from another tab,
   * or the presence grace): held status requests answer at once.
   */
  | { type: 'search_ended'; sessions: string[] }
  /**
   * Close the sockets of these sessions, or of every session of this person, with
   * this error: a block, a suspension, a logout or a revoked session.
   */
  | { type: 'disconnect'; sessions?: string[]; person?: string; error: TErrorCode }
  /**
   * What authentication reads about these sessions, or about every session of this
   * person, changed without closing anything: a plan, a role, a lifted block or
   * suspension. Each instance drops them from its principal cache. On PostgreSQL the
   * database also sends it (a trigger) for any write to those columns, whoever made it.
   */
  | { type: 'principal_changed'; sessions?: string[]; person?: string }
  /**
   * Delivered on this instance only, never published: the bus was cut off from the
   * others for a while and is back, so events of that gap may be missing here.
   */
  | { type: 'resync' };

export interface EventBus {
  /** Resolves once the event is on its way to every subscriber, on every instance. */
  publish(event: PortalEvent): Promise<void>;
  subscribe(listener: (event: PortalEvent) => void): () => void;
  /** Receiving every instance's events (false while PostgreSQL's listening connection is being replaced). */
  listening(): boolean;
  /**
   * Resolves `true` once every event whose publishing (or database notification) was
   * acknowledged before this call has been delivered to this instance's subscribers;
   * `false` when that cannot be known (the bus is not listening). In process it is true
   * at once (delivery is synchronous); on PostgreSQL it is a fence on the listening
   * connection, shared by the callers of the same moment (docs/sessions.md).
   */
  caughtUp(): Promise<boolean>;
  close(): Promise<void>;
}

export type Listener = (event: PortalEvent) => void;

/**
 * The subscribers of one bus: each gets every event; one that throws is reported and
 * the others still get it (a failing subscriber must not fail the write that
 * published the event, nor starve the rest).
 */
export function createListeners(onError: (error: unknown) => void): {
  add: (listener: Listener) => () => void;
  deliver: (event: PortalEvent) => void;
} {
  const listeners = new Set<Listener>();
  return {
    add: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    deliver: (event) => {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          onError(error);
        }
      }
    },
  };
}
