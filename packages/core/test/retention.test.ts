import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, DEFAULT_RETENTION, type Principal } from '../src/index.ts';
import { createWorld, expectCode, PROVIDERS, skipProvider, type World } from './factories.ts';

const DAY = 24 * 3_600_000;

// SPEC §10 retention, with a clock the test moves: each test starts with a fresh
// database, so the purge's counts are exactly what the test made due.
for (const provider of PROVIDERS) {
  describe.skipIf(await skipProvider(provider))(`retention purge on ${provider}`, () => {
    let w: World;
    beforeEach(async () => {
      w = await createWorld(provider);
    });
    afterEach(() => w?.close());

    let n = 0;
    async function chatOf(a: Principal, b: Principal, messages = 2): Promise<string> {
      const tag = `keep${++n}x`;
      await w.core.matching.enqueue(a, [tag]);
      const { token } = await w.core.matching.enqueue(b, [tag]);
      for (let i = 0; i < messages; i++) await w.core.chats.send(i % 2 ? b : a, token!, `m${i}`);
      return token!;
    }
    const counts = async () => ({
      chats: await w.test.db.prisma.chat.count(),
      messages: await w.test.db.prisma.message.count(),
      sessions: await w.test.db.prisma.session.count(),
      reports: await w.test.db.prisma.report.count(),
    });

    it('deletes chats ended or expired past MESSAGE_RETENTION_DAYS, with their messages, and nothing newer', async () => {
      const [a, b, c, d] = [await w.stranger(), await w.stranger(), await w.stranger(), await w.stranger()];
      const ended = await chatOf(a, b, 3);
      await w.core.chats.end(a, ended);
      await w.core.blocks.block(a, ended);
      const expired = await chatOf(c, d, 1); // never ended: expires after CHAT_TTL (24 h)
      w.clock.advance(29 * DAY);
      await w.core.chats.expire();
      const recent = await chatOf(a, c, 2);
      await w.core.chats.end(a, recent);
      const before = await counts();

      expect(await w.core.retention.purge()).toEqual({ chats: 0, messages: 0, sessions: 0, reports: 0, blocks: 0 });
      // The first ended 32 days ago, the second expired 31 days ago (a day after its start), the third 3 days ago.
      w.clock.advance(3 * DAY);
      expect(await w.core.retention.purge()).toMatchObject({ chats: 2, messages: 4 });

      await expectCode(w.core.chats.open(a, ended), 'ERR_CHAT_NOT_FOUND');
      await expectCode(w.core.chats.open(c, expired), 'ERR_CHAT_NOT_FOUND');
      expect((await w.core.chats.open(a, recent)).messages).toHaveLength(2);
      expect(await counts()).toMatchObject({ chats: before.chats - 2, messages: before.messages - 4 });
      // The block outlives the chat it was made from, and still keeps the two apart.
      expect((await w.core.blocks.list(a)).blocks).toHaveLength(1);
      expect(await w.test.db.prisma.chatParticipant.count({ where: { chat: { token: ended } } })).toBe(0);
      // Nothing left to do: a second run finds nothing.
      expect(await w.core.retention.purge()).toEqual({ chats: 0, messages: 0, sessions: 0, reports: 0, blocks: 0 });
    });

    it("deletes signed-out sessions and expired stranger sessions 30 days on, with the strangers' blocks", async () => {
      const gone = await w.stranger();
      const partner = await w.stranger();
      const token = await chatOf(gone, partner, 0);
      await w.core.blocks.block(gone, token);
      await w.core.blocks.block(partner, token); // on `gone`: stays in partner's list
      await w.core.accounts.logout(gone);
      const member = await w.member();
      const memberOld = await member.anotherSession();
      await w.core.accounts.logout(memberOld);
      const idle = await w.stranger(); // never used again: expires SESSION_IDLE_DAYS (30) on
      const busy = await w.stranger(); // used all along: expires SESSION_MAX_DAYS (180) after creation
      /** A request of `busy` now, as far as expiry goes (the hourly write, made here directly). */
      const use = () =>
        w.test.db.prisma.session.update({
          where: { id: busy.sessionId },
          data: { lastSeenAt: new Date(w.clock.now()) },
        });
      const left = async () =>
        new Set((await w.test.db.prisma.session.findMany({ select: { id: true } })).map((s) => s.id));

      w.clock.advance(29 * DAY);
      await use();
      const fresh = await w.stranger();
      expect((await w.core.retention.purge())?.sessions).toBe(0);
      w.clock.advance(2 * DAY);
      expect(await w.core.retention.purge()).toMatchObject({ sessions: 2, blocks: 1 });
      let now = await left();
      expect(now.has(gone.sessionId)).toBe(false);
      expect(now.has(memberOld.sessionId)).toBe(false);
      expect(now.has(member.principal.sessionId)).toBe(true);
      expect(now.has(idle.sessionId)).toBe(true); // expired at day 30, kept until day 60
      expect((await w.core.blocks.list(partner)).blocks).toHaveLength(1);

      // Day 61: `idle` and `partner` (idle since day 0) go; `fresh` (idle since day 29) stays.
      await use();
      w.clock.advance(30 * DAY);
      await use();
      expect((await w.core.retention.purge())?.sessions).toBe(2);
      now = await left();
      expect(now.has(idle.sessionId) || now.has(partner.sessionId)).toBe(false);
      expect(now.has(fresh.sessionId)).toBe(true);
      // Day 90: `fresh` goes. An account's session is never purged for being idle.
      w.clock.advance(29 * DAY);
      await use();
      expect((await w.core.retention.purge())?.sessions).toBe(1);
      expect((await left()).has(member.principal.sessionId)).toBe(true);

      // However busy, a stranger session ends at day 180 and is purged 30 days later.
      for (const step of [20, 20, 20, 20, 20, 19]) {
        w.clock.advance(step * DAY); // day 110, 130, 150, 170, 190, 209
        await use();
      }
      expect((await w.core.retention.purge())?.sessions).toBe(0);
      w.clock.advance(2 * DAY);
      await use();
      expect((await w.core.retention.purge())?.sessions).toBe(1);
      expect((await left()).has(busy.sessionId)).toBe(false);
      await expectCode(w.reload(busy), 'ERR_UNAUTHENTICATED');
    });

    it('deletes closed reports REPORT_RETENTION_DAYS after closing, open ones never, and keeps the audit trail', async () => {
      const member = await w.member();
      await w.test.db.prisma.account.update({
        where: { id: member.principal.accountId! },
        data: { role: 'moderator' },
      });
      const moderator = await w.reload(member.principal);
      const [a, b, c, d] = [await w.stranger(), await w.stranger(), await w.stranger(), await w.stranger()];
      const closed = await w.core.moderation.report(a, await chatOf(a, b, 2), 'spam');
      const open = await w.core.moderation.report(c, await chatOf(c, d, 2), 'spam');
      w.clock.advance(10 * DAY);
      await w.core.moderation.dismissReport(moderator, closed.receipt.id, 'not spam');
      const audit = await w.test.db.prisma.auditEntry.count();
      // The chats go after 30 days; the reports (no foreign key to chats) stay, excerpts and all.
      w.clock.advance(31 * DAY);
      expect(await w.core.retention.purge()).toMatchObject({ chats: 2, reports: 0 });
      const listed = await w.core.moderation.openReports(moderator);
      expect(listed.reports.find((r) => r.id === open.receipt.id)).toMatchObject({
        matched_interest: expect.stringMatching(/^keep/),
        excerpt: [expect.objectContaining({ text: 'm0' }), expect.objectContaining({ text: 'm1' })],
      });
      w.clock.advance(DEFAULT_RETENTION.reportsMs - 31 * DAY - DAY);
      expect((await w.core.retention.purge())?.reports).toBe(0);
      w.clock.advance(2 * DAY);
      expect((await w.core.retention.purge())?.reports).toBe(1);
      const left = await w.test.db.prisma.report.findMany({ select: { id: true } });
      expect(left.map((r) => r.id)).toEqual([open.receipt.id]);
      expect(await w.test.db.prisma.auditEntry.count()).toBe(audit);
    });

    it('runs once at a time: a purge that finds another running does nothing, two at once never double-count', async () => {
      const made: string[] = [];
      for (let i = 0; i < 12; i++) {
        const [a, b] = [await w.stranger(), await w.stranger()];
        const token = await chatOf(a, b, 3);
        await w.core.chats.end(a, token);
        made.push(token);
      }
      w.clock.advance(31 * DAY);
      const before = await counts();
      // Two instances (two cores on one database) and a second call on the same one, all at once.
      const other = createCore(w.test.db, { now: w.clock.now });
      const results = await Promise.all([w.core.retention.purge(), other.retention.purge(), w.core.retention.purge()]);
      expect(results[2]).toBeNull(); // the same instance is already purging
      const done = results.filter((r) => r !== null);
      expect(done.length).toBeGreaterThanOrEqual(1);
      expect(done.reduce((sum, r) => sum + r.chats, 0)).toBe(12);
      expect(done.reduce((sum, r) => sum + r.messages, 0)).toBe(36);
      const after = await counts();
      expect(after).toMatchObject({ chats: before.chats - 12, messages: before.messages - 36 });
      expect(await w.test.db.prisma.chat.count({ where: { token: { in: made } } })).toBe(0);
    });

    // PostgreSQL only: SQLite serves one instance, so there is no other instance's lock to skip for.
    it.skipIf(provider !== 'postgresql')('skips while another instance holds the purge lock (PostgreSQL)', async () => {
      const [a, b] = [await w.stranger(), await w.stranger()];
      const token = await chatOf(a, b, 1);
      await w.core.chats.end(a, token);
      w.clock.advance(31 * DAY);
      const holder = new pg.Client({ connectionString: w.test.url });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock(3, 1)');
        expect(await w.core.retention.purge()).toBeNull();
        expect((await w.core.chats.open(a, token)).token).toBe(token);
        await holder.query('SELECT pg_advisory_unlock(3, 1)');
        expect((await w.core.retention.purge())?.chats).toBe(1);
        await expectCode(w.core.chats.open(a, token), 'ERR_CHAT_NOT_FOUND');
      } finally {
        await holder.end();
      }
    });
  });
}
