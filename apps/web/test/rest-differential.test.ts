// The lean REST adapter against the trpc-to-openapi adapter it replaced (issue 10):
// one recorded set of requests, replayed in the same order against a server running
// each (each on a fresh database of its own), must get the same answers: status, every
// header in order, and the body, byte for byte once values that differ by nature
// (tokens, ids, times, ETags) are named by their first appearance.
//
// The set: a scripted walk through every operation (sessions, accounts, matching,
// chats, blocks, reports, moderation, deletion) with good and bad inputs, the
// transport's edge cases (methods, paths, bodies, headers), and a seeded sample of
// junk requests to every operation of the OpenAPI document.
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { runCli, startServer, type RunningServer } from './server.ts';

const SEED = 20261130;
const JUNK_PER_OPERATION = 6;
const PASSWORD = 'a long enough password';
const NEW_PASSWORD = 'another long enough password';

type Actor = 'alice' | 'bob' | 'carol' | 'mod' | 'nobody';

interface Step {
  as?: Actor;
  method: string;
  /** `{{name}}` is replaced by a value an earlier step saved. */
  path: string;
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Saves a value of the reply for later steps: `cookie` or a top-level JSON field. */
  save?: Record<string, 'cookie' | 'etag' | `json.${string}`>;
  /** Runs the operator's command line (on this server's database) before the request. */
  cli?: string[];
}

interface Answer {
  request: string;
  status: number;
  /** Every header but Date and the connection's own, in order: `name: value`. */
  headers: string[];
  body: string;
}

const get = (path: string, as?: Actor, extra: Partial<Step> = {}): Step => ({ method: 'GET', path, as, ...extra });
const post = (path: string, body: unknown, as?: Actor, extra: Partial<Step> = {}): Step => ({
  method: 'POST',
  path,
  body,
  as,
  ...extra,
});
const del = (path: string, as?: Actor, extra: Partial<Step> = {}): Step => ({ method: 'DELETE', path, as, ...extra });

