import type { Database } from '@portal/db';
import type { RetentionConfig } from '../config.ts';
import type { SessionLifetime } from '../sessions/lifetime.ts';

/** What one purge deleted. */
export interface PurgeResult {
  chats: number;
  messages: number;
  sessions: number;
  reports: number;
  blocks: number;
}

export interface RetentionService {
  /**
   * Deletes what retention no longer keeps (SPEC §10), in small batches. Runs at
   * most once at a time over every instance: null when another purge is running
   * (here, or on another instance of the same PostgreSQL database).
   */
  purge(): Promise<PurgeResult | null>;
}

/** Rows per statement: each delete is its own short transaction, never a long lock. */
export const PURGE_BATCH = 500;
/** Chats per batch: their messages go first, PURGE_BATCH at a time, then the chats. */
const CHAT_BATCH = 100;
/** Sessions read per step of the walk over the primary key (a bounded scan each). */
const SESSION_STEP = 1000;

/**
 * The purge's session-level advisory lock: (3, 1) is used by nothing else (1 is the
 * person locks, 2 the tag locks). Session-level, on a connection of its own, so that
 * the batches can run as separate short transactions while the lock is held; it is
 * released at the end, or by PostgreSQL when the connection dies with the instance.
 */
const PURGE_LOCK = [3, 1] as const;

export function createRetentionService(db: Database, config: RetentionConfig, life: SessionLifetime): RetentionService {
  const { now } = life;
  const { prisma } = db;
  let running = false;

  /** Runs `work` only if no other purge runs, on this instance or any other. */
  async function exclusively(work: () => Promise<PurgeResult>): Promise<PurgeResult | null> {
    if (running) return null;
    running = true;
    try {
      if (db.provider !== 'postgresql') return await work(); // SQLite: one instance
      const client = await db.pool.connect();
      let broken = false;
      try {
        const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [
          ...PURGE_LOCK,
        ]);
        if (!rows[0]?.got) return null;
        try {
          return await work();
        } finally {
          await client.query('SELECT pg_advisory_unlock($1, $2)', [...PURGE_LOCK]).catch(() => (broken = true));
        }
      } finally {
        // A connection whose unlock failed is closed rather than reused: closing releases the lock.
        client.release(broken);
      }
    } finally {
      running = false;
    }
  }

  async function purgeChats(cutoff: Date, result: PurgeResult): Promise<void> {
    const due = { OR: [{ endedAt: { lt: cutoff } }, { expiresAt: { lt: cutoff } }] };
    for (;;) {
      const chats = await prisma.chat.findMany({ where: due, select: { id: true }, take: CHAT_BATCH });
      if (chats.length === 0) return;
      const chatIds = chats.map((c) => c.id);
      // Messages first, a batch at a time: one chat's cascade could be thousands of rows.
      for (;;) {
        const messages = await prisma.message.findMany({
          where: { chatId: { in: chatIds } },
          select: { id: true },
          take: PURGE_BATCH,
        });
        if (messages.length === 0) break;
        const { count } = await prisma.message.deleteMany({ where: { id: { in: messages.map((m) => m.id) } } });
        result.messages += count;
      }
      // Participants go by cascade (two rows a chat). Blocks keep their chat id: they
      // outlive the chat on purpose (blocks.chat_id has no foreign key).
      const { count } = await prisma.chat.deleteMany({ where: { id: { in: chatIds }, ...due } });
      result.chats += count;
    }
  }

  /**
   * Sessions signed out, or strangers' sessions expired (idle or past their absolute
   * lifetime), more than `expiredSessionsMs` ago. A walk over the primary key in which
   * the database picks the due rows, at most SESSION_STEP of them a statement.
   */
  async function purgeSessions(at: number, result: PurgeResult): Promise<void> {
    const before = at - config.expiredSessionsMs;
    // Signed out before `before`, or a stranger's session that ended before it: its end
    // is min(created + max, last seen + idle) (sessionEnd), so either one being early is enough.
    const dueWhere = {
      OR: [
        { revokedAt: { lt: new Date(before) } },
        {
          accountId: null,
          OR: [
            { createdAt: { lt: new Date(before - life.maxMs) } },
            { lastSeenAt: { lt: new Date(before - life.idleMs) } },
          ],
        },
      ],
    };
    let cursor = '';
    for (;;) {
      // The database filters: only due rows come back, a bounded step at a time.
      const due = await prisma.session.findMany({
        where: { id: { gt: cursor }, ...dueWhere },
        orderBy: { id: 'asc' },
        take: SESSION_STEP,
        select: { id: true, accountId: true },
      });
      if (due.length === 0) return;
      cursor = due[due.length - 1]!.id;
      const ids = due.map((s) => s.id);
      // A stranger is their session: the blocks they made go with them (blocks made on
      // them stay in their blockers' lists, naming a key nobody can hold again).
      const strangers = due.filter((s) => s.accountId === null).map((s) => s.id);
      if (strangers.length > 0) {
        result.blocks += (await prisma.block.deleteMany({ where: { blockerKey: { in: strangers } } })).count;
      }
      result.sessions += (await prisma.session.deleteMany({ where: { id: { in: ids } } })).count;
    }
  }

  async function purgeReports(cutoff: Date, result: PurgeResult): Promise<void> {
    for (;;) {
      const reports = await prisma.report.findMany({
        where: { resolvedAt: { lt: cutoff } },
        select: { id: true },
        take: PURGE_BATCH,
      });
      if (reports.length === 0) return;
      result.reports += (await prisma.report.deleteMany({ where: { id: { in: reports.map((r) => r.id) } } })).count;
    }
  }

  return {
    purge: () =>
      exclusively(async () => {
        const at = now();
        const result: PurgeResult = { chats: 0, messages: 0, sessions: 0, reports: 0, blocks: 0 };
        await purgeChats(new Date(at - config.chatsMs), result);
        await purgeSessions(at, result);
        await purgeReports(new Date(at - config.reportsMs), result);
        return result;
      }),
  };
}
