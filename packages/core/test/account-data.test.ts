import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PortalEvent, type Principal } from '../src/index.ts';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

const PASSWORD = 'correct horse battery';

// SPEC §10: export and deletion.
for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`account data on ${provider}`, () => {
    let w: World;
    const events: PortalEvent[] = [];
    beforeAll(async () => {
      w = await createWorld(provider);
      w.core.bus.subscribe((event) => events.push(event));
    });
    afterAll(() => w?.close());

    let n = 0;
    const tag = () => `acct${++n}x`;

    const tokens = new Map<string, string>();
    async function registered(username = `user${++n}`): Promise<Principal> {
      const signed = await w.core.accounts.register(null, username, PASSWORD);
      tokens.set(signed.sessionId, signed.token);
      return w.core.sessions.authenticate(signed.token);
    }
    const again = (p: Principal) => w.core.sessions.authenticate(tokens.get(p.sessionId));

    async function pair(a: Principal, b: Principal): Promise<string> {
      const t = tag();
      await w.core.matching.enqueue(a, [t]);
      const matched = await w.core.matching.enqueue(b, [t]);
      return matched.token!;
    }

    describe('export', () => {
      it('holds the person, their sessions, chats with only their own messages, and their blocks', async () => {
        const alice = await registered();
        const bob = await registered();
        const carol = await w.stranger();
        const first = await pair(alice, bob);
        await w.core.chats.send(alice, first, 'mine one');
        await w.core.chats.send(bob, first, 'partner secret');
        await w.core.chats.send(alice, first, 'mine two');
        await w.core.blocks.block(alice, first);
        w.clock.advance(60_000);
        const second = await pair(alice, carol);
        await w.core.chats.send(carol, second, 'stranger secret');

        const data = await w.core.accountData.export(alice);
        expect(data.person).toEqual({
          kind: 'registered',
          account_id: alice.accountId,
          username: alice.username,
          plan: 'free',
          role: 'user',
          created_at: expect.any(String),
        });
        expect(data.sessions).toEqual([
          expect.objectContaining({ id: alice.sessionId, current: true, revoked: false, revoked_at: null }),
        ]);
        expect(data.chats).toEqual([
          {
            token: first,
            partner: bob.username,
            matched_interest: expect.any(String),
            created_at: expect.any(String),
            ended_at: expect.any(String),
            messages: [expect.objectContaining({ text: 'mine one' }), expect.objectContaining({ text: 'mine two' })],
          },
          expect.objectContaining({ token: second, partner: 'Stranger', ended_at: null, messages: [] }),
        ]);
        expect(JSON.stringify(data)).not.toContain('secret');
        expect(data.blocks).toEqual([expect.objectContaining({ label: bob.username })]);
      });

      it('lists every session of an account, revoked ones included, and only its own for a stranger', async () => {
        const member = await w.member();
        const other = await member.anotherSession();
        await w.core.accounts.logout(other);
        const data = await w.core.accountData.export(member.principal);
        expect(data.sessions.map((s) => [s.id, s.current, s.revoked])).toEqual(
          expect.arrayContaining([
            [member.principal.sessionId, true, false],
            [other.sessionId, false, true],
          ]),
        );
        const stranger = await w.stranger();
        const mine = await w.core.accountData.export(stranger);
        expect(mine.person).toMatchObject({ kind: 'stranger', session_id: stranger.sessionId, plan: 'free' });
        expect(mine.sessions).toEqual([expect.objectContaining({ id: stranger.sessionId, current: true })]);
      });
    });

    describe('deletion', () => {
      it('refuses a wrong or missing password and changes nothing', async () => {
        const alice = await registered();
        await expectCode(w.core.accountData.delete(alice, 'wrong password!'), 'ERR_INVALID_CREDENTIALS');
        await expectCode(w.core.accountData.delete(alice), 'ERR_BAD_REQUEST');
        expect((await again(alice)).username).toBe(alice.username);
      });

      it('ends the search and the chats, erases the sent text, frees the name, keeps the partner whole', async () => {
        const alice = await registered();
        const bob = await registered();
        const aliceElsewhere = await w.core.accounts.login(null, alice.username!, PASSWORD);
        const token = await pair(alice, bob);
        await w.core.chats.send(alice, token, 'from alice', 'client-1');
        await w.core.chats.send(bob, token, 'from bob');
        await w.core.blocks.block(bob, token); // bob's block on alice stays
        const carol = await registered();
        const second = await pair(alice, carol);
        await w.core.chats.send(alice, second, 'still talking');
        events.length = 0;

        await w.core.accountData.delete(alice, PASSWORD);

        // Sessions gone: every cookie of the account is dead.
        await expectCode(w.core.sessions.authenticate(aliceElsewhere.token), 'ERR_UNAUTHENTICATED');
        await expectCode(again(alice), 'ERR_UNAUTHENTICATED');
        // The partners see the chat ended and the text removed, their own messages intact.
        const seen = await w.core.chats.open(carol, second);
        expect(seen.state).toBe('ended');
        expect(seen.messages).toEqual([expect.objectContaining({ from: 'partner', text: '', deleted: true })]);
        const bobs = await w.core.chats.open(bob, token);
        expect(bobs.partner).toBe('Stranger');
        expect(bobs.messages.map((m) => [m.from, m.text, m.deleted ?? false])).toEqual([
          ['partner', '', true],
          ['me', 'from bob', false],
        ]);
        expect(await w.test.db.prisma.message.count({ where: { senderKey: alice.personKey, NOT: { text: '' } } })).toBe(
          0,
        );
        expect(events).toEqual(
          expect.arrayContaining([
            { type: 'messages_removed', chat: second, sender: alice.personKey },
            { type: 'messages_removed', chat: token, sender: alice.personKey },
            { type: 'ended', chat: second, by: alice.personKey, reason: 'ended' },
            expect.objectContaining({ type: 'disconnect', person: alice.personKey, error: 'ERR_UNAUTHENTICATED' }),
          ]),
        );
        // The chat that had already ended is not announced as ending again.
        expect(events.filter((e) => e.type === 'ended' && e.chat === token)).toEqual([]);
        // The username is free again.
        const reborn = await registered(alice.username!);
        expect(reborn.accountId).not.toBe(alice.accountId);
        // Bob's block names a key nobody holds; it stays in his list.
        expect((await w.core.blocks.list(bob)).blocks).toHaveLength(1);
      });

      it('deletes a stranger with `{}`: their session, search, chats, text and blocks', async () => {
        const stranger = await w.stranger();
        const partner = await w.stranger();
        const token = await pair(stranger, partner);
        await w.core.chats.send(stranger, token, 'bye');
        await w.core.blocks.block(stranger, token);
        await w.core.matching.enqueue(stranger, [tag()]);
        await w.core.accountData.delete(stranger);
        await expectCode(w.reload(stranger), 'ERR_UNAUTHENTICATED');
        expect(await w.test.db.prisma.queueEntry.count({ where: { personKey: stranger.personKey } })).toBe(0);
        expect(await w.test.db.prisma.block.count({ where: { blockerKey: stranger.personKey } })).toBe(0);
        const seen = await w.core.chats.open(partner, token);
        expect(seen.messages).toEqual([expect.objectContaining({ text: '', deleted: true })]);
        // A second deletion with the same (now dead) principal changes nothing more.
        await expectCode(w.core.accountData.delete(stranger), 'ERR_UNAUTHENTICATED');
      });

      it('keeps reports about the person, with their excerpts, for moderators', async () => {
        const mallory = await registered();
        const victim = await w.stranger();
        const token = await pair(mallory, victim);
        await w.core.chats.send(mallory, token, 'something nasty');
        await w.core.moderation.report(victim, token, 'abuse');
        await w.core.accountData.delete(mallory, PASSWORD);
        const report = await w.test.db.prisma.report.findFirstOrThrow({ where: { reportedKey: mallory.personKey } });
        expect(report.excerpt).toContain('something nasty');
        expect(report.matchedInterest).not.toBe('');
      });

      it('refuses a message the deleted person sends afterwards with a stale principal', async () => {
        const a = await w.stranger();
        const b = await w.stranger();
        const token = await pair(a, b);
        await w.core.accountData.delete(a);
        await expectCode(w.core.chats.send(a, token, 'too late'), 'ERR_CHAT_ENDED');
        await expectCode(w.core.matching.enqueue(a, [tag()]), 'ERR_UNAUTHENTICATED');
      });
    });
  });
}
