import type { Database } from '@portal/db';
import { AppError, type TSession } from '@portal/contracts';
import { chatLimitOf, type Principal, type Standing } from '../principal.ts';
import type { EventBus } from '../realtime/events.ts';
import { hashToken, looksLikeToken, newId, newSessionToken } from '../tokens.ts';
import { cleanUserAgent } from './device.ts';
import { sessionEnd, type SessionLifetime } from './lifetime.ts';
import { createPrincipalLookup, createStandingLookup } from './lookup.ts';
import { createSessionManagement, type SessionManagement } from './manage.ts';
import type { PrincipalCache } from './principal-cache.ts';

export interface SessionService extends SessionManagement {
  /** The caller behind a cookie value, or null: absent, malformed, unknown, revoked or expired. */
  find(token: string | null | undefined): Promise<Principal | null>;
  /** Like `find`, but 401 when there is nobody. */
  authenticate(token: string | null | undefined): Promise<Principal>;
  /** A new stranger session and its cookie token; `userAgent` is kept for the sessions list. */
  create(userAgent?: string | null): Promise<{ principal: Principal; token: string }>;
  describe(principal: Principal): Promise<TSession>;
  /**
   * Where these sessions stand now: 'ok', 'revoked' (expired included), 'blocked'
   * or 'suspended' (a session that does not exist is missing from the map), in one query.
   */
  standing(sessionIds: string[]): Promise<Map<string, Standing>>;
  /** Whole seconds left of this session as of now: the cookie's Max-Age, which never outlives it. */
  cookieMaxAge(principal: Principal): number;
}

export interface SessionServiceOptions extends SessionLifetime {
  bus: EventBus;
  onError: (error: unknown) => void;
  /** Authentication skips the database for sessions this instance has seen lately. */
  cache?: PrincipalCache;
}

export function createSessionService(db: Database, options: SessionServiceOptions): SessionService {
  const { now } = options;
  const lookup = createPrincipalLookup(db, options);
  const standingsOf = createStandingLookup(db, options);

  const find: SessionService['find'] = async (token) => {
    if (!token || !looksLikeToken(token)) return null;
    return lookup(hashToken(token));
  };

  return {
    ...createSessionManagement(db, options, options.bus),
    find,
    async authenticate(token) {
      const principal = await find(token);
      if (!principal) throw new AppError('ERR_UNAUTHENTICATED');
      return principal;
    },
    async create(userAgent) {
      const fresh = newSessionToken();
      const id = newId();
      const at = now();
      await db.prisma.session.create({
        data: {
          id,
          tokenHash: hashToken(fresh),
          createdAt: new Date(at),
          lastSeenAt: new Date(at),
          userAgent: cleanUserAgent(userAgent),
        },
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
          expiresAt: sessionEnd(options, at, at),
          renewed: false,
        },
      };
    },
    standing: standingsOf,
    cookieMaxAge: (principal) => Math.max(0, Math.floor((principal.expiresAt - now()) / 1000)),

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
