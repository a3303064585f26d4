import type { Database, PortalTransaction } from '@portal/db';
import { AppError, type TBlockList, type TBlockResult } from '@portal/contracts';
import { endChatIn, type ChatService, type ChatView } from '../chats/service.ts';
import type { Principal } from '../principal.ts';
import type { EventBus } from '../realtime/events.ts';
import { lockPerson } from '../sessions/withdraw.ts';
import { newId } from '../tokens.ts';

/**
 * Personal blocks (SPEC §9). The matchers read the `blocks` table inside the
 * transaction that picks a partner (candidateSql on SQLite, portal_enqueue on
 * PostgreSQL): a blocked pair is skipped either way round.
 */
export interface BlockService {
  /** Ends the chat (as /end) and blocks the partner; idempotent. */
  block(principal: Principal, token: string): Promise<TBlockResult>;
  /** The blocks this person made, newest first. */
  list(principal: Principal): Promise<TBlockList>;
  /** Lifts one of this person's blocks: ERR_NOT_FOUND for anyone else's, ERR_REPORT_OPEN while their report on that person is open. */
  lift(principal: Principal, blockId: string): Promise<void>;
}

/**
 * Both people's person locks, in one fixed order (so two blocks between the same
 * two people cannot deadlock). portal_enqueue claims a partner under the same two
 * locks, so a block racing an enqueue commits wholly before or after the claim.
 */
async function lockPair(db: Database, tx: PortalTransaction, a: string, b: string): Promise<void> {
  for (const person of [a, b].sort()) await lockPerson(db, tx, person);
}

/**
 * Ends every chat the two still share (the one blocked from, and one an enqueue
 * made just before the block took the locks); returns the tokens it ended.
 */
async function endSharedChats(tx: PortalTransaction, me: string, partner: string, at: Date): Promise<string[]> {
  const shared = await tx.chatParticipant.findMany({
    where: {
      personKey: me,
      activeUntil: { gt: at },
      chat: { participants: { some: { personKey: partner } } },
    },
    select: { chat: { select: { id: true, token: true } } },
  });
  const ended: string[] = [];
  for (const { chat } of shared) if (await endChatIn(tx, chat.id, me, at)) ended.push(chat.token);
  return ended;
}

/**
 * The caller blocks the partner of this chat, inside the caller's transaction (a
 * block, or a report, which blocks too): both person locks, the block (an existing
 * one stays as it is), and the end of every chat the two still share, committed
 * together so an enqueue never sees neither. Returns the tokens of the chats it ended.
 */
export async function blockInTx(db: Database, tx: PortalTransaction, chat: ChatView, at: Date): Promise<string[]> {
  await lockPair(db, tx, chat.me, chat.partner);
  await tx.block.upsert({
    where: { blockerKey_blockedKey: { blockerKey: chat.me, blockedKey: chat.partner } },
    create: {
      id: newId(),
      blockerKey: chat.me,
      blockedKey: chat.partner,
      chatId: chat.id,
      matchedInterest: chat.summary.matched_interest,
      createdAt: at,
    },
    update: {},
  });
  return endSharedChats(tx, chat.me, chat.partner, at);
}

export function createBlockService(db: Database, now: () => number, bus: EventBus, chats: ChatService): BlockService {
  const { prisma } = db;

  return {
    async block(principal, token) {
      const chat = await chats.view(principal, token);
      const at = new Date(now());
      const endedTokens = await prisma.$transaction((tx) => blockInTx(db, tx, chat, at));
      // The partner sees an ordinary end: a block is not announced to the blocked person.
      for (const ended of endedTokens) await bus.publish({ type: 'ended', chat: ended, by: chat.me, reason: 'ended' });
      return { blocked: true };
    },

    async list(principal) {
      const rows = await prisma.block.findMany({
        where: { blockerKey: principal.personKey },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        select: { id: true, blockedKey: true, matchedInterest: true, createdAt: true },
      });
      // A registered person's key is their account id; a stranger's has no account row.
      const accounts = await prisma.account.findMany({
        where: { id: { in: rows.map((row) => row.blockedKey) } },
        select: { id: true, username: true },
      });
      const names = new Map(accounts.map((a) => [a.id, a.username]));
      return {
        blocks: rows.map((row) => ({
          id: row.id,
          label: names.get(row.blockedKey) ?? 'Stranger',
          matched_interest: row.matchedInterest,
          created_at: row.createdAt.toISOString(),
        })),
      };
    },

    async lift(principal, blockId) {
      await prisma.$transaction(async (tx) => {
        // Under the person lock: a report filed at this moment (which blocks too) waits or wins.
        await lockPerson(db, tx, principal.personKey);
        const found = await tx.block.findFirst({
          where: { id: blockId, blockerKey: principal.personKey },
          select: { id: true, blockedKey: true },
        });
        if (!found) throw new AppError('ERR_NOT_FOUND', 'No such block.');
        const open = await tx.report.findFirst({
          where: { reporterKey: principal.personKey, reportedKey: found.blockedKey, resolvedAt: null },
          select: { id: true },
        });
        if (open) throw new AppError('ERR_REPORT_OPEN');
        await tx.block.delete({ where: { id: found.id } });
      });
    },
  };
}
