import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { expectError, newStranger, postgresBuses, request, startServer, type RunningServer } from './server.ts';
import { openSocket, type TestSocket } from './socket-client.ts';

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`chats over REST and the socket on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    let base: string;
    const sockets: TestSocket[] = [];
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      server = await startServer({
        DATABASE_URL: target.url,
        PORTAL_API_ONLY: 'true',
      });
      base = server.url;
    });
    afterAll(async () => {
      for (const socket of sockets) await socket.close();
      await server?.stop();
      await target?.destroy();
    });

    const socket = async (cookie: string | null) => {
      const s = await openSocket(base, cookie);
      sockets.push(s);
      return s;
    };
    const post = (path: string, cookie: string | null, body?: unknown) =>
      request(base, path, { method: 'POST', cookie, body });
    let n = 0;
    async function pair() {
      const tag = `live${++n}x`;
      const alice = await newStranger(base);
      const bob = await newStranger(base);
      const aliceSocket = await socket(alice);
      await post('/v1/portal/match', alice, { interests: [tag] });
      const matched = await post('/v1/portal/match', bob, { interests: [tag] });
      const token = matched.json.token as string;
      return { alice, bob, aliceSocket, token };
    }

    it('pushes `matched` to the waiting person the moment the pair is made', async () => {
      const { aliceSocket, token } = await pair();
      const pushed = await aliceSocket.next('matched');
      expect(pushed.match).toMatchObject({ state: 'matched', token });
    });

    it('serves the chat endpoints to participants, with the documented errors', async () => {
      const { alice, bob, token } = await pair();
      const listed = await request(base, '/v1/portal/chats', { cookie: alice });
      expect(listed.json).toEqual({
        chats: [
          expect.objectContaining({
            token,
            partner: 'Stranger',
            state: 'active',
            matched_interest: expect.any(String),
          }),
        ],
        active_chats: 1,
        chat_limit: 1,
      });
      const sent = await post(`/v1/portal/chats/${token}/messages`, alice, { text: '  hello bob  ' });
      expect(sent.status).toBe(201);
      expect(sent.json).toEqual({
        id: expect.any(Number),
        from: 'me',
        text: 'hello bob',
        created_at: expect.any(String),
      });
      const opened = await request(base, `/v1/portal/chats/${token}`, { cookie: bob });
      expect(opened.json).toMatchObject({
        token,
        state: 'active',
        has_more: false,
        messages: [{ text: 'hello bob', from: 'partner' }],
      });
      const page = await request(base, `/v1/portal/chats/${token}/messages?before=${sent.json.id + 1}&limit=1`, {
        cookie: bob,
      });
      expect(page.json).toEqual({ messages: [expect.objectContaining({ text: 'hello bob' })], has_more: false });

      for (const text of ['', '   ', 'x'.repeat(2001)])
        expectError(await post(`/v1/portal/chats/${token}/messages`, alice, { text }), 400, 'ERR_BAD_REQUEST');
      expectError(await post(`/v1/portal/chats/${token}/messages`, alice, { text: 5 }), 400, 'ERR_BAD_REQUEST');
      expectError(
        await request(base, `/v1/portal/chats/${token}/messages?limit=0`, { cookie: alice }),
        400,
        'ERR_BAD_REQUEST',
      );
      for (const before of ['abc', '0', '-1', '1.5', '2147483648']) {
        expectError(
          await request(base, `/v1/portal/chats/${token}/messages?before=${before}`, { cookie: alice }),
          400,
          'ERR_BAD_REQUEST',
        );
      }
      expect((await post(`/v1/portal/chats/${token}/messages`, alice, { text: 'x'.repeat(2000) })).status).toBe(201);

      const once = await post(`/v1/portal/chats/${token}/messages`, alice, {
        text: 'idempotent',
        client_id: 'abc-123',
      });
      const twice = await post(`/v1/portal/chats/${token}/messages`, alice, {
        text: 'idempotent',
        client_id: 'abc-123',
      });
      expect(twice.json).toEqual(once.json);
      expect(once.json.client_id).toBe('abc-123');
      expectError(
        await post(`/v1/portal/chats/${token}/messages`, alice, { text: 'x', client_id: 'no spaces' }),
        400,
        'ERR_BAD_REQUEST',
      );

      const stranger = await newStranger(base);
      expectError(await request(base, `/v1/portal/chats/${token}`, { cookie: stranger }), 404, 'ERR_CHAT_NOT_FOUND');
      expectError(
        await post(`/v1/portal/chats/${token}/messages`, stranger, { text: 'hi' }),
        404,
        'ERR_CHAT_NOT_FOUND',
      );
      expectError(await post(`/v1/portal/chats/${token}/end`, stranger), 404, 'ERR_CHAT_NOT_FOUND');
      expectError(await request(base, '/v1/portal/chats/not-a-token', { cookie: alice }), 404, 'ERR_CHAT_NOT_FOUND');
      expectError(await request(base, `/v1/portal/chats/${token}`), 401, 'ERR_UNAUTHENTICATED');

      const ended = await post(`/v1/portal/chats/${token}/end`, bob);
      expect({ status: ended.status, state: ended.json.state }).toEqual({ status: 200, state: 'ended' });
      expectError(await post(`/v1/portal/chats/${token}/messages`, alice, { text: 'wait' }), 409, 'ERR_CHAT_ENDED');
      expect((await request(base, '/v1/portal/chats', { cookie: alice })).json.active_chats).toBe(0);
      expect((await request(base, '/v1/portal/match/status', { cookie: alice })).json).toEqual({ state: 'idle' });
      expect((await post('/v1/portal/match', alice, { interests: ['again'] })).json.state).toBe('searching');
    });

    it('delivers messages both ways between REST and the socket, with typing and the end', async () => {
      const { alice, bob, aliceSocket, token } = await pair();
      const bobSocket = await socket(bob);
      aliceSocket.send({ type: 'join', token });
      bobSocket.send({ type: 'join', token });
      const joined = await bobSocket.next('joined');
      expect(joined).toMatchObject({ token, chat: { token, state: 'active' }, messages: [] });
      await aliceSocket.next('joined');

      const viaRest = await post(`/v1/portal/chats/${token}/messages`, alice, { text: 'from REST' });
      expect((await bobSocket.next('message')).message).toEqual({ ...viaRest.json, from: 'partner' });
      expect((await aliceSocket.next('message')).message).toMatchObject({ id: viaRest.json.id, from: 'me' });

      bobSocket.send({ type: 'message', token, text: '<img src=x onerror=alert(1)>' });
      const got = await aliceSocket.next('message', (e) => e.message.from === 'partner');
      expect(got.message.text).toBe('<img src=x onerror=alert(1)>');
      const history = await request(base, `/v1/portal/chats/${token}`, { cookie: alice });
      expect((history.json.messages as { text: string }[]).map((m) => m.text)).toEqual([
        'from REST',
        '<img src=x onerror=alert(1)>',
      ]);

      bobSocket.send({ type: 'typing', token });
      await aliceSocket.next('typing');
      expect(bobSocket.events.some((e) => e.type === 'typing')).toBe(false);

      const mark = aliceSocket.events.length;
      await bobSocket.close();
      await aliceSocket.next('partner_left', undefined, mark);

      await post(`/v1/portal/chats/${token}/end`, alice);
      expect(await aliceSocket.next('ended')).toEqual({ type: 'ended', token, reason: 'ended', by: 'me' });
      aliceSocket.send({ type: 'message', token, text: 'anyone?' });
      expect(await aliceSocket.next('error')).toMatchObject({ error: 'ERR_CHAT_ENDED', token });
    });

    it('catches a reconnecting socket up from its cursor', async () => {
      const { alice, bob, aliceSocket, token } = await pair();
      aliceSocket.send({ type: 'join', token });
      await aliceSocket.next('joined');
      const first = await post(`/v1/portal/chats/${token}/messages`, bob, { text: 'one' });
      await aliceSocket.next('message');
      await aliceSocket.close();
      await post(`/v1/portal/chats/${token}/messages`, bob, { text: 'two' });
      await post(`/v1/portal/chats/${token}/messages`, bob, { text: 'three' });
      const again = await socket(alice);
      again.send({ type: 'join', token, after: first.json.id });
      const caught = await again.next('joined');
      expect(caught.messages.map((m) => m.text)).toEqual(['two', 'three']);
    });

    it('refuses bad sockets and bad socket messages without dropping the connection', async () => {
      await expect(openSocket(base, null)).rejects.toMatchObject({ status: 401 });
      const me = await newStranger(base);
      await expect(openSocket(base, me, { origin: 'http://evil.example' })).rejects.toMatchObject({ status: 403 });
      const s = await socket(me);
      s.send('not json');
      expect(await s.next('error')).toMatchObject({ error: 'ERR_BAD_REQUEST' });
      s.send({ type: 'shout', token: 'x' });
      expect(await s.next('error', undefined, 1)).toMatchObject({ error: 'ERR_BAD_REQUEST' });
      s.send({ type: 'message', token: 'x', text: '   ' });
      expect(await s.next('error', undefined, 2)).toMatchObject({ error: 'ERR_BAD_REQUEST' });
      s.send({ type: 'join', token: 'someone-elses' });
      expect(await s.next('error', undefined, 3)).toMatchObject({
        error: 'ERR_CHAT_NOT_FOUND',
        token: 'someone-elses',
      });
      s.send({ type: 'join', token: 'x', after: 2 ** 31 });
      expect(await s.next('error', undefined, 4)).toMatchObject({ error: 'ERR_BAD_REQUEST' });
      expect(s.ws.readyState).toBe(s.ws.OPEN);
    });

    it('counts open sockets in the metrics', async () => {
      const metrics = await request(base, '/v1/portal/metrics');
      expect(metrics.text).toMatch(/portal_sockets_open [1-9]/);
    });
  });
}

describe('socket liveness', () => {
  it('closes a socket that stops answering pings, and tells the partner', async () => {
    const target = await createTestDatabaseUrl('sqlite');
    const server = await startServer({ DATABASE_URL: target.url, PORTAL_API_ONLY: 'true', SOCKET_PING_SECONDS: '1' });
    try {
      const alice = await newStranger(server.url);
      const bob = await newStranger(server.url);
      await request(server.url, '/v1/portal/match', { method: 'POST', cookie: alice, body: { interests: ['pings'] } });
      const token = (
        await request(server.url, '/v1/portal/match', { method: 'POST', cookie: bob, body: { interests: ['pings'] } })
      ).json.token as string;
      const alive = await openSocket(server.url, alice);
      const dead = await openSocket(server.url, bob, {}, { answerPings: false });
      alive.send({ type: 'join', token });
      await alive.next('joined');
      dead.send({ type: 'join', token });
      await dead.next('joined');
      await alive.next('partner_joined');
      const closed = new Promise<number>((resolve) => dead.ws.once('close', (code) => resolve(code)));
      await alive.next('partner_left');
      expect(await closed).toBe(1006);
      expect(alive.ws.readyState).toBe(alive.ws.OPEN);
      await alive.close();
    } finally {
      await server.stop();
      await target.destroy();
    }
  });
});

for (const bus of await postgresBuses()) {
  describe.skipIf(bus.skip)(`live chat across two instances on PostgreSQL, events through ${bus.name}`, () => {
    it('matches, delivers messages and typing, and ends a chat between people on different instances', async () => {
      const target = await createTestDatabaseUrl('postgresql');
      const env = { DATABASE_URL: target.url, PORTAL_API_ONLY: 'true', ...bus.env };
      const one = await startServer(env);
      const two = await startServer(env);
      const opened: TestSocket[] = [];
      try {
        const alice = await newStranger(one.url);
        const bob = await newStranger(two.url);
        const aliceSocket = await openSocket(one.url, alice);
        const bobSocket = await openSocket(two.url, bob);
        opened.push(aliceSocket, bobSocket);
        await request(one.url, '/v1/portal/match', { method: 'POST', cookie: alice, body: { interests: ['across'] } });
        const matched = await request(two.url, '/v1/portal/match', {
          method: 'POST',
          cookie: bob,
          body: { interests: ['across'] },
        });
        const token = matched.json.token as string;
        expect((await aliceSocket.next('matched')).match.token).toBe(token);

        aliceSocket.send({ type: 'join', token });
        await aliceSocket.next('joined');
        bobSocket.send({ type: 'join', token });
        expect((await bobSocket.next('joined')).partner_online).toBe(true);
        await aliceSocket.next('partner_joined');

        aliceSocket.send({ type: 'message', token, text: 'hello from one' });
        expect((await bobSocket.next('message')).message).toMatchObject({ text: 'hello from one', from: 'partner' });
        await request(two.url, `/v1/portal/chats/${token}/messages`, {
          method: 'POST',
          cookie: bob,
          body: { text: 'hi from two' },
        });
        expect((await aliceSocket.next('message', (e) => e.message.from === 'partner')).message.text).toBe(
          'hi from two',
        );
        // A message too large for one NOTIFY travels by id (NATS takes it whole).
        const long = 'é'.repeat(2000);
        bobSocket.send({ type: 'message', token, text: long });
        expect((await aliceSocket.next('message', (e) => e.message.text === long)).message.from).toBe('partner');

        aliceSocket.send({ type: 'typing', token });
        await bobSocket.next('typing');

        await request(one.url, `/v1/portal/chats/${token}/end`, { method: 'POST', cookie: alice });
        expect(await bobSocket.next('ended')).toEqual({ type: 'ended', token, reason: 'ended', by: 'partner' });
      } finally {
        for (const s of opened) await s.close();
        await one.stop();
        await two.stop();
        await target.destroy();
      }
    });
  });
}
