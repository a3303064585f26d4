import { z } from 'zod';

export const SESSION_COOKIE = 'psession';

export const ZPlan = z.enum(['free', 'premium']);
export const ZRole = z.enum(['user', 'moderator']);
export type TPlan = z.infer<typeof ZPlan>;
export type TRole = z.infer<typeof ZRole>;

export const CHAT_LIMITS: Record<TPlan, number> = { free: 1, premium: 3 };

export const ZSession = z.object({
  id: z.string(),
  kind: z.enum(['stranger', 'registered']),
  account_id: z.string().optional(),
  username: z.string().optional(),
  plan: ZPlan,
  role: ZRole,
  active_chats: z.number().int(),
  chat_limit: z.number().int(),
});

export type TSession = z.infer<typeof ZSession>;
