import { generateOpenApiDocument } from 'trpc-to-openapi';
import { ERROR_CODES, ERRORS, type TErrorCode } from '@portal/contracts';
import { appRouter } from './router.ts';
import type { PortalMeta } from './trpc.ts';

type Json = Record<string, unknown>;
type Operation = Json & {
  responses: Record<string, Json>;
  security?: unknown;
  requestBody?: unknown;
  parameters?: unknown;
};

const DESCRIPTION = `Portal pairs people into one-to-one text chats by shared interests.

Authentication is the \`psession\` cookie: \`POST /v1/portal/session\` sets it. A session expires after
SESSION_IDLE_DAYS (30) without a request, to about the hour, and SESSION_MAX_DAYS (180) after its creation; an expired
one is 401 \`ERR_UNAUTHENTICATED\` like an unknown one. The cookie's Max-Age is what is left of the session; it is sent
again, renewed, on the first request of each hour (when \`last_seen_at\` is written). Every error body is exactly
\`{ "error": "ERR_...", "message": "..." }\`. Before a request reaches an operation, the transport checks it:
a state-changing request with a foreign \`Origin\` is 403 \`ERR_BAD_ORIGIN\`, a body that is not
\`application/json\` is 415, a body over 16 KiB is 413, an unknown path is 404 \`ERR_NOT_FOUND\`. From there, on
every operation that needs a session, 401 comes before any other check. Inputs are strict: unknown fields and
unknown query parameters are 400 \`ERR_BAD_REQUEST\`. A POST without input accepts an empty body or \`{}\`.

Tokens and ids have a fixed alphabet: a chat token is 22 characters of \`A-Z a-z 0-9 - _\`, every id a lowercase
UUID. A value outside it names nothing and gets exactly the answer an unknown one gets (404
\`ERR_CHAT_NOT_FOUND\` for a chat token, 404 \`ERR_NOT_FOUND\` for an id), without reaching the database; when
another field of the same request is invalid too, the answer is 400 \`ERR_BAD_REQUEST\`, as with an unknown token.

While the database is unreachable or too slow (every statement has a time limit), every operation that needs it
answers 503 \`ERR_UNAVAILABLE\` with \`Retry-After\` in seconds; service resumes by itself when the database is back.`;

const SOCKET_DESCRIPTION = `Upgrade with the \`psession\` cookie (and, from a browser, our own Origin). JSON text frames,
validated by the server with the zod schemas \`ZClientEvent\` and \`ZServerEvent\` (@portal/contracts).

Client → server: \`{"type":"join","token","after"?}\` (start receiving a chat; \`after\` = last message id you have,
to receive what came since: the newest 100 at most), \`{"type":"message","token","text"}\`, \`{"type":"typing","token"}\`,
\`{"type":"leave","token"}\`.

Server → client: \`joined\` (the chat, recent or missed messages, at most 100; \`has_more\` when older ones the client
may lack were left out, to page with GET .../messages?before=; \`partner_online\`), \`message\` (\`from\`:
"me" | "partner"; your own messages come back too), \`typing\`, \`partner_joined\`, \`partner_left\` (the partner's
last socket left the chat), \`ended\` (\`reason\` "ended" | "expired" | "reported" | "moderated", \`by\` "me" | "partner"),
\`messages_removed\` (\`from\` "partner": the partner deleted their account, so every message they sent now reads
\`deleted: true\`, \`text: ""\`), \`matched\` (pushed when a search of this session is matched), and \`error\` (\`{error, message, token?}\` with the REST
codes; the socket stays open).

A \`token\` outside the chat-token alphabet is answered like an unknown one (\`error\` \`ERR_CHAT_NOT_FOUND\` with that
\`token\`); while the database is down, frames that need it get \`error\` \`ERR_UNAVAILABLE\` and an upgrade is 503
with \`Retry-After\`. When this instance restarts (SIGTERM), or its event bus loses its database connection and gets it
back, it closes every socket with code 1012 (service restart): reconnect and re-join with \`after\`, which gives what
was missed and nothing twice.

The server closes a socket itself after an \`error\` event in two cases: close code 4401 when the session was signed
out, replaced (login, register), revoked (a logout elsewhere, a password change) or expired (at the next ping check)
(connect again: the cookie now names another session, or none), and 4403
when the person is blocked or suspended (a new socket of theirs opens only to get that error and close with 4403).
Connections are capped per session (SOCKET_MAX_PER_SESSION, 8) and per client IP (SOCKET_MAX_PER_IP, 200): one more
socket gets \`ERR_RATE_LIMITED\` and close code 4429. A client that stops reading is closed with 1008 once its unsent
events pass a bound. Every frame, malformed ones included, counts against the session's request ceiling; messages
are also rate-limited per session and per IP like their REST twin (\`error\` \`ERR_RATE_LIMITED\`).
A message sent over REST reaches the socket and the other way round. The server pings every 30 s and closes a socket that
missed a ping.`;

