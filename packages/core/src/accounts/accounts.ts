import type { Database, PortalTransaction } from '@portal/db';
import { AppError, isId, type TPlan, type TRole } from '@portal/contracts';
import type { Principal } from '../principal.ts';
import type { EventBus } from '../realtime/events.ts';
import { announce, lockPerson, withdraw, type WithdrawnChats } from '../sessions/withdraw.ts';
import { cleanUserAgent } from '../sessions/device.ts';
import { hashToken, newId, newSessionToken } from '../tokens.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { isUniqueViolation } from '../sql.ts';

export interface SignedIn {
  token: string;
  /** The new session: read it back with `sessions.authenticate(token)`. */
  sessionId: string;
}

export interface SessionRow {
  id: string;
  created_at: string;
  revoked_at: string | null;
  blocked: boolean;
}

export interface AccountService {
  /**
   * A new account and a session for it. A stranger's session becomes the
   * account's first session in place: the person stays the same, so their
   * active chats and search stay theirs. Anyone else gets a new session.
   */
  register(caller: Principal | null, username: string, password: string, userAgent?: string | null): Promise<SignedIn>;
  /** ERR_INVALID_CREDENTIALS for an unknown user and a wrong password alike. */
  login(caller: Principal | null, username: string, password: string, userAgent?: string | null): Promise<SignedIn>;
  /** Revokes this session only; a stranger's chats end with it (nobody can reach them again). */
  logout(caller: Principal): Promise<void>;

  // The operator's command line.
  setPlan(username: string, plan: TPlan): Promise<void>;
  setRole(username: string, role: TRole): Promise<void>;
  listSessions(username: string): Promise<SessionRow[]>;
  /** One session by id, or every live session of the account with `'all'`; returns how many. */
  revokeSessions(username: string, which: string): Promise<number>;
}

