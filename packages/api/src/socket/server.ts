import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  AppError,
  ERRORS,
  SOCKET_CLOSE,
  SOCKET_PATH,
  notFoundCodeOf,
  ZClientEvent,
  type TClientEvent,
  type TErrorBody,
  type TErrorCode,
  type TServerEvent,
} from '@portal/contracts';
import { refusalOf, standingOf, toMessage, type PortalEvent, type Principal } from '@portal/core';
import { toErrorBody, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../errors.ts';
import { logEvent } from '../events.ts';
import { ipKey, RateLimitedError } from '../rate-limit.ts';
import { readSessionCookie } from '../http/cookies.ts';
import type { HttpOptions } from '../http/options.ts';
import { COMMON_HEADERS, HSTS } from '../http/headers.ts';
import { clientIp, isHttps, originAllowed } from '../http/request.ts';
import { PresenceBook } from './presence.ts';

export interface SocketOptions extends HttpOptions {
  /**
   * How often to ping; a socket that has not answered the previous ping is closed.
   * Presence an instance announced is forgotten within this long once it stops
   * beating (it was killed), see `BEATS_PER_PING`.
   */
  pingIntervalMs: number;
  /**
   * Connection caps (SPEC §11), on whatever PORTAL_RATE_LIMITS says: open sockets
   * per session and per client IP on this instance. One more is told
   * ERR_RATE_LIMITED and closed with 4429.
   */
  maxPerSession: number;
  maxPerIp: number;
  /**
   * Bytes a socket may have waiting to be sent. A client that stops reading makes
   * this grow; past it the socket is closed with 1008 rather than the server
   * holding its events in memory without end.
   */
  sendQueueBytes: number;
}

interface Connection {
  ws: WebSocket;
  principal: Principal;
  clientIp: string;
  /** Joined chats: token → the partner's person key. */
  chats: Map<string, string>;
  /** Events for chats whose `joined` is not sent yet: they follow it, minus what it already holds. */
  pending: Map<string, TServerEvent[]>;
  /**
   * Per joined chat, the messages the client already has: up to its `after`, and those
   * `joined` carried. This instance may hear of a message after the database (another
   * instance's socket, or the history read, already gave it): it is not sent twice.
   */
  known: Map<string, { after: number; ids: Set<number> }>;
  /** Frames are handled one after another, in the order they came. */
  queue: Promise<void>;
  alive: boolean;
}

const textOf = (data: RawData): string =>
  (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');

/**
 * Each instance beats this often per ping interval; one silent for `SILENT_BEATS`
 * beats is forgotten, with the presence it held, at the next beat: within
 * (SILENT_BEATS + 1) / BEATS_PER_PING of a ping interval after it died.
 */
const BEATS_PER_PING = 6;
const SILENT_BEATS = 4;

/** How long a socket closed for a full send queue gets to finish the closing handshake. */
const OVERFLOW_GRACE_MS = 1000;

const has = (known: { after: number; ids: Set<number> }, id: number) => id <= known.after || known.ids.has(id);

/** A frame's event, or the error that answers it (with the type and token it named, when it named one). */
type Frame = { event: TClientEvent } | { error: AppError; type?: string; token?: string };

function parseFrame(data: RawData, isBinary: boolean): Frame {
  if (isBinary) return { error: new AppError('ERR_BAD_REQUEST', 'Send JSON text frames.') };
  let raw: unknown;
  try {
    raw = JSON.parse(textOf(data));
  } catch {
    return { error: new AppError('ERR_BAD_REQUEST', 'A socket message must be a JSON object.') };
  }
  const parsed = ZClientEvent.safeParse(raw);
  if (parsed.success) return { event: parsed.data };
  const missing = notFoundCodeOf(parsed.error.issues);
  if (missing) {
    // A token that cannot exist is answered like an unknown one, without a database lookup.
    const { type, token } = raw as { type: string; token: string };
    return { error: new AppError(missing), type, token };
  }
  const issue = parsed.error.issues[0];
  return {
    error: new AppError(
      'ERR_BAD_REQUEST',
      `Invalid message: ${issue ? `${issue.path.join('.')} ${issue.message}` : ''}`.trim(),
    ),
  };
}

/**
 * The live socket at /v1/portal/socket: cookie-authenticated, same-origin,
 * JSON events validated by the shared zod schemas. Chats and matches travel on
 * the core's event bus, so a message sent over REST, or on another instance,
 * reaches these sockets too.
 */
export function attachSocketServer(server: Server, options: SocketOptions): { close(): Promise<void> } {
  const { core, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxBodyBytes });
  const rooms = new Map<string, Set<Connection>>();
  const bySession = new Map<string, Set<Connection>>();
  /** Open sockets per client IP, for the per-IP cap. */
  const perIp = new Map<string, number>();
  /** Sockets per person per chat, over every instance (kept from presence events). */
  const presence = new PresenceBook();
  /** Names this process in presence events: a restarted instance is a new one. */
  const instance = randomBytes(9).toString('base64url');
  let presenceSeq = 0;

  const send = (conn: Connection, event: TServerEvent) => {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const token = event.type === 'joined' || event.type === 'matched' ? undefined : event.token;
    const held = token === undefined ? undefined : conn.pending.get(token);
    if (held) {
      held.push(event);
      return;
    }
    if (conn.ws.bufferedAmount > options.sendQueueBytes) {
      overflow(conn);
      return;
    }
    conn.ws.send(JSON.stringify(event));
  };
  /** The client stopped reading: 1008, and cut off if even the close frame cannot get through. */
  const overflow = (conn: Connection) => {
    logEvent(logger, 'socket_send_queue_full', {
      session: conn.principal.sessionId,
      ip: conn.clientIp,
      buffered: conn.ws.bufferedAmount,
    });
    conn.ws.close(SOCKET_CLOSE.sendQueueFull, 'send queue full');
    const ws = conn.ws;
    setTimeout(() => ws.terminate(), OVERFLOW_GRACE_MS).unref();
  };
  const sendError = (conn: Connection, body: TErrorBody, token?: string) =>
    send(conn, { type: 'error', error: body.error, message: body.message, ...(token ? { token } : {}) });

  const online = (token: string, person: string) => presence.count(token, person) > 0;

  const everyConnection = () => [...bySession.values()].flatMap((conns) => [...conns]);

  /** Tells the socket why, then closes it. */
  function shut(conn: Connection, error: TErrorCode): void {
    sendError(conn, new AppError(error).toBody());
    const code = error === 'ERR_UNAUTHENTICATED' ? SOCKET_CLOSE.signedOut : SOCKET_CLOSE.restricted;
    conn.ws.close(code, error);
  }

  function onBusEvent(event: PortalEvent): void {
    if (event.type === 'resync') {
      // Events of the gap never reached this instance: every client reconnects and
      // catches up by cursor (`join` with `after`), as after any dropped connection.
      for (const conn of everyConnection()) conn.ws.close(SOCKET_CLOSE.catchUp, 'reconnect to catch up');
      presence.clear();
      return;
    }
    if (event.type === 'beat') {
      presence.beat(event.instance, Date.now());
      return;
    }
    if (event.type === 'disconnect') {
      const sessions = new Set(event.sessions ?? []);
      for (const conn of everyConnection()) {
        if (sessions.has(conn.principal.sessionId) || conn.principal.personKey === event.person)
          shut(conn, event.error);
      }
      return;
    }
    if (event.type === 'matched') {
      for (const conn of bySession.get(event.session) ?? []) send(conn, { type: 'matched', match: event.match });
      return;
    }
    // Held status requests and the principal cache use these, not sockets.
    if (event.type === 'search_ended' || event.type === 'principal_changed') return;
    const room = rooms.get(event.chat);
    if (event.type === 'presence') {
      const { chat, person } = event;
      const change = presence.apply(event.instance, chat, person, event.count, event.seq, Date.now());
      if (change) announce(chat, person, change);
      // Someone came online: an instance that started since (or was cut off) does not
      // know who else is here, so each tells what it holds of the others in this chat.
      if (change === 'joined') tellWhoIsHere(chat, person);
      return;
    }
    for (const conn of room ?? []) {
      const me = conn.principal.personKey;
      if (event.type === 'message') {
        const known = conn.known.get(event.chat);
        if (!known || !has(known, event.message.id)) {
          send(conn, { type: 'message', token: event.chat, message: toMessage(event.message, me) });
        }
      } else if (event.type === 'typing' && event.sender !== me) send(conn, { type: 'typing', token: event.chat });
      else if (event.type === 'messages_removed') {
        send(conn, { type: 'messages_removed', token: event.chat, from: event.sender === me ? 'me' : 'partner' });
      } else if (event.type === 'ended') {
        const by = event.by === null ? {} : { by: event.by === me ? ('me' as const) : ('partner' as const) };
        send(conn, { type: 'ended', token: event.chat, reason: event.reason, ...by });
      }
    }
  }
  const unsubscribe = core.bus.subscribe(onBusEvent);

  /** `person` came online or went offline in `chat`: their partner's sockets here hear it. */
  function announce(chat: string, person: string, change: 'joined' | 'left'): void {
    const type = change === 'joined' ? 'partner_joined' : 'partner_left';
    for (const conn of rooms.get(chat) ?? [])
      if (conn.principal.personKey !== person) send(conn, { type, token: chat });
  }

  /** Tells every instance how many sockets of `person` this one has in `chat` now. */
  function publishPresence(chat: string, person: string): Promise<void> {
    let count = 0;
    for (const conn of rooms.get(chat) ?? []) if (conn.principal.personKey === person) count += 1;
    presenceSeq += 1;
    return core.bus.publish({ type: 'presence', chat, person, instance, count, seq: presenceSeq });
  }

  /** Publishes what this instance holds in `chat` for everyone but `newcomer`. */
  function tellWhoIsHere(chat: string, newcomer: string): void {
    const here = new Set<string>();
    for (const conn of rooms.get(chat) ?? []) here.add(conn.principal.personKey);
    here.delete(newcomer);
    for (const person of here) void publishPresence(chat, person).catch(fail);
  }

  function enter(conn: Connection, token: string, partner: string): boolean {
    const first = !conn.chats.has(token);
    conn.chats.set(token, partner);
    const room = rooms.get(token) ?? new Set<Connection>();
    room.add(conn);
    rooms.set(token, room);
    return first;
  }

  function exit(conn: Connection, token: string): void {
    if (!conn.chats.delete(token)) return;
    conn.known.delete(token);
    const room = rooms.get(token);
    room?.delete(conn);
    if (room?.size === 0) rooms.delete(token);
    void publishPresence(token, conn.principal.personKey).catch(fail);
  }

  const fail = (error: unknown) => logger.error('socket event failed', { err: String(error) });

  async function handle(conn: Connection, event: TClientEvent): Promise<void> {
    const { principal } = conn;
    switch (event.type) {
      case 'join': {
        const { token } = event;
        const chat = await core.chats.view(principal, token);
        if (conn.ws.readyState !== conn.ws.OPEN) return;
        // In the room before reading the history, so that no message falls between
        // the two; what arrives meanwhile is held and sent after `joined`.
        const held: TServerEvent[] = [];
        conn.pending.set(token, held);
        const first = enter(conn, token, chat.partner);
        try {
          if (first) await publishPresence(token, principal.personKey);
          const detail = await core.chats.detail(chat, event.after === undefined ? {} : { after: event.after });
          const { messages, has_more, ...summary } = detail;
          send(conn, {
            type: 'joined',
            token,
            chat: summary,
            messages,
            has_more,
            partner_online: online(token, chat.partner),
          });
          conn.pending.delete(token);
          const known = { after: event.after ?? 0, ids: new Set(messages.map((m) => m.id)) };
          conn.known.set(token, known);
          for (const later of held) if (later.type !== 'message' || !has(known, later.message.id)) send(conn, later);
        } finally {
          conn.pending.delete(token);
        }
        return;
      }
      case 'message':
        await options.limiters.messages.take(principal.sessionId);
        await options.limiters.messagesPerIp.take(conn.clientIp);
        await core.chats.send(principal, event.token, event.text, event.client_id);
        return;
      case 'typing':
        await core.chats.typing(principal, event.token);
        return;
      case 'leave':
        exit(conn, event.token);
        return;
    }
  }

  /**
   * Every frame counts against the session's request ceiling, malformed ones
   * included (otherwise garbage would be free), and is answered in order.
   */
  function onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    const frame = parseFrame(data, isBinary);
    const type = 'event' in frame ? frame.event.type : frame.type;
    const token = 'event' in frame ? frame.event.token : frame.token;
    conn.queue = conn.queue
      .then(() => options.limiters.requests.take(conn.principal.sessionId))
      .then(() => {
        if ('event' in frame) return handle(conn, frame.event);
        // Leaving a chat one never joined says nothing, whatever its token looks like.
        if (frame.type === 'leave' && frame.token !== undefined) return;
        throw frame.error;
      })
      .catch((error: unknown) => reportError(conn, error, type, token));
  }

  function reportError(conn: Connection, error: unknown, frame?: string, token?: string): void {
    const body = toErrorBody(error);
    if (body.error === 'ERR_INTERNAL') logger.error('socket message failed', { err: String(error) });
    if (error instanceof RateLimitedError) {
      logEvent(logger, 'rate_limited', {
        path: `socket:${frame ?? 'invalid'}`,
        ip: conn.clientIp,
        session: conn.principal.sessionId,
        retry_after: error.retryAfterSeconds,
      });
    }
    sendError(conn, body, token);
  }

  /** `slot`: the key the per-IP cap counts under (ipKey of `ip`). */
  function connect(ws: WebSocket, principal: Principal, ip: string, slot: string): Connection {
    const conn: Connection = {
      ws,
      principal,
      clientIp: ip,
      chats: new Map(),
      pending: new Map(),
      known: new Map(),
      queue: Promise.resolve(),
      alive: true,
    };
    const mine = bySession.get(principal.sessionId) ?? new Set<Connection>();
    mine.add(conn);
    bySession.set(principal.sessionId, mine);
    core.matching.presence.opened(principal.sessionId);
    perIp.set(slot, (perIp.get(slot) ?? 0) + 1);
    core.metrics.socketsOpen.inc();
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      core.metrics.socketsOpen.dec();
      // After any frame still being handled (a join in flight must not re-enter a room).
      conn.queue = conn.queue.then(() => {
        for (const token of [...conn.chats.keys()]) exit(conn, token);
      });
      mine.delete(conn);
      if (mine.size === 0) bySession.delete(principal.sessionId);
      core.matching.presence.closed(principal.sessionId);
      const left = (perIp.get(slot) ?? 1) - 1;
      if (left === 0) perIp.delete(slot);
      else perIp.set(slot, left);
    });
    return conn;
  }

  /** Past a connection cap: the socket opens only to be told why and closed with 4429 (the client backs off). */
  function refuse(ws: WebSocket, fields: { cap: 'session' | 'ip'; ip: string; session: string }): void {
    logEvent(logger, 'socket_refused', fields);
    ws.on('error', () => ws.terminate());
    const body = new AppError('ERR_RATE_LIMITED', `Too many open sockets for this ${fields.cap}.`).toBody();
    ws.send(JSON.stringify({ type: 'error', error: body.error, message: body.message }));
    ws.close(SOCKET_CLOSE.tooMany, body.error);
  }

  function reject(req: IncomingMessage, socket: Duplex, body: TErrorBody): void {
    const payload = JSON.stringify(body);
    const status = ERRORS[body.error].status;
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(payload)),
      'Cache-Control': 'no-store',
      ...COMMON_HEADERS,
      ...(isHttps(req, options) ? { 'Strict-Transport-Security': HSTS } : {}),
      ...(body.error === 'ERR_UNAVAILABLE' ? { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) } : {}),
      Connection: 'close',
    };
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `\r\n${payload}`,
    );
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if ((req.url ?? '').split('?', 1)[0] !== SOCKET_PATH)
      return reject(req, socket, new AppError('ERR_NOT_FOUND').toBody());
    // Browsers send Origin on every WebSocket: a foreign page must not ride the cookie.
    if (!originAllowed(req, options)) return reject(req, socket, new AppError('ERR_BAD_ORIGIN').toBody());
    const principal = await core.sessions.find(readSessionCookie(req));
    if (!principal) return reject(req, socket, new AppError('ERR_UNAUTHENTICATED').toBody());
    const ip = clientIp(req, options);
    // Counted like every per-IP limit: an IPv6 client by its /64.
    const slot = ipKey(ip);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Counted here, in the same tick as connect(): parallel upgrades cannot all slip under the cap.
      const over =
        (bySession.get(principal.sessionId)?.size ?? 0) >= options.maxPerSession
          ? 'session'
          : (perIp.get(slot) ?? 0) >= options.maxPerIp
            ? 'ip'
            : null;
      if (over) return refuse(ws, { cap: over, ip, session: principal.sessionId });
      const conn = connect(ws, principal, ip, slot);
      // A blocked or suspended person's socket opens only to say so and close (4403),
      // which a client can tell apart from a network failure, unlike a refused upgrade.
      const restriction = refusalOf(standingOf(principal));
      if (restriction) shut(conn, restriction);
    });
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    upgrade(req, socket, head).catch((error: unknown) => {
      const body = toErrorBody(error);
      // The database being down is a 503 the client retries, not a broken server.
      if (body.error !== 'ERR_UNAVAILABLE') logger.error('socket upgrade failed', { err: String(error) });
      if (socket.writable) reject(req, socket, body);
      else socket.destroy();
    });
  };
  server.on('upgrade', onUpgrade);

  /**
   * Sessions revoked or restricted where no bus reaches (the operator's command
   * line on SQLite runs in another process) are caught here, once per ping, with
   * one query for every open socket (a query per socket made latency spikes).
   */
  async function recheck(conns: Connection[]): Promise<void> {
    const standing = await core.sessions.standing([...new Set(conns.map((c) => c.principal.sessionId))]);
    for (const conn of conns) {
      if (conn.ws.readyState !== conn.ws.OPEN) continue;
      const now = standing.get(conn.principal.sessionId);
      const refusal = now === undefined ? 'ERR_UNAUTHENTICATED' : refusalOf(now);
      if (refusal) shut(conn, refusal);
    }
  }

  const pinger = setInterval(() => {
    const live: Connection[] = [];
    for (const conn of everyConnection()) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      live.push(conn);
    }
    if (live.length > 0) recheck(live).catch(fail);
  }, options.pingIntervalMs);
  pinger.unref();

  const beatMs = options.pingIntervalMs / BEATS_PER_PING;
  const beater = setInterval(() => {
    void core.bus.publish({ type: 'beat', instance }).catch(fail);
    const now = Date.now();
    for (const { chat, person } of presence.sweep(now - SILENT_BEATS * beatMs, now)) {
      announce(chat, person, 'left');
    }
  }, beatMs);
  beater.unref();

  return {
    async close() {
      clearInterval(pinger);
      clearInterval(beater);
      server.off('upgrade', onUpgrade);
      unsubscribe();
      const open = everyConnection();
      // 1012 "service restart": the client reconnects (through the balancer, to another
      // instance) and re-joins with `after`, as after a resync.
      for (const conn of open) conn.ws.close(SOCKET_CLOSE.catchUp, 'service restart');
      // A client that does not finish the closing handshake within a second is cut off.
      const closed = (ws: WebSocket) =>
        new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())));
      await Promise.race([Promise.all(open.map((conn) => closed(conn.ws))), delay(1000)]);
      for (const conn of open) conn.ws.terminate();
      await Promise.all(open.map((conn) => conn.queue));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
