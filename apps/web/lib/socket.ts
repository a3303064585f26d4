import type { TClientEventInput, TErrorCode, TServerEvent } from '@portal/contracts';
import { isErrorCode, SOCKET_CLOSE, SOCKET_PATH } from '@portal/contracts/browser';

/** `restricted`: a moderator blocked or suspended this person; the server refuses to connect again. */
export type TConnectionState = 'connecting' | 'open' | 'reconnecting' | 'offline' | 'restricted';

export interface PortalSocketOptions {
  url?: () => string;
  /**
   * The server closed the socket because its session was signed out or replaced
   * (register, login, logout, a revocation). The owner renews the session and
   * opens a new socket; without this callback the socket reconnects at once.
   */
  onSignedOut?: () => void;
}

type EventListener = (event: TServerEvent) => void;

/** Typing notices go out at most this often per chat. */
const TYPING_EVERY_MS = 2000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15_000;
/** The first attempt whose backoff reaches BACKOFF_MAX_MS. */
const BACKOFF_CAPPED_ATTEMPT = Math.ceil(Math.log2(BACKOFF_MAX_MS / BACKOFF_FIRST_MS));

export function socketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${SOCKET_PATH}`;
}

/**
 * The one WebSocket of a tab. It reconnects with exponential backoff (at once
 * when the browser comes back online) and re-joins every chat it was told
 * about with `after` = the last message id it has seen there, so the server
 * sends exactly what was missed. It stops for good when a moderator's block
 * closes it (reconnecting would only be refused).
 */
export class PortalSocket {
  #ws: WebSocket | null = null;
  #state: TConnectionState = 'connecting';
  #everOpened = false;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #restriction: TErrorCode | null = null;
  /** Joined chats and the newest message id received for each. */
  readonly #chats = new Map<string, number | undefined>();
  readonly #typingSentAt = new Map<string, number>();
  readonly #listeners = new Set<EventListener>();
  readonly #stateListeners = new Set<() => void>();

  readonly #url: () => string;
  readonly #onSignedOut: (() => void) | undefined;

  constructor(options: PortalSocketOptions = {}) {
    this.#url = options.url ?? socketUrl;
    this.#onSignedOut = options.onSignedOut;
  }

  get state(): TConnectionState {
    return this.#state;
  }

  /** Why the server shut this socket out (ERR_STRANGER_BLOCKED or ERR_ACCOUNT_SUSPENDED), once `state` is `restricted`. */
  get restriction(): TErrorCode | null {
    return this.#restriction;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    window.addEventListener('online', this.#onOnline);
    window.addEventListener('offline', this.#onOffline);
    this.#connect();
  }

  stop(): void {
    this.#halt();
    const ws = this.#ws;
    this.#ws = null;
    ws?.close();
  }

  /** Every server event of a kind (`type`) the page can read. Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** For useSyncExternalStore. */
  onStateChange = (listener: () => void): (() => void) => {
    this.#stateListeners.add(listener);
    return () => {
      this.#stateListeners.delete(listener);
    };
  };

  /** Receive a chat's events from after `lastId` on (re-sent after every reconnect). */
  join(token: string, lastId?: number): void {
    this.#chats.set(token, maxId(this.#chats.get(token), lastId));
    this.#send({ type: 'join', token, after: this.#chats.get(token) });
  }

  leave(token: string): void {
    if (!this.#chats.delete(token)) return;
    this.#typingSentAt.delete(token);
    this.#send({ type: 'leave', token });
  }

  /** True when the message went out over the socket; false means the caller must use the API instead. */
  sendMessage(token: string, text: string, clientId?: string): boolean {
    // The partner's indicator goes away with the message, so the next keystroke may announce typing again.
    this.#typingSentAt.delete(token);
    return this.#send({ type: 'message', token, text, ...(clientId ? { client_id: clientId } : {}) });
  }

  sendTyping(token: string): void {
    const now = Date.now();
    if (now - (this.#typingSentAt.get(token) ?? 0) < TYPING_EVERY_MS) return;
    if (this.#send({ type: 'typing', token })) this.#typingSentAt.set(token, now);
  }

  #send(event: TClientEventInput): boolean {
    const ws = this.#ws;
    if (this.#state !== 'open' || !ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(event));
    return true;
  }

  #halt(): void {
    this.#running = false;
    window.removeEventListener('online', this.#onOnline);
    window.removeEventListener('offline', this.#onOffline);
    clearTimeout(this.#retryTimer);
  }

  #setState(state: TConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of this.#stateListeners) listener();
  }

  #connect(): void {
    clearTimeout(this.#retryTimer);
    if (!this.#running) return;
    this.#setState(navigator.onLine === false ? 'offline' : this.#everOpened ? 'reconnecting' : 'connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url());
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#attempt = 0;
      this.#everOpened = true;
      this.#setState('open');
      for (const [token, after] of this.#chats) this.#send({ type: 'join', token, after });
    };
    ws.onmessage = (message: MessageEvent) => {
      if (this.#ws !== ws || typeof message.data !== 'string') return;
      this.#receive(message.data);
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (event.code === SOCKET_CLOSE.restricted) {
        this.#halt();
        this.#restriction = isErrorCode(event.reason) ? event.reason : 'ERR_FORBIDDEN';
        this.#setState('restricted');
      } else if (event.code === SOCKET_CLOSE.signedOut && this.#onSignedOut) {
        this.#halt();
        this.#setState('reconnecting');
        this.#onSignedOut();
      } else if (event.code === SOCKET_CLOSE.signedOut) {
        this.#attempt = 0;
        this.#connect();
      } else if (event.code === SOCKET_CLOSE.tooMany) {
        // This session (or address) has as many sockets as allowed, in other tabs: try again rarely.
        this.#attempt = Math.max(this.#attempt, BACKOFF_CAPPED_ATTEMPT);
        this.#scheduleRetry();
      } else {
        this.#scheduleRetry();
      }
    };
  }

  #scheduleRetry(): void {
    if (!this.#running) return;
    this.#setState(navigator.onLine === false ? 'offline' : 'reconnecting');
    // Jitter spreads the reconnects of many tabs after a server restart.
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.#attempt) * (0.75 + Math.random() * 0.5);
    this.#attempt += 1;
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #receive(data: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return;
    }
    // The server's events are checked where they are made (ZServerEvent, in the server's tests);
    // here only their kind, so that the page carries no schema library. A kind this page does
    // not know is passed on and ignored by every listener.
    if (!isServerEvent(raw)) return;
    const event = raw;
    if (event.type === 'message') this.#noteId(event.token, event.message.id);
    if (event.type === 'joined') for (const message of event.messages) this.#noteId(event.token, message.id);
    for (const listener of this.#listeners) listener(event);
  }

  #noteId(token: string, id: number): void {
    if (this.#chats.has(token)) this.#chats.set(token, maxId(this.#chats.get(token), id));
  }

  readonly #onOnline = (): void => {
    if (!this.#running) return;
    this.#attempt = 0;
    if (this.#ws?.readyState === WebSocket.OPEN) return;
    // An attempt started while offline is doomed; start a fresh one now.
    const stale = this.#ws;
    this.#ws = null;
    stale?.close();
    this.#connect();
  };

  readonly #onOffline = (): void => {
    // A socket can outlive the network silently; drop it so the state tells the truth and online reconnects.
    this.#setState('offline');
    const ws = this.#ws;
    if (!ws) return;
    this.#ws = null;
    ws.close();
    this.#scheduleRetry();
  };
}

/** A server event's kind, and the message ids the socket keeps count of, are what it relies on. */
function isServerEvent(raw: unknown): raw is TServerEvent {
  if (typeof raw !== 'object' || raw === null) return false;
  const event = raw as { type?: unknown; message?: { id?: unknown }; messages?: unknown };
  if (typeof event.type !== 'string') return false;
  if (event.type === 'message') return typeof event.message?.id === 'number';
  if (event.type === 'joined') return Array.isArray(event.messages);
  return true;
}

function maxId(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