const SET_COOKIE = 'SetSessionCookie';
const RENEWED_COOKIE = 'RenewedSessionCookie';
const CLEARED_COOKIE = 'ClearedSessionCookie';
const RETRY_AFTER = 'RetryAfter';
const headerRef = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

/** Whoever runs this instance answers for it; the document names no address of its own. */
const CONTACT = { name: 'The operators of this Portal instance' };

const TAGS = [
  { name: 'session', description: 'Stranger sessions: the `psession` cookie every other call carries.' },
  { name: 'auth', description: 'Accounts: register, sign in and out, the sessions of an account, the password.' },
  { name: 'account', description: "The person's own data: export it, delete it." },
  { name: 'match', description: 'The matchmaking queue by interest tags, its status, and what people search now.' },
  { name: 'chats', description: 'One-to-one chats made by a match: messages, ending, reporting, the live socket.' },
  { name: 'blocks', description: 'People you blocked from a chat, who will not be matched with you again.' },
  { name: 'moderation', description: 'Moderators only: reports, blocking and suspending, the audit trail.' },
  { name: 'operations', description: 'Health checks, Prometheus metrics and this document.' },
];

/** Errors every operation of a kind can return, besides those its procedure declares. */
function implicitErrors(method: string, isProtected: boolean): TErrorCode[] {
  // Every operation may meet the database down (SPEC §11): 503 with Retry-After.
  const codes: TErrorCode[] = ['ERR_BAD_REQUEST', 'ERR_INTERNAL', 'ERR_UNAVAILABLE'];
  if (isProtected) codes.push('ERR_UNAUTHENTICATED', 'ERR_RATE_LIMITED');
  if (method !== 'get') codes.push('ERR_BAD_ORIGIN');
  // The transport reads any body a request carries, whatever the method (found by the fuzzer).
  codes.push('ERR_PAYLOAD_TOO_LARGE', 'ERR_UNSUPPORTED_MEDIA_TYPE');
  return codes;
}

function errorResponses(codes: TErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, TErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: list.map((code) => `\`${code}\`: ${ERRORS[code].message}`).join(' / '),
      ...(status === 429 || status === 503 ? { headers: { 'Retry-After': headerRef(RETRY_AFTER) } } : {}),
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { properties: { error: { enum: list } } }] },
        },
      },
    };
  }
  return responses;
}

function metaByOperation(): Map<string, PortalMeta> {
  const map = new Map<string, PortalMeta>();
  for (const procedure of Object.values(appRouter._def.procedures)) {
    const meta = (procedure as unknown as { _def: { meta?: PortalMeta } })._def.meta;
    if (meta?.openapi) map.set(`${meta.openapi.method.toLowerCase()} ${meta.openapi.path}`, meta);
  }
  return map;
}

/**
 * The document trpc-to-openapi generates from the router, corrected to tell the
 * truth: cookie auth instead of a bearer header, the `{error, message}` error
 * body, every status each path can answer with, and the non-tRPC paths.
 */