/** The scripted walk: every operation, the way a client uses it and the ways it gets it wrong. */
function scriptedSteps(): Step[] {
  const tag = 'difftag';
  return [
    get('/v1/openapi.json'),
    get('/v1/portal/health'),
    post('/v1/portal/session', undefined, undefined, { save: { alice: 'cookie' } }),
    post('/v1/portal/session', undefined, undefined, { save: { bob: 'cookie' } }),
    post('/v1/portal/session', '', undefined, { save: { carol: 'cookie' } }),
    get('/v1/portal/session', 'alice'),
    get('/v1/portal/session', 'nobody'),
    get('/v1/portal/session'),
    post('/v1/portal/session', undefined, 'alice'),
    // Matching: a pair, a refresh, a conflict, cancel, every malformed input.
    post('/v1/portal/match', { interests: [tag] }, 'alice'),
    post('/v1/portal/match', { interests: [tag], fallback: true }, 'alice'),
    post('/v1/portal/match', { interests: [tag], fallback: 'yes' }, 'alice'),
    post('/v1/portal/match', { interests: [] }, 'alice'),
    post('/v1/portal/match', { interests: ['a', 'b', 'c', 'd'] }, 'alice'),
    post('/v1/portal/match', { interests: ['UPPER'] }, 'alice'),
    post('/v1/portal/match', { interests: [tag], extra: 1 }, 'alice'),
    post('/v1/portal/match', { interests: [tag] }),
    post('/v1/portal/match', '{"interests":', 'alice'),
    post('/v1/portal/match', '[1,2]', 'alice'),
    post('/v1/portal/match', 'null', 'alice'),
    post('/v1/portal/match', '{"interests":["x"]}', 'alice', { headers: { 'content-type': 'text/plain' } }),
    post('/v1/portal/match', { interests: [tag] }, 'alice', {
      headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' },
    }),
    post('/v1/portal/match', { interests: [tag] }, 'alice', { headers: { origin: 'https://elsewhere.example' } }),
    post('/v1/portal/match', { interests: ['x'.repeat(20_000)] }, 'alice'),
    get('/v1/portal/match/status', 'alice', { save: { etag: 'etag' } }),
    get('/v1/portal/match/status', 'alice', { headers: { 'if-none-match': '{{etag}}' } }),
    get('/v1/portal/match/status?wait=1', 'alice', { headers: { 'if-none-match': '{{etag}}' } }),
    get('/v1/portal/match/status?wait=0', 'alice'),
    get('/v1/portal/match/status?wait=31', 'alice'),
    get('/v1/portal/match/status?wait=abc', 'alice'),
    get('/v1/portal/match/status?wait=1&wait=2', 'alice'),
    get('/v1/portal/match/status?nope=1', 'alice'),
    get('/v1/portal/match/status?wait=1', 'alice', { headers: { 'if-none-match': '"stale"' } }),
    post('/v1/portal/match', { interests: [tag] }, 'bob', { save: { chat: 'json.token' } }),
    get('/v1/portal/match/status', 'bob'),
    get('/v1/portal/match/status', 'alice'),
    // Chats.
    get('/v1/portal/chats', 'alice'),
    get('/v1/portal/chats?x=1', 'alice'),
    get('/v1/portal/chats/{{chat}}', 'alice'),
    get('/v1/portal/chats/{{chat}}', 'carol'),
    get('/v1/portal/chats/not-a-token', 'alice'),
    get('/v1/portal/chats/AAAAAAAAAAAAAAAAAAAAAA', 'alice'),
    get('/v1/portal/chats/%41%41', 'alice'),
    get('/v1/portal/chats/{{chat}}/', 'alice'),
    get('/V1/PORTAL/CHATS/{{chat}}', 'alice'),
    get('/v1/portal/chats/../chats/{{chat}}', 'alice'),
    get('/v1//portal/chats', 'alice'),
    post('/v1/portal/chats/{{chat}}/messages', { text: 'hello' }, 'alice'),
    post('/v1/portal/chats/{{chat}}/messages', { text: 'hi back', client_id: 'c1' }, 'bob'),
    post('/v1/portal/chats/{{chat}}/messages', { text: '' }, 'bob'),
    post('/v1/portal/chats/{{chat}}/messages', { text: 'x'.repeat(5000) }, 'bob'),
    post('/v1/portal/chats/{{chat}}/messages', { text: 'hi', token: 'other' }, 'bob'),
    post('/v1/portal/chats/{{chat}}/messages', { text: 'intruder' }, 'carol'),
    get('/v1/portal/chats/{{chat}}/messages', 'alice'),
    get('/v1/portal/chats/{{chat}}/messages?before=2', 'alice'),
    get('/v1/portal/chats/{{chat}}/messages?before=x', 'alice'),
    get('/v1/portal/chats/{{chat}}/messages?limit=1&limit=2', 'alice'),
    // Accounts.
    post('/v1/portal/auth/register', { username: 'diffmod', password: PASSWORD }, 'carol'),
    post('/v1/portal/auth/register', { username: 'diffmod', password: PASSWORD }, 'nobody'),
    post('/v1/portal/auth/register', { username: 'x', password: 'short' }),
    post('/v1/portal/auth/login', { username: 'diffmod', password: 'wrong password!' }),
    post('/v1/portal/auth/login', { username: 'diffmod', password: PASSWORD }, undefined, {
      cli: ['role', 'set', 'diffmod', 'moderator'],
      save: { mod: 'cookie' },
    }),
    get('/v1/portal/auth/sessions', 'mod', { save: { session: 'json.0' } }),
    get('/v1/portal/auth/sessions', 'alice'),
    post('/v1/portal/auth/password', { current: 'wrong', next: 'another long password' }, 'mod'),
    post('/v1/portal/auth/password', { current_password: 'wrong!', new_password: NEW_PASSWORD }, 'mod'),
    post('/v1/portal/auth/password', { current_password: PASSWORD, new_password: NEW_PASSWORD }, 'mod', {
      save: { mod: 'cookie' },
    }),
    // The fifth credential check in the minute: 429 with Retry-After.
    post('/v1/portal/auth/login', { username: 'diffmod', password: 'wrong again!' }),
    post('/v1/portal/auth/password', {}, 'alice'),
    get('/v1/portal/session', 'bob', { save: { bobSession: 'json.id' } }),
    post('/v1/portal/auth/sessions/revoke-others', undefined, 'mod'),
    post('/v1/portal/auth/sessions/00000000-0000-4000-8000-000000000000/revoke', undefined, 'mod'),
    post('/v1/portal/auth/sessions/not-a-uuid/revoke', undefined, 'mod'),
    get('/v1/portal/account/export', 'alice'),
    get('/v1/portal/account/export', 'mod'),
    // Reports, blocks, moderation.
    post('/v1/portal/chats/{{chat}}/report', { reason: 'spam' }, 'alice'),
    post('/v1/portal/chats/{{chat}}/report', { reason: 'nonsense' }, 'alice'),
    post('/v1/portal/chats/{{chat}}/block', undefined, 'alice'),
    post('/v1/portal/chats/{{chat}}/block', {}, 'alice'),
    post('/v1/portal/chats/{{chat}}/end', undefined, 'bob'),
    get('/v1/portal/blocks', 'alice', { save: { block: 'json.0' } }),
    del('/v1/portal/blocks/{{block}}', 'alice'),
    del('/v1/portal/blocks/00000000-0000-4000-8000-000000000000', 'alice'),
    del('/v1/portal/blocks/nope', 'alice'),
    get('/v1/portal/moderation/reports', 'mod', { save: { report: 'json.0' } }),
    get('/v1/portal/moderation/reports', 'alice'),
    get('/v1/portal/moderation/reports?status=closed', 'mod'),
    get('/v1/portal/moderation/audit', 'mod'),
    post('/v1/portal/moderation/reports/00000000-0000-4000-8000-000000000000/dismiss', {}, 'mod'),
    post('/v1/portal/moderation/reports/{{report}}/dismiss', { reason: 'not spam' }, 'mod'),
    del('/v1/portal/blocks/{{block}}', 'alice'),
    post('/v1/portal/moderation/sessions/00000000-0000-4000-8000-000000000000/block', {}, 'mod'),
    post('/v1/portal/moderation/sessions/{{bobSession}}/block', { reason: 'spam' }, 'mod'),
    post('/v1/portal/match', { interests: [tag] }, 'bob'),
    post('/v1/portal/moderation/sessions/{{bobSession}}/unblock', {}, 'mod'),
    post('/v1/portal/moderation/sessions/zzz/unblock', {}, 'mod'),
    post('/v1/portal/auth/register', { username: 'diffbob', password: PASSWORD }, 'bob', {
      save: { bob: 'cookie', bobAccount: 'json.account_id' },
    }),
    post('/v1/portal/moderation/accounts/00000000-0000-4000-8000-000000000000/suspend', {}, 'mod'),
    post('/v1/portal/moderation/accounts/{{bobAccount}}/suspend', { reason: 'abuse' }, 'mod'),
    get('/v1/portal/session', 'bob'),
    post('/v1/portal/match', { interests: [tag] }, 'bob'),
    post('/v1/portal/moderation/accounts/{{bobAccount}}/unsuspend', {}, 'mod'),
    get('/v1/portal/moderation/audit', 'mod'),
    get('/v1/portal/interests/popular'),
    get('/v1/portal/interests/popular?limit=3'),
    // The transport: methods, paths, bodies.
    { method: 'HEAD', path: '/v1/portal/health' },
    { method: 'HEAD', path: '/v1/portal/nowhere' },
    { method: 'OPTIONS', path: '/v1/portal/match' },
    { method: 'PATCH', path: '/v1/portal/match', body: {} },
    { method: 'PUT', path: '/v1/portal/match', body: { interests: [tag] }, as: 'alice' },
    get('/v1/portal/nowhere'),
    get('/v1/portal/socket'),
    get('/v1/portal/health?x=1'),
    get('/v1/portal/health#fragment'),
    get('/v1/portal/match/status?wait=1#x', 'alice'),
    get('/v1/portal/match/status?wait=%31', 'alice'),
    get('/v1/portal/match/status?w%61it=1', 'alice'),
    get('/v1/portal/match/status?wait=1+1', 'alice'),
    get('/v1/portal/match/status?=1', 'alice'),
    get('/v1/portal/match/status?&&', 'alice'),
    get('/v1/portal/match/status?%zz=1', 'alice'),
    get('/v1/portal/match/status', 'alice', { body: '{}' }),
    get('/v1/portal/match/status', 'alice', { body: 'x', headers: { 'content-type': 'text/plain' } }),
    get('/v1/portal/match/status', undefined, { headers: { cookie: 'psession=%zz' } }),
    get('/v1/portal/match/status', undefined, { headers: { cookie: 'other=1; psession=' } }),
    del('/v1/portal/match', 'alice'),
    del('/v1/portal/match?x=1', 'alice'),
    del('/v1/portal/match', 'alice', { body: '{}' }),
    del('/v1/portal/match?x=1', 'alice', { body: '{"a":1}' }),
    del('/v1/portal/match', 'alice', { body: '[1]' }),
  ];
}

