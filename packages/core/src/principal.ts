import { CHAT_LIMITS, type TPlan, type TRole } from '@portal/contracts';

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
}

export const chatLimitOf = (principal: Pick<Principal, 'plan'>): number => CHAT_LIMITS[principal.plan];