export function buildOpenApiDocument(version = '1.0.0'): Json {
  const doc = generateOpenApiDocument(appRouter, {
    title: 'Portal API',
    version,
    baseUrl: '/',
    description: DESCRIPTION,
  }) as unknown as Json & { paths: Record<string, Record<string, Operation>>; components?: Json };
  const metas = metaByOperation();

  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const meta = metas.get(`${method} ${path}`);
      const isProtected = meta?.openapi?.protect !== false;
      const success = Object.entries(operation.responses).filter(([status]) => Number(status) < 400);
      operation.responses = {
        ...Object.fromEntries(success),
        ...errorResponses([...implicitErrors(method, isProtected), ...(meta?.errors ?? [])]),
      };
      // Public operations say so (an empty list), rather than leaving it to be guessed.
      operation.security = isProtected ? [{ psession: [] }] : [];
      optionalEmptyBody(operation);
    }
  }
  decorateSpecialCases(doc.paths);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (metas.get(`${method} ${path}`)?.openapi?.protect !== false) documentRenewal(operation);
    }
  }
  addOperationalPaths(doc.paths);
  doc.info = { ...(doc.info as Json), contact: CONTACT };
  doc.servers = [{ url: '/', description: 'The Portal instance that serves this document (same origin).' }];
  doc.tags = TAGS;

  doc.components = {
    ...doc.components,
    securitySchemes: {
      psession: {
        type: 'apiKey',
        in: 'cookie',
        name: 'psession',
        description:
          'Opaque 256-bit session token set by POST /v1/portal/session (HttpOnly, SameSite=Lax). A client outside ' +
          'a browser reads it from `Set-Cookie` and sends it back as `Cookie: psession=...` (docs/api.md).',
      },
      metricsToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'METRICS_TOKEN, when the server sets one: the metrics for a client that is not on loopback.',
      },
    },
    headers: {
      [SET_COOKIE]: {
        required: true,
        schema: { type: 'string' },
        description:
          'psession=...; Path=/; HttpOnly; SameSite=Lax; Max-Age=<seconds left of the session> (and Secure over https)',
      },
      [RENEWED_COOKIE]: {
        required: false,
        schema: { type: 'string' },
        description:
          'The psession cookie again with a renewed Max-Age, on the first request of each hour of a session ' +
          '(when `last_seen_at` is written), whatever the status of the answer. Store it as a browser would.',
      },
      [CLEARED_COOKIE]: {
        required: true,
        schema: { type: 'string' },
        description:
          'psession=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0 (and Secure over https): the cookie is cleared.',
      },
      [RETRY_AFTER]: {
        required: true,
        schema: { type: 'integer', minimum: 1 },
        description: 'Seconds to wait before retrying.',
      },
    },
    schemas: {
      // trpc-to-openapi's own error schemas (`{message, code, issues}`) describe a body we never send.
      ...Object.fromEntries(
        Object.entries((doc.components?.schemas as Json | undefined) ?? {}).filter(
          ([name]) => !name.startsWith('error.'),
        ),
      ),
      Error: {
        type: 'object',
        additionalProperties: false,
        required: ['error', 'message'],
        properties: {
          error: { type: 'string', enum: ERROR_CODES },
          message: { type: 'string', description: 'A human sentence; do not parse it.' },
        },
      },
    },
  };
  return doc;
}

/**
 * A POST whose input has no required field accepts an empty body as `{}` (the REST
 * adapter reads it so): the body is optional, and a client may send none.
 */
function optionalEmptyBody(operation: Operation): void {
  const body = operation.requestBody as
    { required?: boolean; content?: Record<string, { schema?: { required?: unknown[] } }> } | undefined;
  if (body && !body.content?.['application/json']?.schema?.required?.length) body.required = false;
}

/** Statuses answered before the session is read: they never carry a renewed cookie. */
const BEFORE_SESSION = new Set(['401', '413', '415']);

/**
 * Any request with a session may renew its cookie (SPEC §10: Max-Age follows the idle
 * deadline), and the header is written as soon as the session is read, so every answer
 * from then on, an error included, may carry it.
 */
function documentRenewal(operation: Operation): void {
  for (const [status, response] of Object.entries(operation.responses)) {
    if (BEFORE_SESSION.has(status)) continue;
    const headers = (response.headers ?? {}) as Json;
    if (!headers['Set-Cookie']) response.headers = { ...headers, 'Set-Cookie': headerRef(RENEWED_COOKIE) };
  }
}

