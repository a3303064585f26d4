// A small keep-alive HTTP client for the custom drivers, and a pool of concurrent loops.
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * @param {string} base e.g. http://127.0.0.1:1234
 * @param {{ maxSockets?: number, timeoutMs?: number }} options
 */
export function createClient(base, { maxSockets = 50, timeoutMs = 30_000 } = {}) {
  const { hostname, port } = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });

  /**
   * Never rejects: a network failure is `{ status: 0, error }`.
   * @returns {Promise<{ status: number, ms: number, json?: any, text?: string, headers?: object, error?: string }>}
   */
  function send(method, path, { token, body, headers: extra } = {}) {
    const headers = { 'content-length': '0', ...extra };
    if (token) headers.cookie = `psession=${token}`;
    let payload;
    if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const started = performance.now();
    return new Promise((resolve) => {
      const req = httpRequest({ hostname, port, path, method, headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const ms = performance.now() - started;
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, ms, json, text, headers: res.headers });
        });
        res.on('error', (error) => resolve({ status: 0, ms: performance.now() - started, error: String(error) }));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (error) => resolve({ status: 0, ms: performance.now() - started, error: String(error) }));
      req.end(payload);
    });
  }

  return { send, close: () => agent.destroy() };
}

/** Runs `fn(i)` for i in [0, count) on `concurrency` loops; resolves with the elapsed ms. */
export async function runPool(concurrency, count, fn) {
  let next = 0;
  const started = performance.now();
  const loop = async () => {
    for (let i = next++; i < count; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
  return performance.now() - started;
}

/** `{ status, error }` of a failed reply, for tallies: "409 ERR_MATCH_SLOT_LIMIT", "0 Error: socket hang up". */
export function describeFailure(reply) {
  if (reply.status === 0) return `network ${reply.error}`;
  const code = reply.json && typeof reply.json.error === 'string' ? ` ${reply.json.error}` : '';
  return `${reply.status}${code}`;
}

export function tally(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Creates `count` stranger sessions (POST /v1/portal/session), `concurrency` at a time.
 * Throws if any fails: the timed parts need every one of them.
 */
export async function createSessions(client, count, concurrency = 50) {
  const tokens = new Array(count);
  const failures = {};
  const elapsedMs = await runPool(concurrency, count, async (i) => {
    const reply = await client.send('POST', '/v1/portal/session');
    const cookie = String(reply.headers?.['set-cookie'] ?? '');
    const token = /psession=([^;]+)/.exec(cookie)?.[1];
    if (reply.status === 201 && token) tokens[i] = token;
    else tally(failures, describeFailure(reply));
  });
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  if (failed > 0) throw new Error(`could not create ${failed} of ${count} sessions: ${JSON.stringify(failures)}`);
  return { tokens, elapsedMs };
}
