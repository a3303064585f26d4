import type { Database, PortalTransaction } from '@portal/db';
import { AppError, type TSessionList } from '@portal/contracts';
import type { Principal } from '../principal.ts';
import type { EventBus } from '../realtime/events.ts';
import { deviceLabel } from './device.ts';
import { liveSince, type SessionLifetime } from './lifetime.ts';
import { announce, lockPerson, withdraw, type WithdrawnChats } from './withdraw.ts';

/**
 * A person's own sessions (SPEC §10): the list and revocation. A registered person
 * manages every session of the account, a stranger only the one they hold (a
 * stranger's person is that one session).
 */
export interface SessionManagement {
  list(caller: Principal): Promise<TSessionList>;
  /** One live session of theirs; `current` tells the transport to clear the cookie. */
  revoke(caller: Principal, sessionId: string): Promise<{ current: boolean }>;
  /** Every other session of the account (nothing for a stranger). */
  revokeOthers(caller: Principal): Promise<void>;
}

export interface Revocation {
  person: string;
  sessions: string[];
  /** A stranger revoking their own session leaves their chats for good, as at logout. */
  endChats: boolean;
  at: Date;
}

/**
 * Revokes sessions of one person inside a transaction whose caller already holds the
 * person lock (the one portal_enqueue takes, so a racing enqueue finishes first and
 * is undone, or sees the revocation): revoked and their searches ended. Returns what
 * to announce.
 */
export async function revokeInside(db: Database, tx: PortalTransaction, r: Revocation): Promise<WithdrawnChats> {
  await tx.session.updateMany({ where: { id: { in: r.sessions }, revokedAt: null }, data: { revokedAt: r.at } });
  return withdraw(db, tx, {
    person: r.person,
    sessions: r.sessions,
    ...(r.endChats ? { endChats: { by: r.person, reason: 'ended' as const } } : {}),
    at: r.at,
  });
}

/**
 * Every live session of the account but `keep`, revoked inside the caller's
 * transaction (the caller holds the person lock): sign out everywhere else, and a
 * password change.
 */
export async function revokeOthersInside(
  db: Database,
  tx: PortalTransaction,
  accountId: string,
  keep: string,
  at: Date,
): Promise<{ sessions: string[]; withdrawn: WithdrawnChats }> {
  const others = await tx.session.findMany({
    where: { accountId, revokedAt: null, id: { not: keep } },
    select: { id: true },
  });
  const sessions = others.map((s) => s.id);
  if (sessions.length === 0) return { sessions, withdrawn: { ended: [] } };
  return { sessions, withdrawn: await revokeInside(db, tx, { person: accountId, sessions, endChats: false, at }) };
}

/** After the commit: partners of ended chats are told, and the sessions' sockets close with 4401 on every instance. */
export const announceRevoked = (bus: EventBus, sessions: string[], withdrawn: WithdrawnChats): Promise<void> =>
  sessions.length === 0 && withdrawn.ended.length === 0
    ? Promise.resolve()
    : announce(bus, withdrawn, { sessions, error: 'ERR_UNAUTHENTICATED' });

export function createSessionManagement(db: Database, life: SessionLifetime, bus: EventBus): SessionManagement {
  const { prisma } = db;
  /** Whose sessions the caller may see: the account's, or only their own. */
  const mine = (caller: Principal) =>
    caller.accountId ? { accountId: caller.accountId } : { id: caller.sessionId, accountId: null };

  return {
    async list(caller) {
      const rows = await prisma.session.findMany({
        where: { ...mine(caller), ...liveSince(life, life.now()) },
        orderBy: [{ lastSeenAt: 'desc' }, { createdAt: 'desc' }],
        select: { id: true, createdAt: true, lastSeenAt: true, userAgent: true },
      });
      const sessions = rows.map((row) => ({
        id: row.id,
        current: row.id === caller.sessionId,
        created_at: row.createdAt.toISOString(),
        last_seen_at: row.lastSeenAt.toISOString(),
        user_agent: row.userAgent,
        device: deviceLabel(row.userAgent),
      }));
      // This device first, then the most recently seen.
      return { sessions: [...sessions.filter((s) => s.current), ...sessions.filter((s) => !s.current)] };
    },

    async revoke(caller, sessionId) {
      const at = new Date(life.now());
      const current = sessionId === caller.sessionId;
      const withdrawn = await prisma.$transaction(async (tx) => {
        await lockPerson(db, tx, caller.personKey);
        // Read under the lock: a session revoked or expired meanwhile is not theirs to revoke.
        // A stranger's only session is the current one.
        const target =
          current || caller.accountId
            ? await tx.session.findFirst({
                where: { ...mine(caller), ...liveSince(life, at.getTime()), id: sessionId },
                select: { id: true },
              })
            : null;
        if (!target && !current) throw new AppError('ERR_NOT_FOUND', 'No such session of yours.');
        return revokeInside(db, tx, {
          person: caller.personKey,
          sessions: [sessionId],
          endChats: current && caller.accountId === null,
          at,
        });
      });
      await announceRevoked(bus, [sessionId], withdrawn);
      return { current };
    },

    async revokeOthers(caller) {
      if (!caller.accountId) return;
      const accountId = caller.accountId;
      const at = new Date(life.now());
      const { sessions, withdrawn } = await prisma.$transaction(async (tx) => {
        await lockPerson(db, tx, accountId);
        return revokeOthersInside(db, tx, accountId, caller.sessionId, at);
      });
      await announceRevoked(bus, sessions, withdrawn);
    },
  };
}