/** The walk's last steps, after the junk: sign-outs and deletions. */
function endingSteps(): Step[] {
  return [
    del('/v1/portal/account', 'alice', { body: { password: '' } }),
    del('/v1/portal/account', 'alice', { body: { confirm: 'nope' } }),
    del('/v1/portal/account', 'mod', { body: { password: 'wrong password!' } }),
    post('/v1/portal/auth/logout', undefined, 'bob'),
    get('/v1/portal/session', 'bob'),
    del('/v1/portal/account', 'mod', { body: { password: NEW_PASSWORD } }),
    del('/v1/portal/account', 'alice', { body: '{}' }),
    get('/v1/portal/session', 'alice'),
    get('/v1/portal/session', 'mod'),
  ];
}

interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>;
}

/** Junk for every operation of the document, the same sample on every run (fixed seed). */
function junkSteps(doc: OpenApiDoc): Step[] {
  const junk = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', ' ', '%', '%zz', '..', 'AAAAAAAAAAAAAAAAAAAAAA', '00000000-0000-4000-8000-000000000000'),
    fc.integer(),
    fc.boolean(),
  );
  const step = fc.record({
    as: fc.constantFrom<Actor | undefined>('alice', 'bob', undefined),
    param: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('%41', 'AAAAAAAAAAAAAAAAAAAAAA', '-')),
    query: fc.dictionary(fc.constantFrom('wait', 'before', 'interests', 'x', 'limit'), junk, { maxKeys: 2 }),
    body: fc.oneof(
      fc.dictionary(fc.constantFrom('interests', 'text', 'reason', 'username', 'password', 'fallback', 'y'), junk, {
        maxKeys: 3,
      }),
      fc.constantFrom('', '{', 'null', '[]', '"s"', '{"interests":["ok"]}'),
    ),
  });
  const steps: Step[] = [];
  let n = 0;
  for (const [template, item] of Object.entries(doc.paths)) {
    if (['/v1/openapi.json', '/v1/portal/metrics', '/v1/portal/socket'].includes(template)) continue;
    for (const method of Object.keys(item)) {
      for (const sample of fc.sample(step, { seed: SEED + n++, numRuns: JUNK_PER_OPERATION })) {
        const path = template.replace(/\{\w+\}/g, encodeURIComponent(sample.param) || 'x');
        const query = new URLSearchParams(Object.entries(sample.query).map(([k, v]) => [k, String(v)])).toString();
        const upper = method.toUpperCase();
        steps.push({
          method: upper,
          path: query ? `${path}?${query}` : path,
          as: sample.as,
          body: upper === 'GET' ? undefined : sample.body,
        });
      }
    }
  }
  return steps;
}

