import { CHAT_LIMITS, type TErrorCode, type TPlan, type TRole } from '@portal/contracts';

/** The authenticated caller: a session, and the person it belongs to. */
export interface Principal {
  sessionId: string;
  accountId: string | null;
  username: string | null;
  /** Who slots, blocks and pairing rules count for: the account, or the stranger session. */
  personKey: string;
  plan: TPlan;
  role: TRole;
  blocked: boolean;
  suspended: boolean;
  /** When the session ends unless used again, or at the latest (epoch ms): the cookie's Max-Age. */
  expiresAt: number;
  /** This request moved the stored last_seen_at (about once an hour): the cookie is set again with it. */
  renewed: boolean;
}

export const chatLimitOf = (principal: Pick<Principal, 'plan'>): number => CHAT_LIMITS[principal.plan];

/** Where a session stands: still usable, signed out, or its person blocked or suspended. */
export type Standing = 'ok' | 'revoked' | 'blocked' | 'suspended';

/** The one reading of the standing flags (a suspension outranks a block). */
export const standingOf = (flags: { revoked?: unknown; blocked: unknown; suspended: unknown }): Standing =>
  flags.revoked ? 'revoked' : flags.suspended ? 'suspended' : flags.blocked ? 'blocked' : 'ok';

const REFUSALS: Record<Standing, TErrorCode | null> = {
  ok: null,
  revoked: 'ERR_UNAUTHENTICATED',
  suspended: 'ERR_ACCOUNT_SUSPENDED',
  blocked: 'ERR_STRANGER_BLOCKED',
};

/** The error a session in this standing gets for anything that needs a usable one, or null. */
export const refusalOf = (standing: Standing): TErrorCode | null => REFUSALS[standing];
