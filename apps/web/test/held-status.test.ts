import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchStateEtag } from '@portal/contracts';
import { createTestDatabaseUrl, type TestDatabaseUrl } from '@portal/db/testing';
import { newStranger, request, startServer, type RunningServer } from './server.ts';

/**
 * The web app's held status request (lib/status-watch.ts through lib/trpc.ts): over
 * tRPC no ETag header comes back, so the page computes the tag of the state it
 * received with the shared `matchStateEtag` and sends it as If-None-Match. This
 * checks, on the real server, that the tag of a state as tRPC delivers it is the
 * server's own: otherwise every held request would answer at once.
 */
describe('the held status request over tRPC', () => {
  let target: TestDatabaseUrl;
  let server: RunningServer;
  beforeAll(async () => {
    target = await createTestDatabaseUrl('sqlite');
    server = await startServer({ PORTAL_API_ONLY: 'true', DATABASE_URL: target.url });
  });
  afterAll(async () => {
    await server?.stop();
    await target?.destroy();
  });

  const status = (cookie: string, etag: string, wait?: number) =>
    request(server.url, `/api/trpc/match.status?input=${encodeURIComponent(JSON.stringify(wait ? { wait } : {}))}`, {
      cookie,
      headers: { 'if-none-match': etag },
    });

  it('is held while the tag the page computed is current, and answers the change', async () => {
    const me = await newStranger(server.url);
    const enqueued = await request(server.url, '/api/trpc/match.enqueue', {
      method: 'POST',
      cookie: me,
      body: { interests: ['heldrpc'], fallback: true },
    });
    expect(enqueued.status).toBe(200);

    // A tag that is not current: the state at once, as the page would get it.
    const first = await status(me, '"stale"', 20);
    expect(first.status).toBe(200);
    const state = first.json.result.data;
    expect(state).toMatchObject({ state: 'searching', fallback: true });
    const etag = matchStateEtag(state);
    // The page starts holding from the enqueue answer: the same state, the same tag.
    expect(matchStateEtag(enqueued.json.result.data)).toBe(etag);

    let answered = false;
    const held = status(me, etag, 20).then((reply) => ((answered = true), reply));
    // Later requests of the same session come and go while it stays open.
    expect((await status(me, '"stale"')).json.result.data).toEqual(state);
    expect((await status(me, '"stale"')).json.result.data).toEqual(state);
    expect(answered).toBe(false);

    const cancelled = await request(server.url, '/api/trpc/match.cancel', { method: 'POST', cookie: me, body: {} });
    expect(cancelled.status).toBe(200);
    const reply = await held;
    expect(reply.status).toBe(200);
    expect(reply.json.result.data).toEqual({ state: 'idle' });
  });
});
