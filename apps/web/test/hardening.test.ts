// SPEC §11 over the real server: headers, tRPC batches, socket caps and bounds,
// metrics access and cardinality, proxy trust, and what the logs hold.
import { get as httpGet } from 'node:http';
import type { Socket } from 'node:net';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import {
  cookieOf,
  expectError,
  newStranger,
  request,
  runCli,
  startServer,
  type Reply,
  type RunningServer,
} from './server.ts';
import { openSocket, type TestSocket } from './socket-client.ts';

const METRICS_TOKEN = 'metrics-secret-0123456789abcdef';
const PASSWORD = 'a long enough password';

/** Polls `check` until it holds (a server-side effect we can only observe from outside). */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function expectBaseHeaders(reply: Reply, what: string): void {
  expect(reply.headers['x-content-type-options'], what).toBe('nosniff');
  expect(reply.headers['referrer-policy'], what).toBe('no-referrer');
}

describe('security headers on every response, and the pages CSP', () => {
  let target: TestDatabaseUrl;
  let server: RunningServer;
  beforeAll(async () => {
    target = await createTestDatabaseUrl('sqlite');
    // With the Next.js pages; one trusted proxy hop, for HSTS.
    server = await startServer({ DATABASE_URL: target.url, PORTAL_TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await server?.stop();
    await target?.destroy();
  });

  it('sends nosniff and no-referrer everywhere, no-store on session answers, HSTS only over https', async () => {
    const base = server.url;
    const me = await newStranger(base);
    const replies: [string, Reply][] = [
      ['REST with a session', await request(base, '/v1/portal/session', { cookie: me })],
      ['REST 401', await request(base, '/v1/portal/session')],
      ['REST 404', await request(base, '/v1/portal/nothing-here')],
      ['REST 413', await request(base, '/v1/portal/match', { method: 'POST', cookie: me, body: 'x'.repeat(20_000) })],
      ['health', await request(base, '/v1/portal/health')],
      ['tRPC', await request(base, '/api/trpc/session.get', { cookie: me })],
      ['tRPC error', await request(base, '/api/trpc/session.get')],
      ['openapi.json', await request(base, '/v1/openapi.json')],
      ['metrics', await request(base, '/v1/portal/metrics')],
      ['page', await request(base, '/login')],
      ['page 404', await request(base, '/no/such/page')],
      [
        'refused socket upgrade',
        await request(base, '/v1/portal/socket', {
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        }),
      ],
    ];
    for (const [what, reply] of replies) {
      expectBaseHeaders(reply, what);
      expect(reply.headers['strict-transport-security'], what).toBeUndefined();
    }
    const statuses = Object.fromEntries(replies.map(([what, reply]) => [what, reply.status]));
    expect(statuses).toMatchObject({ 'REST 413': 413, 'page 404': 404, 'refused socket upgrade': 401 });
    for (const what of ['REST with a session', 'REST 401', 'tRPC', 'tRPC error', 'metrics'])
      expect(replies.find(([w]) => w === what)![1].headers['cache-control'], what).toBe('no-store');

    const overHttps = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.20' };
    for (const path of ['/v1/portal/health', '/api/trpc/session.get', '/', '/v1/portal/socket']) {
      const reply = await request(base, path, { headers: overHttps });
      expect(reply.headers['strict-transport-security'], path).toBe('max-age=31536000');
    }
  });

  it('refuses a PORTAL_TRUST_PROXY or METRICS_TOKEN it cannot read, at start', async () => {
    await expect(startServer({ DATABASE_URL: target.url, PORTAL_TRUST_PROXY: 'yes' })).rejects.toThrow(
      /PORTAL_TRUST_PROXY: .*yes.* is not an address or a CIDR network/,
    );
    await expect(startServer({ DATABASE_URL: target.url, METRICS_TOKEN: 'short' })).rejects.toThrow(
      /METRICS_TOKEN: use at least 16 characters/,
    );
  });

  it('compresses pages and the OpenAPI document: brotli where accepted, gzip otherwise, none when not asked', async () => {
    const raw = (path: string, acceptEncoding?: string) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
        httpGet(`${server.url}${path}`, { headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    const decode = { br: brotliDecompressSync, gzip: gunzipSync } as const;
    const page = await raw('/login');
    const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(page.body.toString())?.[1];
    expect(script, 'a script of the page').toBeDefined();
    for (const path of ['/', '/login', '/docs', '/v1/openapi.json', script!]) {
      const plain = await raw(path);
      expect(plain.headers['content-encoding'], path).toBeUndefined();
      expect(plain.headers.vary, path).toMatch(/accept-encoding/i);
      for (const [accept, expected] of [
        ['gzip, deflate, br', 'br'],
        ['br;q=1.0, gzip;q=0.8', 'br'],
        ['gzip', 'gzip'],
        ['br;q=0, gzip', 'gzip'],
        ['identity', undefined],
      ] as const) {
        const reply = await raw(path, accept);
        expect(reply.headers['content-encoding'], `${path} with ${accept}`).toBe(expected);
        const body = expected ? decode[expected](reply.body) : reply.body;
        if (expected) expect(reply.body.length, `${path} with ${accept}`).toBeLessThan(body.length);
        // Pages carry a fresh nonce each time (in the CSP header and the page), and the time their
        // first data was read (lib/page-data.ts): compare all but those.
        const scrub = (b: Buffer, headers: typeof reply.headers) => {
          const nonce = /'nonce-([^']+)'/.exec(String(headers['content-security-policy']))?.[1];
          const text = nonce ? b.toString().replaceAll(nonce, 'NONCE') : b.toString();
          return text.replace(/(\\"(?:dehydratedAt|dataUpdatedAt|generated_at)\\":)(?:\d+|\\"[^\\]*\\")/g, '$1T');
        };
        expect(scrub(body, reply.headers), `${path} with ${accept}`).toBe(scrub(plain.body, plain.headers));
      }
    }
    // The scripts were compressed at build time, at brotli's and gzip's best (scripts/precompress.ts).
    const plainScript = (await raw(script!)).body;
    const quick = brotliCompressSync(plainScript, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
    expect((await raw(script!, 'br')).body.length).toBeLessThan(quick.length * 0.95);
    expect((await raw(script!, 'gzip')).body.length).toBe(gzipSync(plainScript, { level: 9 }).length);
    // API answers are small and per request: never compressed.
    const health = await raw('/v1/portal/health', 'br, gzip');
    expect(health.headers['content-encoding']).toBeUndefined();
  });

  it('gives every page a CSP with a fresh nonce that Next puts on each of its scripts', async () => {
    const me = await newStranger(server.url);
    const nonces = new Set<string>();
    for (const path of [
      '/',
      '/login',
      '/register',
      '/chats',
      '/moderation',
      '/docs',
      '/chat/AAAAAAAAAAAAAAAAAAAAAA',
      '/nope',
    ]) {
      const page = await request(server.url, path, { cookie: me });
      expect([200, 404], path).toContain(page.status);
      const csp = String(page.headers['content-security-policy'] ?? '');
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name = '', ...values] = d.trim().split(/\s+/);
          return [name, values] as const;
        }),
      );
      expect(directives.get('default-src'), path).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(directives.get('object-src'), path).toEqual(["'none'"]);
      expect(directives.get('base-uri'), path).toEqual(["'self'"]);
      expect(directives.get('form-action'), path).toEqual(["'self'"]);
      const scripts = directives.get('script-src') ?? [];
      expect(scripts.join(' '), path).not.toMatch(/unsafe-eval|unsafe-inline/);
      const nonce = /'nonce-([^']+)'/.exec(scripts.join(' '))?.[1];
      expect(nonce, path).toBeDefined();
      nonces.add(nonce!);
      const tags = page.text.match(/<script\b[^>]*>/g) ?? [];
      expect(tags.length, path).toBeGreaterThan(0);
      for (const tag of tags) expect(tag, path).toContain(`nonce="${nonce}"`);
    }
    expect(nonces.size).toBe(8);
    // A nonce a client sends in its own CSP header is never the one used.
    const forged = await request(server.url, '/', {
      headers: { 'content-security-policy': "script-src 'nonce-forgedforgedforged'" },
    });
    expect(forged.text).not.toContain('forgedforgedforged');
  });

  it('renders /docs from the served OpenAPI document, without Swagger UI until it is asked for', async () => {
    const page = await request(server.url, '/docs');
    expect(page.status).toBe(200);
    const document = (await request(server.url, '/v1/openapi.json')).json as {
      info: { title: string };
      paths: Record<string, Record<string, unknown>>;
    };
    expect(page.text).toContain(document.info.title);
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()}</span> <code class="operation-path">${path}</code>`),
    );
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) expect(page.text, operation).toContain(operation);
    // Neither Swagger UI's stylesheet nor its script is among what the page loads up front.
    const assets = [...page.text.matchAll(/(?:href|src)="(\/_next\/static\/[^"]+\.(?:css|js))"/g)].map((m) => m[1]!);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of new Set(assets)) {
      const body = (await request(server.url, asset)).text;
      expect(body, asset).not.toMatch(/\.swagger-ui \.opblock|SwaggerUIBundle/);
    }
    // The scripts it runs up front carry V8's compile hint (scripts/compile-hints.mjs); the
    // polyfills for browsers without modules do not.
    const scripts = [...page.text.matchAll(/<script src="(\/_next\/static\/[^"]+\.js)"(?![^>]*noModule)/g)];
    expect(scripts.length).toBeGreaterThan(3);
    for (const [, script] of scripts) {
      const body = (await request(server.url, script!)).text;
      expect(body.startsWith('//# allFunctionsCalledOnLoad\n'), script).toBe(true);
    }
  });
});

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`hardening over HTTP and the socket on ${provider}`, () => {
    let target: TestDatabaseUrl;
    /** One trusted hop, the metrics token, small socket caps and send queue; rate limits off. */
    let server: RunningServer;
    /** Rate limits on and small; proxies trusted by network. */
    let limited: RunningServer;
    const sockets: TestSocket[] = [];
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      const common = { DATABASE_URL: target.url, PORTAL_API_ONLY: 'true' };
      [server, limited] = await Promise.all([
        startServer({
          ...common,
          PORTAL_TRUST_PROXY: '1',
          METRICS_TOKEN,
          SOCKET_MAX_PER_SESSION: '2',
          SOCKET_MAX_PER_IP: '3',
          SOCKET_SEND_QUEUE_KB: '64',
        }),
        startServer({
          ...common,
          PORTAL_TRUST_PROXY: '127.0.0.0/8, ::1, 10.0.0.0/8, fd00::/8',
          PORTAL_RATE_LIMITS: 'on',
          RATE_LIMIT_PER_MINUTE: '4',
          RATE_LIMIT_SESSIONS_PER_MINUTE: '2',
        }),
      ]);
    });
    afterAll(async () => {
      for (const s of sockets) await s.close();
      await server?.stop();
      await limited?.stop();
      await target?.destroy();
    });

    let n = 0;
    /** Each test's clients come from an address of their own (trusted X-Forwarded-For), so caps do not mix. */
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const socket = async (cookie: string, ip: string, base = server.url) => {
      const s = await openSocket(base, cookie, from(ip));
      sockets.push(s);
      return s;
    };
    const post = (path: string, cookie: string | null, body?: unknown) =>
      request(server.url, path, { method: 'POST', cookie, body });
    async function chatWith(messages: number, text = (i: number) => `message ${i}`) {
      const tag = `hard${++n}${provider.slice(0, 2)}`;
      const alice = await newStranger(server.url);
      const bob = await newStranger(server.url);
      await post('/v1/portal/match', alice, { interests: [tag] });
      const token = (await post('/v1/portal/match', bob, { interests: [tag] })).json.token as string;
      const ids: number[] = [];
      for (let i = 1; i <= messages; i++)
        ids.push((await post(`/v1/portal/chats/${token}/messages`, alice, { text: text(i) })).json.id as number);
      return { alice, bob, token, ids };
    }

    it('refuses a tRPC batch of more than 10 calls whole, and runs one of 10', async () => {
      const me = await newStranger(server.url);
      const calls = (count: number) => Array.from({ length: count }, () => 'match.enqueue').join(',');
      const inputs = (count: number) =>
        Object.fromEntries(Array.from({ length: count }, (_, i) => [i, { interests: ['batchtag'] }]));
      const big = await request(server.url, `/api/trpc/${calls(11)}?batch=1`, {
        method: 'POST',
        cookie: me,
        body: inputs(11),
      });
      expect(big.status).toBe(400);
      expect(JSON.stringify(big.json)).toContain('"appCode":"ERR_BAD_REQUEST"');
      // Nothing in it ran: the person is not searching.
      expect((await request(server.url, '/v1/portal/match/status', { cookie: me })).json.state).toBe('idle');

      const ten = await request(server.url, `/api/trpc/${calls(10)}?batch=1`, {
        method: 'POST',
        cookie: me,
        body: inputs(10),
      });
      expect(ten.status).toBe(200);
      expect(ten.json).toHaveLength(10);
      expect((await request(server.url, '/v1/portal/match/status', { cookie: me })).json.state).toBe('searching');
      await request(server.url, '/v1/portal/match', { method: 'DELETE', cookie: me });
    });

    it('caps open sockets per session with 4429, whatever PORTAL_RATE_LIMITS says', async () => {
      const me = await newStranger(server.url);
      const ip = '198.51.100.10';
      const first = await socket(me, ip);
      await socket(me, ip);
      const third = await socket(me, ip);
      expect(await third.next('error')).toMatchObject({ error: 'ERR_RATE_LIMITED' });
      expect((await third.closed).code).toBe(4429);
      // Another session from the same address is not affected by this one's cap.
      const other = await socket(await newStranger(server.url), ip);
      other.send({ type: 'join', token: 'AAAAAAAAAAAAAAAAAAAAAA' });
      expect(await other.next('error')).toMatchObject({ error: 'ERR_CHAT_NOT_FOUND' });
      // A slot freed is a slot again (once the server has seen the close).
      await first.close();
      await until(async () => {
        const again = await socket(me, ip);
        again.send({ type: 'join', token: 'AAAAAAAAAAAAAAAAAAAAAA' });
        const reply = await again.next('error');
        return reply.error === 'ERR_CHAT_NOT_FOUND';
      }, 'a freed socket slot');
      await until(() => server.output().includes('"event":"socket_refused"'), 'the refusal in the log');
    });

    it('caps open sockets per client IP (behind the trusted proxy: the forwarded address)', async () => {
      const ip = '198.51.100.11';
      for (let i = 0; i < 3; i++) await socket(await newStranger(server.url), ip);
      const fourth = await socket(await newStranger(server.url), ip);
      expect(await fourth.next('error')).toMatchObject({ error: 'ERR_RATE_LIMITED' });
      expect((await fourth.closed).code).toBe(4429);
      const elsewhere = await socket(await newStranger(server.url), '198.51.100.12');
      elsewhere.send({ type: 'join', token: 'AAAAAAAAAAAAAAAAAAAAAA' });
      expect(await elsewhere.next('error')).toMatchObject({ error: 'ERR_CHAT_NOT_FOUND' });
    });

    it('joins with at most 100 messages and a truthful has_more', async () => {
      const { bob, token, ids } = await chatWith(120);
      const s = await socket(bob, '198.51.100.13');
      s.send({ type: 'join', token });
      const latest = await s.next('joined');
      expect(latest.messages).toHaveLength(50);
      expect(latest.has_more).toBe(true);
      s.send({ type: 'join', token, after: ids[4] });
      const caught = await s.next('joined', undefined, s.events.indexOf(latest) + 1);
      expect(caught.messages.map((m) => m.text)).toEqual(Array.from({ length: 100 }, (_, i) => `message ${i + 21}`));
      expect(caught.has_more).toBe(true);
      // The ones left out are there over REST.
      const older = await request(server.url, `/v1/portal/chats/${token}/messages?before=${caught.messages[0]!.id}`, {
        cookie: bob,
      });
      expect((older.json.messages as { text: string }[]).at(-1)?.text).toBe('message 20');
      s.send({ type: 'join', token, after: ids[100] });
      const recent = await s.next('joined', undefined, s.events.indexOf(caught) + 1);
      expect(recent.messages).toHaveLength(19);
      expect(recent.has_more).toBe(false);
    });

    it('closes a socket whose client stops reading once its send queue passes the bound', async () => {
      const { bob, token } = await chatWith(100, (i) => `${i} ${'x'.repeat(1990)}`);
      const s = await socket(bob, '198.51.100.14');
      const tcp = (s.ws as unknown as { _socket: Socket })._socket;
      tcp.pause();
      // Each `joined` is ~200 KB: far more than the kernel buffers, then the 64 KiB bound.
      for (let i = 0; i < 150; i++) s.send({ type: 'join', token, after: 0 });
      await until(() => server.output().includes('"event":"socket_send_queue_full"'), 'the send queue bound', 30_000);
      tcp.resume();
      expect([1006, 1008]).toContain((await s.closed).code);
    });

    it('serves metrics to loopback and to the bearer token only, with bounded tag series', async () => {
      expect((await request(server.url, '/v1/portal/metrics')).status).toBe(200);
      const remote = from('203.0.113.30');
      expectError(await request(server.url, '/v1/portal/metrics', { headers: remote }), 403, 'ERR_FORBIDDEN');
      for (const authorization of [`Bearer ${METRICS_TOKEN}x`, 'Bearer ', METRICS_TOKEN, `Basic ${METRICS_TOKEN}`])
        expectError(
          await request(server.url, '/v1/portal/metrics', { headers: { ...remote, authorization } }),
          403,
          'ERR_FORBIDDEN',
        );
      const allowed = await request(server.url, '/v1/portal/metrics', {
        headers: { ...remote, authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(allowed.status).toBe(200);

      // 60 people waiting, each on a tag of their own: 50 series by name, 10 summed.
      for (let i = 0; i < 60; i++) {
        const me = await newStranger(server.url);
        const reply = await post('/v1/portal/match', me, { interests: [`mt${i}${provider.slice(0, 2)}`] });
        expect(reply.json.state).toBe('searching');
      }
      const text = (await request(server.url, '/v1/portal/metrics')).text;
      const series = [...text.matchAll(/^portal_queue_depth\{tag="([^"]+)"\} (\d+)$/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]);
      expect(series).toHaveLength(51);
      expect(Object.fromEntries(series).other).toBe(10);
    });

    it('trusts forwarded addresses only from trusted proxies, IPv4 and IPv6', async () => {
      const base = limited.url;
      const session = (headers: Record<string, string>) =>
        request(base, '/v1/portal/session', { method: 'POST', headers });
      // Socket 127.0.0.1 is a trusted proxy: the client is the forwarded address (2 sessions a minute each).
      expect((await session(from('198.51.100.7'))).status).toBe(201);
      expect((await session(from('198.51.100.7'))).status).toBe(201);
      expect((await session(from('198.51.100.7'))).status).toBe(429);
      expect((await session(from('198.51.100.8'))).status).toBe(201);
      // A client writing its own entry cannot change who it is; a second trusted proxy is walked past.
      expect((await session(from('1.2.3.4, 198.51.100.7'))).status).toBe(429);
      expect((await session(from('198.51.100.7, 10.0.0.5'))).status).toBe(429);
      expect((await session(from('2001:db8::9, fd00::2'))).status).toBe(201);
      expect((await session(from('2001:db8::9'))).status).toBe(201);
      expect((await session(from('2001:db8::9'))).status).toBe(429);

      // Proto and Host from the trusted proxy: the cookie gets Secure, HSTS is sent, and the origin check uses them.
      const https = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'portal.example' };
      const secure = await session({ ...from('198.51.100.9'), ...https, origin: 'https://portal.example' });
      expect(secure.status).toBe(201);
      expect(String(secure.headers['set-cookie'])).toMatch(/; Secure/);
      expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
      const plain = await session(from('198.51.100.10'));
      expect(String(plain.headers['set-cookie'])).not.toMatch(/Secure/);
      expect(plain.headers['strict-transport-security']).toBeUndefined();
      expectError(
        await session({ ...from('198.51.100.11'), 'x-forwarded-proto': 'https', origin: 'https://portal.example' }),
        403,
        'ERR_BAD_ORIGIN',
      );
    });

    it('counts every socket frame against the request ceiling, malformed ones included', async () => {
      const me = cookieOf(
        await request(limited.url, '/v1/portal/session', { method: 'POST', headers: from('198.51.100.40') }),
      )!;
      const s = await socket(me, '198.51.100.40', limited.url);
      for (const frame of ['not json', '{"type":"shout"}', '[]', '{"type":"join"}']) s.send(frame);
      await until(() => s.events.length === 4, 'four answers');
      expect(s.events.map((e) => e.type === 'error' && e.error)).toEqual(Array(4).fill('ERR_BAD_REQUEST'));
      // The allowance (4 a minute) is spent: a valid frame and a REST call are refused.
      s.send({ type: 'join', token: 'AAAAAAAAAAAAAAAAAAAAAA' });
      expect(await s.next('error', undefined, 4)).toMatchObject({ error: 'ERR_RATE_LIMITED' });
      expect((await request(limited.url, '/v1/portal/session', { cookie: me })).status).toBe(429);
      expect(s.ws.readyState).toBe(s.ws.OPEN);
      await until(
        () => /"event":"rate_limited".*"path":"socket:join"/.test(limited.output()),
        'the refusal in the log',
      );
    });
  });
}

describe('what the logs hold', () => {
  let target: TestDatabaseUrl;
  let server: RunningServer;
  beforeAll(async () => {
    target = await createTestDatabaseUrl('sqlite');
    server = await startServer({
      DATABASE_URL: target.url,
      PORTAL_API_ONLY: 'true',
      // Every request's URL is logged at debug: the redaction is exercised on all of them.
      LOG_LEVEL: 'debug',
      PORTAL_RATE_LIMITS: 'on',
      RATE_LIMIT_LOGIN_PER_MINUTE: '3',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await target?.destroy();
  });

  it('never holds a session token, chat token or password, and logs the security events', async () => {
    const base = server.url;
    const post = (path: string, cookie: string | null, body?: unknown) =>
      request(base, path, { method: 'POST', cookie, body });
    const secrets: string[] = [PASSWORD];

    const alice = await newStranger(base);
    const bob = await newStranger(base);
    secrets.push(alice, bob);
    await post('/v1/portal/match', alice, { interests: ['logtag'] });
    const chat = (await post('/v1/portal/match', bob, { interests: ['logtag'] })).json.token as string;
    secrets.push(chat);
    await post(`/v1/portal/chats/${chat}/messages`, alice, { text: 'hello' });
    await request(base, `/v1/portal/chats/${chat}`, { cookie: bob });
    await request(base, `/v1/portal/chats/${chat}/messages?before=99&limit=5`, { cookie: bob });
    await request(base, `/api/trpc/chat.get?input=${encodeURIComponent(JSON.stringify({ token: chat }))}`, {
      cookie: bob,
    });
    const s = await openSocket(base, bob);
    s.send({ type: 'join', token: chat });
    await s.next('joined');
    await s.close();

    // A moderator (made by the operator) blocks the stranger: a moderation event.
    const moderatorReply = await post('/v1/portal/auth/register', null, { username: 'logmod', password: PASSWORD });
    const moderator = cookieOf(moderatorReply)!;
    secrets.push(moderator);
    expect((await runCli(target.url, ['role', 'set', 'logmod', 'moderator'])).code).toBe(0);
    const victim = (await request(base, '/v1/portal/session', { cookie: alice })).json.id as string;
    expect((await post(`/v1/portal/moderation/sessions/${victim}/block`, moderator, { reason: 'spam' })).status).toBe(
      200,
    );

    // Failed logins, then the per-IP login limit: events.
    expect((await post('/v1/portal/auth/login', null, { username: 'logmod', password: `${PASSWORD}!` })).status).toBe(
      401,
    );
    expect((await post('/v1/portal/auth/login', null, { username: 'nobody', password: PASSWORD })).status).toBe(401);
    const signedIn = await post('/v1/portal/auth/login', null, { username: 'logmod', password: PASSWORD });
    secrets.push(cookieOf(signedIn)!);
    expect((await post('/v1/portal/auth/login', null, { username: 'logmod', password: PASSWORD })).status).toBe(429);

    await until(() => server.output().includes('"event":"rate_limited"'), 'the rate-limit event');
    const log = server.output();
    for (const secret of secrets) expect(log).not.toContain(secret);
    const events = log
      .split('\n')
      .filter((line) => line.includes('"event":'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'login_failed', username: 'logmod', path: 'auth.login', ip: '127.0.0.1' }),
    );
    expect(events).toContainEqual(expect.objectContaining({ event: 'login_failed', username: 'nobody' }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'rate_limited', path: 'auth.login' }));
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'moderation_action', path: 'moderation.blockSession', target: victim }),
    );
    // The URLs were logged, with their tokens and queries cut out.
    expect(log).toContain('"url":"/v1/portal/chats/[redacted]/messages?[redacted]"');
    expect(log).toContain('"url":"/api/trpc/chat.get?[redacted]"');
  });
});