/** One request with the raw headers of its answer, in order. */
function send(base: string, step: Step, cookie: string | undefined, path: string) {
  const headers: Record<string, string> = { ...step.headers };
  if (cookie !== undefined) headers.cookie = `psession=${cookie}`;
  let payload: Buffer | undefined;
  if (step.body !== undefined) {
    payload = Buffer.from(typeof step.body === 'string' ? step.body : JSON.stringify(step.body));
    headers['content-type'] ??= 'application/json';
  }
  headers['content-length'] = String(payload?.length ?? 0);
  return new Promise<{ status: number; raw: string[]; text: string }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: step.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Values that differ between two runs by nature, named by their first appearance in the run. */
function namer() {
  const names = new Map<string, string>();
  const PATTERNS: [RegExp, string][] = [
    [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'time'],
    // What is left of a session is a time too (it moves with the clock between the two
    // replays); a cookie cleared (Max-Age=0) stays as it is.
    [/(?<=Max-Age=)[1-9]\d*/g, 'time'],
    [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'id'],
    [/W\/"[0-9a-z]+"|"[0-9a-f]{16}"/g, 'etag'],
    [/[A-Za-z0-9_-]{43}/g, 'session'],
    [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])/g, 'token'],
  ];
  return (text: string): string => {
    let out = text;
    for (const [pattern, kind] of PATTERNS) {
      out = out.replace(pattern, (value) => {
        // Times are not compared at all (each run has its own clock); the rest by identity.
        if (kind === 'time') return '<time>';
        let name = names.get(value);
        if (!name) names.set(value, (name = `<${kind}${names.size}>`));
        return name;
      });
    }
    return out;
  };
}

