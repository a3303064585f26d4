import type { Database } from '@portal/db';
import { AppError, type TSession } from '@portal/contracts';
import { chatLimitOf, type Principal, type Standing } from '../principal.ts';
import { hashToken, looksLikeToken, newId, newSessionToken } from '../tokens.ts';
import { createPrincipalLookup, createStandingLookup } from './lookup.ts';

export interface SessionService {
  /** The caller behind a cookie value, or null: absent, malformed, unknown or revoked. */
  find(token: string | null | undefined): Promise<Principal | null>;
  /** Like `find`, but 401 when there is nobody. */
  authenticate(token: string | null | undefined): Promise<Principal>;
  /** A new stranger session and its cookie token. */
  create(): Promise<{ principal: Principal; token: string }>;
  describe(principal: Principal): Promise<TSession>;
  /**
   * Where these sessions stand now: 'ok', 'revoked', 'blocked' or 'suspended'
   * (a session that does not exist is missing from the map), in one query.
   */
  standing(sessionIds: string[]): Promise<Map<string, Standing>>;
}

export function createSessionService(db: Database, now: () => number): SessionService {
  const lookup = createPrincipalLookup(db);
  const standingsOf = createStandingLookup(db);

  const find: SessionService['find'] = async (token) => {
    if (!token || !looksLikeToken(token)) return null;
    return lookup(hashToken(token));
  };

  return {
    find,
    async authenticate(token) {
      const principal = await find(token);
      if (!principal) throw new AppError('ERR_UNAUTHENTICATED');
      return principal;
    },
    async create() {
      const fresh = newSessionToken();
      const id = newId();
      await db.prisma.session.create({
        data: { id, tokenHash: hashToken(fresh), createdAt: new Date(now()) },
        select: { id: true },
      });
      return {
        token: fresh,
        principal: {
          sessionId: id,
          accountId: null,
          username: null,
          personKey: id,
          plan: 'free',
          role: 'user',
          blocked: false,
          suspended: false,
        },
      };
    },
    standing: standingsOf,

    async describe(principal) {
      const activeChats = await db.prisma.chatParticipant.count({
        where: { personKey: principal.personKey, activeUntil: { gt: new Date(now()) } },
      });
      return {
        id: principal.sessionId,
        kind: principal.accountId ? 'registered' : 'stranger',
        ...(principal.accountId ? { account_id: principal.accountId } : {}),
        ...(principal.username ? { username: principal.username } : {}),
        plan: principal.plan,
        role: principal.role,
        active_chats: activeChats,
        chat_limit: chatLimitOf(principal),
      };
    },
  };
}
