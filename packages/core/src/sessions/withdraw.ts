import type { TEndReason, TErrorCode } from '@portal/contracts';
import type { Database, PortalTransaction } from '@portal/db';
import type { EventBus } from '../realtime/events.ts';

/**
 * Takes a person out of circulation inside a moderation, logout or login
 * transaction: their searches go, and (when asked) their active chats end for
 * both sides. On PostgreSQL it first takes the person's advisory lock, the one
 * portal_enqueue holds, so an enqueue racing it either finishes first (and is
 * undone here) or re-reads the caller's standing after this commits and is
 * refused. On SQLite every write is already serial.
 */
export interface Withdrawal {
  person: string;
  /** Whose searches to drop: every session of the person, or these. */
  sessions: 'all' | string[];
  /** End the person's active chats, recorded as ended by `by` for this reason. */
  endChats?: { by: string; reason: TEndReason };
  at: Date;
}

/** What to announce once the transaction has committed. */
export interface WithdrawnChats {
  ended: { token: string; by: string | null; reason: TEndReason }[];
}

export async function lockPerson(db: Database, tx: PortalTransaction, person: string): Promise<void> {
  if (db.provider !== 'postgresql') return;
  await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(1, hashtext(${person}))) AS l`;
}

export async function withdraw(db: Database, tx: PortalTransaction, w: Withdrawal): Promise<WithdrawnChats> {
  await lockPerson(db, tx, w.person);
  await tx.queueEntry.deleteMany({
    where: w.sessions === 'all' ? { personKey: w.person } : { sessionId: { in: w.sessions } },
  });
  const ended: WithdrawnChats['ended'] = [];
  if (!w.endChats) return { ended };
  const active = await tx.chatParticipant.findMany({
    where: { personKey: w.person, activeUntil: { gt: w.at } },
    select: { chat: { select: { id: true, token: true } } },
  });
  for (const { chat } of active) {
    const { count } = await tx.chat.updateMany({
      where: { id: chat.id, endedAt: null },
      data: { endedAt: w.at, endedBy: w.endChats.by },
    });
    if (count === 0) continue;
    await tx.chatParticipant.updateMany({ where: { chatId: chat.id }, data: { activeUntil: w.at } });
    ended.push({
      token: chat.token,
      by: w.endChats.reason === 'moderated' ? null : w.person,
      reason: w.endChats.reason,
    });
  }
  return { ended };
}

/** After the commit: tell both sides of every ended chat, and close the person's sockets if asked. */
export async function announce(
  bus: EventBus,
  withdrawn: WithdrawnChats,
  disconnect?: { sessions?: string[]; person?: string; error: TErrorCode },
): Promise<void> {
  for (const chat of withdrawn.ended) {
    await bus.publish({ type: 'ended', chat: chat.token, by: chat.by, reason: chat.reason });
  }
  if (disconnect) await bus.publish({ type: 'disconnect', ...disconnect });
}
