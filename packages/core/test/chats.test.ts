import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CATCH_UP, type PortalEvent, type Principal } from '../src/index.ts';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`chats on ${provider}`, () => {
    let w: World;
    const events: PortalEvent[] = [];
    beforeAll(async () => {
      w = await createWorld(provider);
      w.core.bus.subscribe((event) => events.push(event));
    });
    afterAll(() => w?.close());

    let n = 0;
    async function pair(): Promise<{ a: Principal; b: Principal; token: string }> {
      const tag = `chat${++n}x`;
      const a = await w.stranger();
      const b = await w.stranger();
      await w.core.matching.enqueue(a, [tag]);
      const matched = await w.core.matching.enqueue(b, [tag]);
      return { a, b, token: matched.token! };
    }

    it('pushes `matched` to the person who was waiting', async () => {
      events.length = 0;
      const { a, token } = await pair();
      expect(events).toContainEqual({
        type: 'matched',
        session: a.sessionId,
        match: expect.objectContaining({ state: 'matched', token }),
      });
    });

    it('lists, opens and pages a chat for its two participants only', async () => {
      const { a, b, token } = await pair();
      const list = await w.core.chats.list(a);
      expect(list).toEqual({
        chats: [expect.objectContaining({ token, partner: 'Stranger', state: 'active' })],
        active_chats: 1,
        chat_limit: 1,
      });
      for (let i = 1; i <= 60; i++) {
        await w.core.chats.send(i % 2 ? a : b, token, `message ${i}`);
        w.clock.advance(1);
      }
      const opened = await w.core.chats.open(a, token);
      expect(opened.messages).toHaveLength(50);
      expect(opened.has_more).toBe(true);
      expect(opened.messages.at(-1)).toMatchObject({ text: 'message 60', from: 'partner' });
      expect(opened.messages.at(-2)).toMatchObject({ text: 'message 59', from: 'me' });
      const older = await w.core.chats.page(a, token, opened.messages[0]!.id, 50);
      expect(older.messages.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `message ${i + 1}`));
      expect(older.has_more).toBe(false);
      const after = await w.core.chats.open(b, token, { after: opened.messages.at(-3)!.id });
      expect(after.messages.map((m) => [m.text, m.from])).toEqual([
        ['message 59', 'partner'],
        ['message 60', 'me'],
      ]);

      const outsider = await w.stranger();
      await expectCode(w.core.chats.open(outsider, token), 'ERR_CHAT_NOT_FOUND');
      await expectCode(w.core.chats.send(outsider, token, 'hi'), 'ERR_CHAT_NOT_FOUND');
      await expectCode(w.core.chats.end(outsider, token), 'ERR_CHAT_NOT_FOUND');
      await expectCode(w.core.chats.open(a, 'no-such-token'), 'ERR_CHAT_NOT_FOUND');
    });

    it('catches a reconnect up with the newest MAX_CATCH_UP messages, and says when some were left out', async () => {
      const { a, b, token } = await pair();
      const ids: number[] = [];
      for (let i = 1; i <= MAX_CATCH_UP + 20; i++)
        ids.push((await w.core.chats.send(i % 2 ? a : b, token, `m${i}`)).id);
      expect(MAX_CATCH_UP).toBe(100);
      // 115 missed: the newest 100, oldest first, and `has_more` (15 are for REST paging).
      const far = await w.core.chats.open(b, token, { after: ids[4]! });
      expect(far.messages.map((m) => m.text)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i + 21}`));
      expect(far.has_more).toBe(true);
      const older = await w.core.chats.page(b, token, far.messages[0]!.id, 100);
      expect(older.messages.at(-1)?.text).toBe('m20');
      // Exactly 100 missed: all of them, nothing left out.
      const exact = await w.core.chats.open(b, token, { after: ids[19]! });
      expect(exact.messages).toHaveLength(100);
      expect(exact.has_more).toBe(false);
      const none = await w.core.chats.open(b, token, { after: ids.at(-1)! });
      expect(none).toMatchObject({ messages: [], has_more: false });
    });

    it('publishes messages and typing on the bus', async () => {
      const { a, b, token } = await pair();
      events.length = 0;
      const sent = await w.core.chats.send(a, token, '<img src=x onerror=alert(1)>');
      await w.core.chats.typing(b, token);
      expect(sent).toMatchObject({ from: 'me', text: '<img src=x onerror=alert(1)>' });
      expect(events).toEqual([
        {
          type: 'message',
          chat: token,
          message: { id: sent.id, sender: a.personKey, text: sent.text, created_at: sent.created_at },
        },
        { type: 'typing', chat: token, sender: b.personKey },
      ]);
    });

    it('stores a message once per client id, and echoes the id to its sender only', async () => {
      const { a, b, token } = await pair();
      events.length = 0;
      const first = await w.core.chats.send(a, token, 'only once', 'c-1');
      const again = await w.core.chats.send(a, token, 'only once', 'c-1');
      expect(again).toEqual(first);
      expect(first.client_id).toBe('c-1');
      expect(events.filter((e) => e.type === 'message')).toHaveLength(1);
      const other = await w.core.chats.send(b, token, 'same id, other sender', 'c-1');
      expect(other.id).not.toBe(first.id);
      const seenByB = await w.core.chats.open(b, token);
      expect(seenByB.messages.map((m) => [m.text, m.from, m.client_id])).toEqual([
        ['only once', 'partner', undefined],
        ['same id, other sender', 'me', 'c-1'],
      ]);
    });

    it('ends a chat for both, frees both slots, and refuses new messages', async () => {
      const { a, b, token } = await pair();
      events.length = 0;
      const ended = await w.core.chats.end(b, token);
      expect(ended).toMatchObject({ token, state: 'ended', ended_at: expect.any(String) });
      expect(events).toEqual([{ type: 'ended', chat: token, by: b.personKey, reason: 'ended' }]);
      expect(await w.core.chats.end(a, token)).toMatchObject({ state: 'ended' });
      expect(events).toHaveLength(1);
      await expectCode(w.core.chats.send(a, token, 'still there?'), 'ERR_CHAT_ENDED');
      await expectCode(w.core.chats.typing(a, token), 'ERR_CHAT_ENDED');
      expect((await w.core.chats.open(a, token)).state).toBe('ended');
      expect((await w.core.chats.list(a)).active_chats).toBe(0);
      expect((await w.core.sessions.describe(b)).active_chats).toBe(0);
      expect(await w.core.matching.status(a)).toEqual({ state: 'idle' });
      expect((await w.core.matching.enqueue(a, [`fresh${n}x`])).state).toBe('searching');
    });

    it('expires a chat after its lifetime and announces it once', async () => {
      const { a, token } = await pair();
      w.clock.advance(24 * 3_600_000);
      await expectCode(w.core.chats.send(a, token, 'late'), 'ERR_CHAT_ENDED');
      expect((await w.core.chats.open(a, token)).state).toBe('expired');
      events.length = 0;
      expect(await w.core.chats.expire()).toBeGreaterThanOrEqual(1);
      expect(events).toContainEqual({ type: 'ended', chat: token, by: null, reason: 'expired' });
      const count = events.length;
      await w.core.chats.expire();
      expect(events).toHaveLength(count);
      expect((await w.core.chats.open(a, token)).state).toBe('expired');
    });
  });
}
