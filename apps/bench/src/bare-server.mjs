// The baseline: a bare node:http server that answers every request with the idle
// match state, as cheaply as Node allows. Run as a child process by run.mjs; it
// prints the same "listening" log line as the Portal server so one helper starts both.
//
// For the socket scenarios it is also a bare `ws` relay: the same socket path, `join`
// and `message` events and POST /v1/portal/chats/{token}/messages as Portal, but no
// validation, database or event bus — a message goes straight to the other sockets in
// its chat's room. The cookie is the identity, unchecked. That is the floor the
// bench client and loopback put under every socket latency.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const BODY = Buffer.from(JSON.stringify({ state: 'idle' }));
const SOCKET_PATH = '/v1/portal/socket';
const MESSAGES_PATH = /^\/v1\/portal\/chats\/([^/]+)\/messages$/;

/** chat token → Set of { ws, session } */
const rooms = new Map();
let nextMessageId = 1;

const sessionOf = (req) => /psession=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';

function relay(token, session, text) {
  const message = { id: nextMessageId++, text, created_at: new Date().toISOString() };
  for (const conn of rooms.get(token) ?? []) {
    const from = conn.session === session ? 'me' : 'partner';
    conn.ws.send(JSON.stringify({ type: 'message', token, message: { ...message, from } }));
  }
  return { ...message, from: 'me' };
}

const server = createServer((req, res) => {
  const chat = req.method === 'POST' ? MESSAGES_PATH.exec(req.url ?? '') : null;
  const chunks = [];
  // Drain any request body before answering, like a real handler would.
  if (chat) req.on('data', (chunk) => chunks.push(chunk));
  else req.resume();
  req.on('end', () => {
    if (chat) {
      let text = '';
      try {
        text = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).text ?? '');
      } catch {
        // an empty message is still relayed: the baseline does no validation
      }
      const body = Buffer.from(JSON.stringify(relay(chat[1], sessionOf(req), text)));
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': BODY.length,
      'cache-control': 'no-store',
    });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  if ((req.url ?? '').split('?', 1)[0] !== SOCKET_PATH) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn = { ws, session: sessionOf(req), chats: new Set() };
    ws.on('error', () => ws.terminate());
    ws.on('message', (data) => {
      let event;
      try {
        event = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      const { token } = event ?? {};
      if (typeof token !== 'string') return;
      if (event.type === 'join') {
        const room = rooms.get(token) ?? new Set();
        room.add(conn);
        rooms.set(token, room);
        conn.chats.add(token);
        const online = [...room].some((other) => other.session !== conn.session);
        ws.send(JSON.stringify({ type: 'joined', token, chat: {}, messages: [], partner_online: online }));
      } else if (event.type === 'message') relay(token, conn.session, String(event.text ?? ''));
    });
    ws.on('close', () => {
      for (const token of conn.chats) {
        const room = rooms.get(token);
        room?.delete(conn);
        if (room?.size === 0) rooms.delete(token);
      }
    });
  });
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'listening', url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The parent holds our stdin open: when it goes away (even killed), so do we.
process.stdin.on('end', stop);
process.stdin.resume();
