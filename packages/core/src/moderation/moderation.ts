import type { Database, PortalTransaction } from '@portal/db';
import {
  AppError,
  isId,
  REPORT_EXCERPT_SIZE,
  type TAuditAction,
  type TAuditList,
  type TModerationResult,
  type TParty,
  type TReportList,
  type TReportReceipt,
} from '@portal/contracts';
import { blockInTx } from '../blocks/blocks.ts';
import type { ChatService } from '../chats/service.ts';
import type { Principal } from '../principal.ts';
import type { EventBus } from '../realtime/events.ts';
import { announce, withdraw } from '../sessions/withdraw.ts';
import { newId } from '../tokens.ts';

export interface ModerationService {
  /** Files a report on the chat partner and ends the chat (once per chat and reporter). */
  report(reporter: Principal, token: string, reason: string): Promise<{ receipt: TReportReceipt; created: boolean }>;
  openReports(moderator: Principal): Promise<TReportList>;
  dismissReport(moderator: Principal, reportId: string, reason: string | null): Promise<TModerationResult>;
  blockSession(moderator: Principal, sessionId: string, reason: string): Promise<TModerationResult>;
  unblockSession(moderator: Principal, sessionId: string, reason: string | null): Promise<TModerationResult>;
  suspendAccount(moderator: Principal, accountId: string, reason: string): Promise<TModerationResult>;
  unsuspendAccount(moderator: Principal, accountId: string, reason: string | null): Promise<TModerationResult>;
  audit(moderator: Principal, limit?: number): Promise<TAuditList>;

  // The operator's command line: the only way to suspend or reinstate a moderator.
  /** Suspends the account named `username`, with the same effects as a moderator's suspension. */
  suspendByOperator(username: string, reason: string | null): Promise<TModerationResult>;
  unsuspendByOperator(username: string, reason: string | null): Promise<TModerationResult>;
}

export const assertModerator = (principal: Principal): void => {
  if (principal.role !== 'moderator') throw new AppError('ERR_FORBIDDEN');
  // A suspended moderator must not lift their own suspension, or act on anyone else.
  if (principal.suspended) throw new AppError('ERR_ACCOUNT_SUSPENDED');
};

interface ExcerptLine {
  from: 'reporter' | 'reported';
  text: string;
  created_at: string;
}

const MAX_OPEN_REPORTS = 100;
const ACCOUNT_SESSION = 'This session belongs to an account: suspend the account instead.';
const ANOTHER_MODERATOR = 'Moderators cannot block or suspend another moderator: the operator can.';
const ABOUT_YOURSELF = 'This report is about you: another moderator must handle it.';

/** Who acted: a moderator, or the operator's command line (null). */
type Actor = Principal | null;