/** Replays `steps` against one server and returns what it answered, normalized. */
async function replay(server: RunningServer, databaseUrl: string, steps: Step[]): Promise<Answer[]> {
  const saved = new Map<string, string>();
  const name = namer();
  const answers: Answer[] = [];
  for (const step of steps) {
    if (step.cli) {
      const { code, out } = await runCli(databaseUrl, step.cli);
      if (code !== 0) throw new Error(`portal ${step.cli.join(' ')}: ${out}`);
    }
    const fill = (text: string) =>
      text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => saved.get(key) ?? `missing-${key}`);
    const path = fill(step.path);
    const headers = Object.fromEntries(Object.entries(step.headers ?? {}).map(([key, value]) => [key, fill(value)]));
    const cookie = step.as === 'nobody' ? 'x'.repeat(43) : step.as ? saved.get(step.as) : undefined;
    const reply = await send(server.url, { ...step, headers }, cookie, path);
    for (const [key, source] of Object.entries(step.save ?? {})) {
      const value =
        source === 'cookie'
          ? /psession=([^;]*)/.exec(rawHeader(reply.raw, 'set-cookie') ?? '')?.[1]
          : source === 'etag'
            ? rawHeader(reply.raw, 'etag')
            : pick(reply.text, source.slice('json.'.length));
      if (value) saved.set(key, value);
    }
    const answerHeaders: string[] = [];
    for (let i = 0; i < reply.raw.length; i += 2) {
      const header = reply.raw[i]!.toLowerCase();
      if (header === 'date' || header === 'connection' || header === 'keep-alive') continue;
      answerHeaders.push(`${reply.raw[i]}: ${header === 'retry-after' ? '<seconds>' : name(reply.raw[i + 1]!)}`);
    }
    answers.push({
      request: `${step.method} ${step.path}${step.as ? ` as ${step.as}` : ''}${step.body !== undefined ? ` ${typeof step.body === 'string' ? step.body.slice(0, 40) : JSON.stringify(step.body).slice(0, 40)}` : ''}`,
      status: reply.status,
      headers: answerHeaders,
      body: name(reply.text),
    });
  }
  return answers;
}

