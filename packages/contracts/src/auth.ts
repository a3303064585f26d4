import { z } from 'zod';
import {
  MAX_LOGIN_USERNAME_LENGTH,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  noNul,
  RULE_MESSAGES,
  USERNAME_PATTERN,
} from './rules.ts';

export const ZUsername = z.string().regex(USERNAME_PATTERN, RULE_MESSAGES.username);

/** 10–200 characters, taken as typed (no trimming: spaces are characters too). */
export const ZPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, RULE_MESSAGES.passwordShort)
  .max(MAX_PASSWORD_LENGTH, RULE_MESSAGES.passwordLong);

export const ZCredentials = z.object({ username: ZUsername, password: ZPassword });
export type TCredentials = z.infer<typeof ZCredentials>;

/** Login checks the stored hash only: any non-empty string up to the password limit is a fair guess. */
export const ZLoginInput = z.object({
  username: z.string().min(1).max(MAX_LOGIN_USERNAME_LENGTH).refine(noNul, RULE_MESSAGES.nul),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

/** The current password is checked against the stored hash, as a login is; the new one follows the register rule. */
export const ZPasswordChange = z.object({
  current_password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  new_password: ZPassword,
});
export type TPasswordChange = z.infer<typeof ZPasswordChange>;