export function createAccountService(db: Database, now: () => number, bus: EventBus): AccountService {
  const { prisma } = db;

  /**
   * Ends a session that is being replaced or closed: revoked, its search gone,
   * and, for a stranger, its chats ended. Runs inside the caller's transaction.
   */
  async function retire(tx: PortalTransaction, session: Principal, at: Date): Promise<WithdrawnChats> {
    // The person lock before any row lock, in the order portal_enqueue takes them.
    await lockPerson(db, tx, session.personKey);
    await tx.session.update({ where: { id: session.sessionId }, data: { revokedAt: at } });
    return withdraw(db, tx, {
      person: session.personKey,
      sessions: [session.sessionId],
      ...(session.accountId ? {} : { endChats: { by: session.personKey, reason: 'ended' as const } }),
      at,
    });
  }

  const afterRetire = (session: Principal, withdrawn: WithdrawnChats) =>
    announce(bus, withdrawn, { sessions: [session.sessionId], error: 'ERR_UNAUTHENTICATED' });

  async function accountNamed(username: string) {
    const account = await prisma.account.findUnique({ where: { username }, select: { id: true } });
    if (!account) throw new AppError('ERR_NOT_FOUND', `No account named ${username}.`);
    return account;
  }

  async function audit(
    tx: PortalTransaction,
    action: string,
    targetKind: string,
    targetId: string,
    reason: string | null = null,
  ) {
    await tx.auditEntry.create({
      data: { id: newId(), actorKind: 'operator', action, targetKind, targetId, reason, createdAt: new Date(now()) },
    });
  }

  return {
    async register(caller, username, password, userAgent) {
      // A blocked stranger must not shed the block by becoming an account, nor a
      // suspended account its suspension by making a new one from the same session.
      if (caller?.blocked) throw new AppError('ERR_STRANGER_BLOCKED');
      if (caller?.suspended) throw new AppError('ERR_ACCOUNT_SUSPENDED');
      const passwordHash = await hashPassword(password);
      const at = new Date(now());
      const token = newSessionToken();
      const upgrade = caller !== null && caller.accountId === null;
      // The stranger's session id becomes the account id: the person key (account id,
      // else session id) does not change, so chats, messages and the search carry over.
      const accountId = upgrade ? caller.sessionId : newId();
      const sessionId = upgrade ? caller.sessionId : newId();
      let withdrawn: WithdrawnChats = { ended: [] };
      try {
        await prisma.$transaction(async (tx) => {
          if (upgrade) {
            // Under the person lock a block, a logout or another registration of this
            // stranger is either done (and seen here) or waits for this one.
            await lockPerson(db, tx, caller.personKey);
            const now = await tx.session.findUnique({
              where: { id: sessionId },
              select: { accountId: true, revokedAt: true, blockedAt: true },
            });
            if (!now || now.revokedAt || now.accountId) throw new AppError('ERR_UNAUTHENTICATED');
            if (now.blockedAt) throw new AppError('ERR_STRANGER_BLOCKED');
          }
          await tx.account.create({ data: { id: accountId, username, passwordHash, createdAt: at } });
          if (upgrade) {
            // A new token too: whoever knew the stranger's cookie does not get the account.
            // A fresh cookie, so last seen now (its Max-Age counts from here) and from this browser.
            await tx.session.update({
              where: { id: sessionId },
              data: { accountId, tokenHash: hashToken(token), lastSeenAt: at, userAgent: cleanUserAgent(userAgent) },
            });
          } else {
            if (caller) {
              // Under the person lock (retire takes it), a suspension that landed after
              // authentication is seen here.
              withdrawn = await retire(tx, caller, at);
              const account = caller.accountId
                ? await tx.account.findUnique({ where: { id: caller.accountId }, select: { suspendedAt: true } })
                : null;
              if (account?.suspendedAt) throw new AppError('ERR_ACCOUNT_SUSPENDED');
            }
            await tx.session.create({
              data: {
                id: sessionId,
                tokenHash: hashToken(token),
                accountId,
                createdAt: at,
                lastSeenAt: at,
                userAgent: cleanUserAgent(userAgent),
              },
            });
          }
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('ERR_USERNAME_TAKEN');
        throw error;
      }
      if (upgrade) {
        // Sockets opened with the old cookie reconnect with the new one.
        await bus.publish({ type: 'disconnect', sessions: [sessionId], error: 'ERR_UNAUTHENTICATED' });
      } else if (caller) {
        await afterRetire(caller, withdrawn);
      }
      return { token, sessionId };
    },

    async login(caller, username, password, userAgent) {
      const account = await prisma.account.findUnique({
        where: { username },
        select: { id: true, passwordHash: true },
      });
      // Unknown users pay for one hash too: both failures take the same time.
      const valid = await verifyPassword(password, account?.passwordHash ?? (await decoyHash()));
      if (!account || !valid) throw new AppError('ERR_INVALID_CREDENTIALS');
      const at = new Date(now());
      const token = newSessionToken();
      const sessionId = newId();
      const withdrawn = await prisma.$transaction(async (tx) => {
        const retired = caller ? await retire(tx, caller, at) : { ended: [] };
        await tx.session.create({
          data: {
            id: sessionId,
            tokenHash: hashToken(token),
            accountId: account.id,
            createdAt: at,
            lastSeenAt: at,
            userAgent: cleanUserAgent(userAgent),
          },
        });
        return retired;
      });
      if (caller) await afterRetire(caller, withdrawn);
      return { token, sessionId };
    },

    async logout(caller) {
      const at = new Date(now());
      const withdrawn = await prisma.$transaction((tx) => retire(tx, caller, at));
      await afterRetire(caller, withdrawn);
    },

    async setPlan(username, plan) {
      const { id } = await accountNamed(username);
      await prisma.$transaction(async (tx) => {
        await tx.account.update({ where: { id }, data: { plan } });
        await audit(tx, 'set_plan', 'account', id, `plan set to ${plan}`);
      });
      await bus.publish({ type: 'principal_changed', person: id });
    },

    async setRole(username, role) {
      const { id } = await accountNamed(username);
      await prisma.$transaction(async (tx) => {
        await tx.account.update({ where: { id }, data: { role } });
        await audit(tx, 'set_role', 'account', id, `role set to ${role}`);
      });
      await bus.publish({ type: 'principal_changed', person: id });
    },

    async listSessions(username) {
      const { id } = await accountNamed(username);
      const rows = await prisma.session.findMany({
        where: { accountId: id },
        orderBy: { createdAt: 'asc' },
        select: { id: true, createdAt: true, revokedAt: true, blockedAt: true },
      });
      return rows.map((row) => ({
        id: row.id,
        created_at: row.createdAt.toISOString(),
        revoked_at: row.revokedAt?.toISOString() ?? null,
        blocked: row.blockedAt !== null,
      }));
    },

    async revokeSessions(username, which) {
      const { id } = await accountNamed(username);
      if (which !== 'all' && !isId(which)) throw new AppError('ERR_NOT_FOUND', `No live session ${which}.`);
      const at = new Date(now());
      const live = await prisma.session.findMany({
        where: { accountId: id, revokedAt: null, ...(which === 'all' ? {} : { id: which }) },
        select: { id: true },
      });
      if (which !== 'all' && live.length === 0) throw new AppError('ERR_NOT_FOUND', `No live session ${which}.`);
      const sessions = live.map((s) => s.id);
      await prisma.$transaction(async (tx) => {
        await lockPerson(db, tx, id);
        await tx.session.updateMany({ where: { id: { in: sessions } }, data: { revokedAt: at } });
        await withdraw(db, tx, { person: id, sessions, at });
        for (const session of sessions) await audit(tx, 'revoke_session', 'session', session);
      });
      await bus.publish({ type: 'disconnect', sessions, error: 'ERR_UNAUTHENTICATED' });
      return sessions.length;
    },
  };
}