function decorateSpecialCases(paths: Record<string, Record<string, Operation>>): void {
  const create = paths['/v1/portal/session']?.post;
  if (create) {
    const ok = create.responses['200'];
    create.responses['201'] = {
      ...ok,
      description: 'A new stranger session; the cookie is set.',
      headers: { 'Set-Cookie': headerRef(SET_COOKIE) },
    };
    if (ok) {
      ok.description = 'The session the cookie already names.';
      ok.headers = { 'Set-Cookie': headerRef(RENEWED_COOKIE) };
    }
  }
  const login = paths['/v1/portal/auth/login']?.post?.responses['200'];
  if (login) login.headers = { 'Set-Cookie': headerRef(SET_COOKIE) };
  // Success statuses other than 200 (the procedures set them; trpc-to-openapi documents 200).
  const moved: [string, string, string][] = [
    ['/v1/portal/auth/register', '201', 'The account was created; the new session is returned and its cookie set.'],
    ['/v1/portal/chats/{token}/messages', '201', 'The message was stored.'],
    ['/v1/portal/chats/{token}/report', '201', 'The report was filed and the chat ended.'],
  ];
  for (const [path, status, description] of moved) {
    const operation = paths[path]?.post;
    const ok = operation?.responses['200'];
    if (!operation || !ok) continue;
    const moved = { ...ok, description } as Json;
    // Registering signs the new account in: its session's cookie is set.
    if (path === '/v1/portal/auth/register') moved.headers = { 'Set-Cookie': headerRef(SET_COOKIE) };
    operation.responses = { [status]: moved, ...operation.responses };
    delete operation.responses['200'];
  }
  const report = paths['/v1/portal/chats/{token}/report']?.post;
  if (report?.responses['201']) {
    report.responses['200'] = { ...report.responses['201'], description: 'Already reported: the first report.' };
  }
  const logout = paths['/v1/portal/auth/logout']?.post;
  if (logout) {
    delete logout.responses['200'];
    logout.responses = {
      '204': {
        description: 'Signed out; the cookie is cleared.',
        headers: { 'Set-Cookie': headerRef(CLEARED_COOKIE) },
      },
      ...logout.responses,
    };
  }
  const noContent: [string, 'post' | 'delete', Json][] = [
    ['/v1/portal/blocks/{id}', 'delete', { description: 'The block is lifted.' }],
    [
      '/v1/portal/auth/sessions/{id}/revoke',
      'post',
      {
        description: 'The session is signed out. When it was this one, the cookie is cleared.',
        headers: {
          'Set-Cookie': {
            required: false,
            schema: { type: 'string' },
            description: 'psession=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0 (when it was this session).',
          },
        },
      },
    ],
    ['/v1/portal/auth/sessions/revoke-others', 'post', { description: 'Every other session is signed out.' }],
    [
      '/v1/portal/auth/password',
      'post',
      { description: 'The password is changed; every other session is signed out.' },
    ],
  ];
  for (const [path, method, response] of noContent) {
    const operation = paths[path]?.[method];
    if (!operation) continue;
    delete operation.responses['200'];
    operation.responses = { '204': response, ...operation.responses };
  }
  const deletion = paths['/v1/portal/account']?.delete;
  if (deletion) {
    delete deletion.responses['200'];
    deletion.responses = {
      '204': {
        description: 'Deleted; the cookie is cleared.',
        headers: { 'Set-Cookie': headerRef(CLEARED_COOKIE) },
      },
      ...deletion.responses,
    };
    // The generator puts a DELETE's input in the query string; this one is a JSON body
    // (the REST adapter reads it: a password never goes in a URL).
    delete deletion.parameters;
    deletion.requestBody = {
      required: false,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              password: {
                type: 'string',
                minLength: 1,
                maxLength: 200,
                description: "A registered person's password; a stranger leaves it out.",
              },
            },
          },
        },
      },
    };
  }
  const exported = paths['/v1/portal/account/export']?.get?.responses['200'];
  if (exported) {
    exported.headers = {
      'Content-Disposition': {
        schema: { type: 'string' },
        description: 'attachment; filename="portal-export-<YYYY-MM-DD>.json"',
      },
    };
  }
  const popular = paths['/v1/portal/interests/popular']?.get?.responses['200'];
  if (popular) {
    popular.headers = {
      'Cache-Control': {
        schema: { type: 'string' },
        description: 'public, max-age=2: the same for everyone; errors stay no-store.',
      },
    };
  }
  const health = paths['/v1/portal/health']?.get;
  if (health?.responses['200']) {
    health.responses['503'] = {
      ...health.responses['200'],
      description: 'The database is unreachable, or the event bus is reconnecting.',
    };
  }
  decorateStatusPoll(paths['/v1/portal/match/status']?.get);
}

