import { z } from 'zod';
import { ZId } from './ids.ts';

export const SESSION_COOKIE = 'psession';

export const ZPlan = z.enum(['free', 'premium']);
export const ZRole = z.enum(['user', 'moderator']);
export type TPlan = z.infer<typeof ZPlan>;
export type TRole = z.infer<typeof ZRole>;

export const CHAT_LIMITS: Record<TPlan, number> = { free: 1, premium: 3 };

export const ZSession = z
  .object({
    id: z.string(),
    kind: z.enum(['stranger', 'registered']),
    account_id: z.string().optional(),
    username: z.string().optional(),
    plan: ZPlan,
    role: ZRole,
    active_chats: z.number().int(),
    chat_limit: z.number().int(),
  })
  .meta({ id: 'Session' });

export type TSession = z.infer<typeof ZSession>;

/** One of the person's signed-in sessions (SPEC §10), as `GET /auth/sessions` lists it. */
export const ZSessionSummary = z
  .object({
    id: z.string(),
    /** The session this request came with ("this device"). */
    current: z.boolean(),
    created_at: z.string(),
    /** The last request, to the hour (it is stored at most once an hour). */
    last_seen_at: z.string(),
    /** The User-Agent that created the session, signed in or registered with it; null when none was sent. */
    user_agent: z.string().nullable(),
    /** A readable name derived from `user_agent`, such as "Chrome on Linux" or "Safari on iPhone". */
    device: z.string(),
  })
  .meta({ id: 'SessionSummary' });
export type TSessionSummary = z.infer<typeof ZSessionSummary>;

export const ZSessionList = z.object({ sessions: z.array(ZSessionSummary) }).meta({ id: 'SessionList' });
export type TSessionList = z.infer<typeof ZSessionList>;

export const ZSessionIdInput = z.object({ id: ZId });