export function createModerationService(
  db: Database,
  now: () => number,
  bus: EventBus,
  chats: ChatService,
): ModerationService {
  const { prisma } = db;

  /** Who is behind these sessions now (a stranger may have registered since). */
  async function parties(sessionIds: string[]): Promise<Map<string, TParty>> {
    const rows = await prisma.session.findMany({
      where: { id: { in: [...new Set(sessionIds)] } },
      select: {
        id: true,
        blockedAt: true,
        account: { select: { id: true, username: true, suspendedAt: true } },
      },
    });
    return new Map(
      rows.map((row) => [
        row.id,
        {
          session_id: row.id,
          account_id: row.account?.id ?? null,
          username: row.account?.username ?? null,
          restricted: row.account ? row.account.suspendedAt !== null : row.blockedAt !== null,
        },
      ]),
    );
  }

  async function record(
    tx: PortalTransaction,
    actor: Actor,
    action: TAuditAction,
    targetKind: 'session' | 'account' | 'report',
    targetId: string,
    reason: string | null,
  ) {
    await tx.auditEntry.create({
      data: {
        id: newId(),
        actorKind: actor ? 'moderator' : 'operator',
        actorId: actor?.accountId ?? null,
        action,
        targetKind,
        targetId,
        reason,
        createdAt: new Date(now()),
      },
    });
  }

  /** Blocks or suspends a person: flag, searches gone, chats ended, reports closed, sockets shut. */
  async function restrict(
    actor: Actor,
    target: { kind: 'session' | 'account'; id: string; person: string },
    reason: string | null,
  ): Promise<TModerationResult> {
    const at = new Date(now());
    const withdrawn = await prisma.$transaction(async (tx) => {
      const out = await withdraw(db, tx, {
        person: target.person,
        sessions: 'all',
        endChats: { by: 'moderation', reason: 'moderated' },
        at,
      });
      if (target.kind === 'session') {
        // Still a stranger under the person lock: one who has just registered is an account now.
        const { count } = await tx.session.updateMany({
          where: { id: target.id, accountId: null },
          data: { blockedAt: at, blockReason: reason },
        });
        if (count === 0) throw new AppError('ERR_BAD_REQUEST', ACCOUNT_SESSION);
      } else {
        await tx.account.update({ where: { id: target.id }, data: { suspendedAt: at, suspendReason: reason } });
      }
      await tx.report.updateMany({
        where: { reportedKey: target.person, resolvedAt: null },
        data: {
          resolution: target.kind === 'session' ? 'blocked' : 'suspended',
          resolvedAt: at,
          resolvedBy: actor?.accountId ?? null,
        },
      });
      await record(tx, actor, target.kind === 'session' ? 'block' : 'suspend', target.kind, target.id, reason);
      return out;
    });
    await announce(bus, withdrawn, {
      person: target.person,
      error: target.kind === 'session' ? 'ERR_STRANGER_BLOCKED' : 'ERR_ACCOUNT_SUSPENDED',
    });
    return { target_kind: target.kind, target_id: target.id, restricted: true, chats_ended: withdrawn.ended.length };
  }

  async function strangerSession(sessionId: string) {
    if (!isId(sessionId)) throw new AppError('ERR_NOT_FOUND', 'No such session.');
    const session = await prisma.session.findUnique({
      where: { id: sessionId },
      select: { id: true, accountId: true, account: { select: { role: true } } },
    });
    if (!session) throw new AppError('ERR_NOT_FOUND', 'No such session.');
    if (session.account?.role === 'moderator') throw new AppError('ERR_FORBIDDEN', ANOTHER_MODERATOR);
    if (session.accountId) throw new AppError('ERR_BAD_REQUEST', ACCOUNT_SESSION);
    return session;
  }

  const ACCOUNT_SELECT = { id: true, role: true } as const;

  async function account(accountId: string) {
    if (!isId(accountId)) throw new AppError('ERR_NOT_FOUND', 'No such account.');
    const found = await prisma.account.findUnique({ where: { id: accountId }, select: ACCOUNT_SELECT });
    if (!found) throw new AppError('ERR_NOT_FOUND', 'No such account.');
    return found;
  }

  /** An account a moderator may suspend or reinstate: not their own, not another moderator's. */
  async function accountFor(moderator: Principal, accountId: string) {
    const found = await account(accountId);
    if (found.id === moderator.accountId) throw new AppError('ERR_FORBIDDEN', 'You cannot act on your own account.');
    if (found.role === 'moderator') throw new AppError('ERR_FORBIDDEN', ANOTHER_MODERATOR);
    return found;
  }

  async function accountNamed(username: string) {
    const found = await prisma.account.findUnique({ where: { username }, select: ACCOUNT_SELECT });
    if (!found) throw new AppError('ERR_NOT_FOUND', `No account named ${username}.`);
    return found;
  }

  async function lift(actor: Actor, accountId: string, reason: string | null): Promise<TModerationResult> {
    await prisma.$transaction(async (tx) => {
      await tx.account.update({ where: { id: accountId }, data: { suspendedAt: null, suspendReason: null } });
      await record(tx, actor, 'unsuspend', 'account', accountId, reason);
    });
    await bus.publish({ type: 'principal_changed', person: accountId });
    return { target_kind: 'account', target_id: accountId, restricted: false, chats_ended: 0 };
  }

  return {
    async report(reporter, token, reason) {
      const chat = await chats.view(reporter, token);
      const at = new Date(now());
      const recent = await prisma.message.findMany({
        where: { chatId: chat.id },
        orderBy: { id: 'desc' },
        take: REPORT_EXCERPT_SIZE,
        select: { senderKey: true, text: true, createdAt: true },
      });
      const excerpt: ExcerptLine[] = recent.reverse().map((m) => ({
        from: m.senderKey === chat.me ? 'reporter' : 'reported',
        text: m.text,
        created_at: m.createdAt.toISOString(),
      }));
      const reported = await prisma.session.findUnique({
        where: { id: chat.partnerSessionId },
        select: { accountId: true },
      });
      const id = newId();
      const outcome = await prisma.$transaction(async (tx) => {
        // A report blocks the reported person too (SPEC §9), and ends what they share, as a block does.
        const ended = await blockInTx(db, tx, chat, at);
        // Once per chat and reporter: a second click (or a retry) returns the first report.
        const inserted = await tx.$executeRaw`
          INSERT INTO reports (id, chat_id, matched_interest, reporter_key, reporter_session_id, reported_key,
                               reported_session_id, reported_account_id, reason, excerpt, created_at)
          VALUES (${id}, ${chat.id}, ${chat.summary.matched_interest}, ${chat.me}, ${reporter.sessionId},
                  ${chat.partner}, ${chat.partnerSessionId}, ${reported?.accountId ?? null}, ${reason},
                  ${JSON.stringify(excerpt)}, ${at})
          ON CONFLICT (chat_id, reporter_key) DO NOTHING`;
        const stored = await tx.report.findUniqueOrThrow({
          where: { chatId_reporterKey: { chatId: chat.id, reporterKey: chat.me } },
          select: { id: true, createdAt: true },
        });
        return { stored, created: inserted === 1, ended };
      });
      for (const ended of outcome.ended) {
        await bus.publish({ type: 'ended', chat: ended, by: chat.me, reason: 'reported' });
      }
      return {
        receipt: { id: outcome.stored.id, created_at: outcome.stored.createdAt.toISOString() },
        created: outcome.created,
      };
    },

    async openReports(moderator) {
      assertModerator(moderator);
      const rows = await prisma.report.findMany({
        where: { resolvedAt: null },
        orderBy: { createdAt: 'asc' },
        take: MAX_OPEN_REPORTS,
      });
      const who = await parties(rows.flatMap((r) => [r.reporterSessionId, r.reportedSessionId]));
      const unknown = (sessionId: string): TParty => ({
        session_id: sessionId,
        account_id: null,
        username: null,
        restricted: false,
      });
      return {
        reports: rows.map((r) => ({
          id: r.id,
          reason: r.reason,
          created_at: r.createdAt.toISOString(),
          matched_interest: r.matchedInterest,
          reporter: who.get(r.reporterSessionId) ?? unknown(r.reporterSessionId),
          reported: who.get(r.reportedSessionId) ?? unknown(r.reportedSessionId),
          excerpt: JSON.parse(r.excerpt) as ExcerptLine[],
        })),
      };
    },

    async dismissReport(moderator, reportId, reason) {
      assertModerator(moderator);
      if (!isId(reportId)) throw new AppError('ERR_NOT_FOUND', 'No such report.');
      await prisma.$transaction(async (tx) => {
        const report = await tx.report.findUnique({ where: { id: reportId }, select: { reportedKey: true } });
        if (!report) throw new AppError('ERR_NOT_FOUND', 'No such report.');
        // The person key survives a registration (the account takes the stranger's id).
        if (report.reportedKey === moderator.personKey) throw new AppError('ERR_FORBIDDEN', ABOUT_YOURSELF);
        await tx.report.updateMany({
          where: { id: reportId, resolvedAt: null },
          data: { resolution: 'dismissed', resolvedAt: new Date(now()), resolvedBy: moderator.accountId },
        });
        await record(tx, moderator, 'dismiss_report', 'report', reportId, reason);
      });
      return { target_kind: 'report', target_id: reportId, restricted: false, chats_ended: 0 };
    },

    async blockSession(moderator, sessionId, reason) {
      assertModerator(moderator);
      const session = await strangerSession(sessionId);
      return restrict(moderator, { kind: 'session', id: session.id, person: session.id }, reason);
    },

    async unblockSession(moderator, sessionId, reason) {
      assertModerator(moderator);
      const session = await strangerSession(sessionId);
      await prisma.$transaction(async (tx) => {
        await tx.session.update({ where: { id: session.id }, data: { blockedAt: null, blockReason: null } });
        await record(tx, moderator, 'unblock', 'session', session.id, reason);
      });
      await bus.publish({ type: 'principal_changed', sessions: [session.id] });
      return { target_kind: 'session', target_id: session.id, restricted: false, chats_ended: 0 };
    },

    async suspendAccount(moderator, accountId, reason) {
      assertModerator(moderator);
      const found = await accountFor(moderator, accountId);
      return restrict(moderator, { kind: 'account', id: found.id, person: found.id }, reason);
    },

    async unsuspendAccount(moderator, accountId, reason) {
      assertModerator(moderator);
      const found = await accountFor(moderator, accountId);
      return lift(moderator, found.id, reason);
    },

    async suspendByOperator(username, reason) {
      const found = await accountNamed(username);
      return restrict(null, { kind: 'account', id: found.id, person: found.id }, reason);
    },

    async unsuspendByOperator(username, reason) {
      return lift(null, (await accountNamed(username)).id, reason);
    },

    async audit(moderator, limit = 100) {
      assertModerator(moderator);
      const rows = await prisma.auditEntry.findMany({ orderBy: { createdAt: 'desc' }, take: limit });
      const actors = await prisma.account.findMany({
        where: { id: { in: rows.flatMap((r) => (r.actorId ? [r.actorId] : [])) } },
        select: { id: true, username: true },
      });
      const names = new Map(actors.map((a) => [a.id, a.username]));
      return {
        entries: rows.map((r) => ({
          id: r.id,
          actor: r.actorKind === 'operator' ? 'operator' : 'moderator',
          actor_username: r.actorId ? (names.get(r.actorId) ?? null) : null,
          action: r.action as TAuditAction,
          target_kind: r.targetKind as 'session' | 'account' | 'report',
          target_id: r.targetId,
          reason: r.reason,
          created_at: r.createdAt.toISOString(),
        })),
      };
    },
  };
}
