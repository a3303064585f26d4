// Property-based fuzzing of every REST operation in /v1/openapi.json and of every
// socket message type: malformed bodies, queries, path parameters, cookies and
// frames. Whatever comes in: never a 5xx, never a stack trace, always exactly
// `{error, message}` with a code the document lists for that operation, and
// nothing written to the database.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, isErrorCode } from '@portal/contracts';
import { openDatabase, type Database } from '@portal/db';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { openSocket } from './socket-client.ts';
import { cookieOf, newStranger, request, runCli, startServer, type Reply, type RunningServer } from './server.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
/**
 * One fixed seed by default, so that a run passes or fails the same way every time
 * (this one found the U+0000 token defect on PostgreSQL); FUZZ_SEED explores others.
 * fast-check prints the seed and the shrunk counterexample with any failure, and the
 * suite's name carries it too.
 */
const DEFAULT_SEED = 1510231666;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : DEFAULT_SEED;
if (!Number.isSafeInteger(SEED)) throw new Error(`FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);
const TABLES = [
  'accounts',
  'sessions',
  'queue_entries',
  'queue_tags',
  'chats',
  'chat_participants',
  'messages',
  'reports',
  'audit_entries',
  'blocks',
];

interface Operation {
  method: string;
  path: string;
  /** Statuses and, for errors, the codes the document lists. */
  success: Set<number>;
  codes: Set<string>;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
}

function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    // Not JSON operations: the document itself, Prometheus text, the WebSocket upgrade.
    if (['/v1/openapi.json', '/v1/portal/metrics', '/v1/portal/socket'].includes(path)) continue;
    for (const [method, op] of Object.entries(item)) {
      const success = new Set<number>();
      const codes = new Set<string>();
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) success.add(Number(status));
        const schema = response.content?.['application/json']?.schema as
          { allOf?: { properties?: { error?: { enum?: string[] } } }[] } | undefined;
        for (const code of schema?.allOf?.[1]?.properties?.error?.enum ?? []) codes.add(code);
      }
      ops.push({ method: method.toUpperCase(), path, success, codes });
    }
  }
  return ops;
}

/** Everything a path parameter, a query value or a field could be that a client might send. */
const junkString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '%', '%zz', '..', "' OR 1=1 --", '<img src=x onerror=alert(1)>', 'a'.repeat(300), '\u0000'),
  fc.uuid(),
);
const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 3 }), junkString);
/** Bodies shaped like real inputs, with every field possibly the wrong type or out of range. */
const nearBody = fc.record(
  {
    interests: fc.oneof(fc.array(jsonish, { maxLength: 5 }), jsonish),
    text: jsonish,
    reason: jsonish,
    username: jsonish,
    password: jsonish,
    client_id: jsonish,
    token: jsonish,
    id: jsonish,
    limit: jsonish,
    extra: jsonish,
  },
  { requiredKeys: [] },
);

const bodyArb = fc.oneof(
  fc.constant({ raw: undefined as string | undefined, type: undefined as string | undefined }),
  fc.record({
    raw: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      nearBody.map((v) => JSON.stringify(v)),
    ),
    type: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', undefined),
  }),
  fc.record({
    raw: fc.oneof(fc.string(), fc.constantFrom('{', '{"a":', 'null', '[]', '"x"', '1e999', '{"__proto__":{"x":1}}')),
    type: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'),
  }),
);

const queryArb = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(fc.constantFrom('before', 'limit', 'after', 'x', 'interests'), junkString, { maxKeys: 3 })
    .map((q) => `?${new URLSearchParams(q).toString()}`),
  fc.constantFrom('?limit=%zz', '?before=-1', '?limit=1e9', '?before=99999999999', '?&&==', '?limit=1&limit=2'),
);

type CookieKind = 'none' | 'stranger' | 'moderator' | 'garbage';
const cookieArb = fc.oneof(
  fc.constantFrom<CookieKind>('none', 'stranger', 'moderator'),
  fc.constant<CookieKind>('garbage'),
);
const garbageCookie = fc.oneof(fc.string(), fc.base64String({ minLength: 43, maxLength: 44 }), fc.constant('%E0%A4%A'));

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`fuzzing on ${provider} (FUZZ_SEED=${SEED})`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    let db: Database;
    let ops: Operation[];
    const cookies = { stranger: '', moderator: '', chat: '' };

    /** A fingerprint of every row of every table: any write changes it. */
    async function snapshot(): Promise<string> {
      const hash = createHash('sha1');
      for (const table of TABLES) {
        const rows = await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM ${table}`);
        const lines = rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
        hash.update(`${table}:${lines.sort().join('\n')}`);
      }
      return hash.digest('hex');
    }

    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      server = await startServer({
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
        // Nothing may change the database on its own while the fuzzer watches it.
        REAPER_INTERVAL_SECONDS: '3600',
        MATCH_QUEUE_TTL_SECONDS: '3600',
      });
      db = await openDatabase(target.url);
      ops = operationsOf((await request(server.url, '/v1/openapi.json')).json as OpenApiDoc);

      // Someone in a chat, with a message, and a moderator: deeper code paths to reach.
      cookies.stranger = await newStranger(server.url);
      cookies.chat = await newStranger(server.url);
      const post = (path: string, cookie: string | null, body: unknown) =>
        request(server.url, path, { method: 'POST', cookie, body });
      await post('/v1/portal/match', cookies.stranger, { interests: ['fuzz'] });
      const { token } = (await post('/v1/portal/match', cookies.chat, { interests: ['fuzz'] })).json as {
        token: string;
      };
      await post(`/v1/portal/chats/${token}/messages`, cookies.chat, { text: 'hello' });
      const reply = await post('/v1/portal/auth/register', null, {
        username: 'fuzzmod',
        password: 'fuzz moderator pw',
      });
      cookies.moderator = cookieOf(reply)!;
      await runCli(target.url, ['role', 'set', 'fuzzmod', 'moderator']);
    });
    afterAll(async () => {
      await db?.close();
      await server?.stop();
      await target?.destroy();
    });

    function expectDocumentedError(op: Operation, reply: Reply): void {
      expect(reply.status, `${op.method} ${op.path}: ${reply.text}`).toBeLessThan(500);
      expect(reply.text).not.toMatch(/\bat .*\.(m?js|ts):\d+|node_modules|Error:/);
      const body = reply.json as Record<string, unknown>;
      expect(Object.keys(body ?? {})).toEqual(['error', 'message']);
      expect(isErrorCode(body.error), String(body.error)).toBe(true);
      const code = body.error as keyof typeof ERRORS;
      expect(ERRORS[code].status).toBe(reply.status);
      // Listed for this operation (an unknown path is possible anywhere).
      if (code !== 'ERR_NOT_FOUND') expect([...op.codes], `${op.method} ${op.path}`).toContain(code);
    }

    it('answers every malformed REST request with a documented error and writes nothing', async () => {
      const property = fc.asyncProperty(
        fc.constantFrom(...ops),
        fc.array(junkString, { minLength: 2, maxLength: 2 }),
        fc.boolean(),
        queryArb,
        bodyArb,
        cookieArb,
        garbageCookie,
        fc.option(fc.constantFrom('null', 'http://evil.example', 'https://127.0.0.1')),
        async (op, params, encode, query, body, cookieKind, garbage, origin) => {
          let i = 0;
          const path = op.path.replace(/\{\w+\}/g, () => {
            const value = params[i++] ?? '';
            return encode ? encodeURIComponent(value) : value.replace(/[/?#\s]/g, '');
          });
          // Session-changing operations (sign-in, sign-out, account deletion) get a
          // throwaway stranger, so the fixtures survive.
          const authPath = op.path.startsWith('/v1/portal/auth/') || op.path.startsWith('/v1/portal/account');
          const cookie =
            cookieKind === 'none'
              ? null
              : cookieKind === 'garbage'
                ? garbage
                : authPath
                  ? await newStranger(server.url)
                  : cookies[cookieKind];
          const headers: Record<string, string> = {};
          if (body.type) headers['content-type'] = body.type;
          if (origin) headers.origin = origin;
          const before = await snapshot();
          const reply = await request(server.url, `${path}${query}`, {
            method: op.method,
            cookie,
            headers,
            ...(body.raw !== undefined && op.method !== 'GET' ? { body: body.raw } : {}),
          });
          if (reply.status >= 200 && reply.status < 300) {
            // Valid by chance: a documented success (and it may have written, as it should).
            expect([...op.success], `${op.method} ${op.path} ${reply.status}`).toContain(reply.status);
            return;
          }
          expectDocumentedError(op, reply);
          expect(await snapshot(), `${op.method} ${path}${query} wrote on ${reply.status}`).toBe(before);
        },
      );
      // The runs grow with the number of operations (RUNS each), and each compares a snapshot of every table.
      await fc.assert(property, { seed: SEED, numRuns: RUNS * ops.length });
    }, 180_000);

    it('answers every malformed socket frame with an error event and writes nothing', async () => {
      const socket = await openSocket(server.url, cookies.chat);
      let marker = 0;
      const frameArb = fc.oneof(
        fc.string(),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc
          .record(
            {
              type: fc.oneof(fc.constantFrom('join', 'message', 'typing', 'leave', 'JOIN', ''), jsonish),
              token: jsonish,
              text: jsonish,
              after: jsonish,
              client_id: jsonish,
            },
            { requiredKeys: ['type'] },
          )
          .map((v) => JSON.stringify(v)),
        fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
      );
      await fc.assert(
        fc.asyncProperty(frameArb, async (frame) => {
          const from = socket.events.length;
          const before = await snapshot();
          if (Buffer.isBuffer(frame)) socket.ws.send(frame, { binary: true });
          else socket.send(frame);
          // Frames are handled in order: this one's answer comes before the marker's
          // (a well-formed token of no chat, so it takes the whole path to the database).
          const tag = `m${String(++marker).padStart(21, '0')}`;
          socket.send({ type: 'typing', token: tag });
          await socket.next('error', (e) => e.token === tag, from);
          const answers = socket.events.slice(from);
          for (const event of answers) {
            if (event.type !== 'error') continue;
            expect(isErrorCode(event.error), event.error).toBe(true);
            expect(event.error).not.toBe('ERR_INTERNAL');
          }
          expect(socket.ws.readyState).toBe(socket.ws.OPEN);
          // A well-formed message to a chat of ours is a legitimate write; nothing else is.
          const sentMessage = answers.some((e) => e.type === 'message');
          if (!sentMessage) expect(await snapshot()).toBe(before);
        }),
        { seed: SEED, numRuns: RUNS * 10 },
      );
      await socket.close();
      expect(server.child.exitCode).toBeNull();
    });
  });
}
