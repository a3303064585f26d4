// The API as its consumers see it (issue 11): a client generated from the served
// /v1/openapi.json with openapi-typescript, written against openapi-fetch, must type-check
// (MatchState narrows on `state`, named schemas, maxItems, bodiless POSTs) and then work
// against the same server. A regression in the document fails `tsc` here: client.ts holds
// `@ts-expect-error` lines that only hold while the types are as strict as they should be.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '@portal/db/testing';
import { request, startServer, type RunningServer } from './server.ts';

const FIXTURE = fileURLToPath(new URL('./openapi-client/', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

interface Outcome {
  created: number;
  setCookie: boolean;
  session: { kind: string };
  waiting: string;
  token: string;
  polled: string;
  chat: { token: string; messages: { text: string; from: string }[] };
  message: { text: string; client_id?: string };
  missing: { status: number; body: { error: string; message: string } };
  tooMany: number;
  signedOut: number;
  afterSignOut: string;
}

interface OpenApiDoc {
  components: { schemas: Record<string, unknown> };
  paths: Record<
    string,
    Record<
      string,
      {
        security?: Record<string, unknown>[];
        requestBody?: {
          required?: boolean;
          content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }>;
        };
        responses: Record<string, { headers?: Record<string, unknown> }>;
      }
    >
  >;
}

function tsc(project: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '--noEmit', '-p', project], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

describe('a client generated from /v1/openapi.json', () => {
  let target: TestDatabaseUrl;
  let server: RunningServer;

  beforeAll(async () => {
    target = await createTestDatabaseUrl('sqlite');
    server = await startServer({ DATABASE_URL: target.url, PORTAL_API_ONLY: 'true' });
  });
  afterAll(async () => {
    await server?.stop();
    await target?.destroy();
  });

  it('type-checks with openapi-typescript and openapi-fetch', async () => {
    const served = await request(server.url, '/v1/openapi.json');
    expect(served.status).toBe(200);
    // Default options, as a consumer would run it. (Its `arrayLength` option would type
    // minItems/maxItems as tuples, but 7.13.0 makes `[] | [string] | [string, string]` of 1..3.)
    const types = astToString(await openapiTS(served.text));
    await mkdir(`${FIXTURE}generated`, { recursive: true });
    await writeFile(`${FIXTURE}generated/portal-api.ts`, types);
    const checked = await tsc(FIXTURE);
    expect(checked.out).toBe('');
    expect(checked.code).toBe(0);
  });

  it('states the limits and headers a generated client cannot see in its types', async () => {
    const doc = (await request(server.url, '/v1/openapi.json')).json as OpenApiDoc;
    const enqueue = doc.paths['/v1/portal/match']!.post!;
    expect(enqueue.requestBody?.content['application/json']?.schema.properties?.interests).toMatchObject({
      minItems: 1,
      maxItems: 3,
    });
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method} ${path}`;
        const body = operation.requestBody;
        if (body) expect(body.required, where).toBe(Boolean(body.content['application/json']?.schema.required?.length));
        for (const [status, response] of Object.entries(operation.responses)) {
          const refusal = (status === '503' && path !== '/v1/portal/health') || status === '429';
          if (refusal) expect(response.headers?.['Retry-After'], `${where} ${status}`).toBeDefined();
          const readsSession = operation.security?.some((s) => 'psession' in s) && path !== '/v1/portal/socket';
          if (readsSession && !['401', '413', '415'].includes(status)) {
            expect(response.headers?.['Set-Cookie'], `${where} ${status}`).toBeDefined();
          }
        }
      }
    }
    for (const name of ['MatchState', 'Session', 'Chat', 'Message', 'Error']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });

  it('works against the server that served the document', async () => {
    const client = (await import(/* @vite-ignore */ pathToFileURL(`${FIXTURE}client.ts`).href)) as {
      scenario: (baseUrl: string, tag: string) => Promise<Outcome>;
    };
    const outcome = await client.scenario(server.url, 'typedclient');
    expect(outcome).toMatchObject({
      created: 201,
      setCookie: true,
      session: { kind: 'stranger' },
      waiting: 'searching',
      polled: 'matched',
      message: { text: 'hello from a typed client', client_id: 'typed-1' },
      missing: { status: 404, body: { error: 'ERR_CHAT_NOT_FOUND', message: 'No such chat.' } },
      tooMany: 400,
      signedOut: 204,
      afterSignOut: 'ERR_UNAUTHENTICATED',
    });
    expect(outcome.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(outcome.chat.messages).toEqual([
      expect.objectContaining({ text: 'hello from a typed client', from: 'partner' }),
    ]);
  });
});
