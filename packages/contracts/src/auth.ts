import { z } from 'zod';
import { noNul, NUL_MESSAGE } from './chat.ts';

/** SPEC §2: 3–20 of a–z, 0–9 and "_". */
export const ZUsername = z.string().regex(/^[a-z0-9_]{3,20}$/, 'Use 3-20 lowercase letters, digits or "_".');

/** 10–200 characters, taken as typed (no trimming: spaces are characters too). */
export const ZPassword = z.string().min(10, 'At least 10 characters.').max(200, 'At most 200 characters.');

export const ZCredentials = z.object({ username: ZUsername, password: ZPassword });
export type TCredentials = z.infer<typeof ZCredentials>;

/** Login checks the stored hash only: any non-empty string up to the password limit is a fair guess. */
export const ZLoginInput = z.object({
  username: z.string().min(1).max(64).refine(noNul, NUL_MESSAGE),
  password: z.string().min(1).max(200),
});

/** The current password is checked against the stored hash, as a login is; the new one follows the register rule. */
export const ZPasswordChange = z.object({
  current_password: z.string().min(1).max(200),
  new_password: ZPassword,
});
export type TPasswordChange = z.infer<typeof ZPasswordChange>;