function rawHeader(raw: string[], wanted: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === wanted) return raw[i + 1];
  return undefined;
}

/** A top-level field of a JSON body, or of its first list item's `id` (`0`), as a string. */
function pick(text: string, field: string): string | undefined {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (field === '0') {
      const list = (Array.isArray(json) ? json : Object.values(json).find(Array.isArray)) as { id?: string }[];
      return list?.[0]?.id;
    }
    const value = json[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const PROVIDERS = ['sqlite', 'postgresql'] as const;
const pgUp = await postgresAvailable();

describe.each(PROVIDERS)('REST adapters answer alike on %s', (provider) => {
  const skip = provider === 'postgresql' && !pgUp;
  const env = {
    PORTAL_API_ONLY: 'true',
    PORTAL_RATE_LIMITS: 'on',
    // A limit the walk passes, so that a 429 with Retry-After is compared too.
    RATE_LIMIT_LOGIN_PER_MINUTE: '4',
    MATCH_REPEAT_COOLDOWN_MINUTES: '0',
    // One request at a time: a small pool leaves PostgreSQL's connections to the suites running beside it.
    PG_POOL_SIZE: '2',
  };
  const targets: TestDatabaseUrl[] = [];
  const servers: { legacy?: RunningServer; lean?: RunningServer } = {};

  beforeAll(async () => {
    if (skip) return;
    for (const adapter of ['trpc-to-openapi', 'lean'] as const) {
      const target = await createTestDatabaseUrl(provider);
      targets.push(target);
      servers[adapter === 'lean' ? 'lean' : 'legacy'] = await startServer({
        ...env,
        DATABASE_URL: target.url,
        PORTAL_REST_ADAPTER: adapter,
      });
    }
  });
  afterAll(async () => {
    await Promise.all([servers.legacy?.stop(), servers.lean?.stop()]);
    await Promise.all(targets.map((t) => t.destroy()));
  });

  it.skipIf(skip)('the same recorded requests get the same status, headers and body from both', async () => {
    const doc = JSON.parse(
      (await send(servers.legacy!.url, get('/v1/openapi.json'), undefined, '/v1/openapi.json')).text,
    );
    const steps = [...scriptedSteps(), ...junkSteps(doc as OpenApiDoc), ...endingSteps()];
    const legacy = await replay(servers.legacy!, targets[0]!.url, steps);
    const lean = await replay(servers.lean!, targets[1]!.url, steps);
    expect(lean.length).toBe(steps.length);
    // The walk did what it was written to do (a pair formed, the moderator saw the report).
    expect(legacy.filter((a) => a.status === 200 || a.status === 201).length).toBeGreaterThan(40);
    for (let i = 0; i < steps.length; i++) expect(lean[i]).toEqual(legacy[i]);
  });

  it.skipIf(skip)('a query field named like an Object member: 400 here, where the old adapter crashed', async () => {
    for (const field of ['constructor', '__proto__', 'toString']) {
      const path = `/v1/portal/match/status?${field}=1`;
      const answers = [];
      for (const server of [servers.legacy!, servers.lean!]) {
        const created = await send(server.url, post('/v1/portal/session', undefined), undefined, '/v1/portal/session');
        const cookie = /psession=([^;]*)/.exec(rawHeader(created.raw, 'set-cookie') ?? '')![1];
        answers.push(await send(server.url, get(path), cookie, path));
      }
      const [legacy, lean] = answers;
      expect(legacy!.status).toBe(500);
      expect({ status: lean!.status, body: JSON.parse(lean!.text) }).toEqual({
        status: 400,
        body: { error: 'ERR_BAD_REQUEST', message: expect.stringContaining(field) },
      });
    }
  });
});