/** SPEC §9 cheap polling: the ETag on every answer, If-None-Match, `wait` and the 304 (the generator knows none of them). */
function decorateStatusPoll(status: Operation | undefined): void {
  if (!status) return;
  const etag = {
    ETag: {
      schema: { type: 'string', example: '"3f9a0c2e71d4b658"' },
      description: "The state's strong entity tag; send it back as If-None-Match.",
    },
  };
  const wait = (status.parameters as Json[] | undefined)?.find((p) => p.in === 'query' && p.name === 'wait');
  if (wait) {
    wait.required = false;
    wait.description =
      'Seconds (1–30) to hold the request while `If-None-Match` is the current ETag: it answers when the state ' +
      'changes (200) or when they pass (304). Without `If-None-Match` it answers at once.';
  }
  status.parameters = [
    ...((status.parameters as Json[] | undefined) ?? []),
    {
      in: 'header',
      name: 'If-None-Match',
      required: false,
      schema: { type: 'string' },
      description: 'The ETag of the state the client has: 304 while it is still current.',
    },
  ];
  const ok = status.responses['200'];
  if (ok) {
    ok.description = 'The current state (another one than If-None-Match names, if sent).';
    ok.headers = etag;
  }
  status.responses = {
    ...(ok ? { '200': ok } : {}),
    '304': {
      description: 'Not modified: the state is still the one If-None-Match names (at once, or when `wait` passed).',
      headers: etag,
    },
    ...status.responses,
  };
}

function addOperationalPaths(paths: Record<string, Record<string, Operation>>): void {
  paths['/v1/portal/metrics'] = {
    get: {
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics',
      description:
        'Queue depth per tag (the 50 busiest tags by name, the rest summed under `tag="other"`), matches made, ' +
        'time-to-match histogram, active chats, open sockets. Served to loopback clients, and, when the server sets ' +
        'METRICS_TOKEN, to any client sending that token as a bearer token; 403 `ERR_FORBIDDEN` otherwise.',
      // Either no credentials (from loopback) or the bearer token.
      security: [{}, { metricsToken: [] }],
      responses: {
        '200': {
          description: 'Prometheus text exposition format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        ...errorResponses(['ERR_FORBIDDEN']),
      },
    },
  };
  paths['/v1/portal/socket'] = {
    get: {
      operationId: 'socket',
      tags: ['chats'],
      summary: 'Live chat WebSocket',
      description: SOCKET_DESCRIPTION,
      security: [{ psession: [] }],
      responses: {
        '101': { description: 'Switching protocols: the socket is open.' },
        // A plain GET (no Upgrade header) is no operation of the REST surface.
        ...errorResponses(['ERR_UNAUTHENTICATED', 'ERR_BAD_ORIGIN', 'ERR_NOT_FOUND', 'ERR_UNAVAILABLE']),
      },
    },
  };
  paths['/v1/openapi.json'] = {
    get: {
      operationId: 'openapi',
      tags: ['operations'],
      summary: 'This document',
      description:
        'The OpenAPI 3.1 description of this API, as this instance serves it. Generate a typed client from it, ' +
        'for example with openapi-typescript and openapi-fetch (docs/api.md).',
      security: [],
      responses: {
        '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  };
}
