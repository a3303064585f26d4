/**
 * The limits of what people type, and checks of them that need no zod. The web
 * app's forms check as people type with these (through `@portal/contracts/browser`):
 * zod would be a sixth of every page's script and tens of milliseconds of a phone's
 * start-up. The zod schemas the server validates with are built from the same
 * limits and messages, and packages/api/test/input-rules.test.ts holds each check
 * to its schema's answers on one table of inputs.
 */

export const INTEREST_PATTERN = /^[a-z0-9]{3,12}$/;
export const MAX_INTERESTS = 3;
/** SPEC §2: 3–20 of a–z, 0–9 and "_". */
export const USERNAME_PATTERN = /^[a-z0-9_]{3,20}$/;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;
/** A login is a guess against stored accounts: any username up to this length may be tried. */
export const MAX_LOGIN_USERNAME_LENGTH = 64;
export const MAX_MESSAGE_LENGTH = 2000;
export const MAX_REASON_LENGTH = 500;

/** What each rule says when it is broken: the schemas' messages too. */
export const RULE_MESSAGES = {
  interest: 'Use 3-12 lowercase letters or digits.',
  interests: 'Pick one to three interests.',
  username: 'Use 3-20 lowercase letters, digits or "_".',
  passwordShort: `At least ${MIN_PASSWORD_LENGTH} characters.`,
  passwordLong: `At most ${MAX_PASSWORD_LENGTH} characters.`,
  messageEmpty: 'Write something first.',
  messageLong: `At most ${MAX_MESSAGE_LENGTH} characters.`,
  reasonEmpty: 'Give a reason.',
  reasonLong: `At most ${MAX_REASON_LENGTH} characters.`,
  nul: 'NUL characters are not allowed.',
} as const;

/** PostgreSQL text cannot hold U+0000: such input is malformed, not a server error. */
export const noNul = (text: string): boolean => !text.includes('\u0000');

/** A check's answer: the value the server would store, or the first rule it breaks. */
export type TChecked<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): TChecked<T> => ({ ok: true, value });
const broken = (message: string): TChecked<never> => ({ ok: false, message });

export function checkInterest(tag: string): TChecked<string> {
  return INTEREST_PATTERN.test(tag) ? ok(tag) : broken(RULE_MESSAGES.interest);
}

/** 1–3 tags; repeated tags count once, the first occurrence keeps its place. */
export function checkInterests(tags: readonly string[]): TChecked<string[]> {
  if (!tags.every((tag) => checkInterest(tag).ok)) return broken(RULE_MESSAGES.interest);
  const distinct = [...new Set(tags)];
  return distinct.length >= 1 && distinct.length <= MAX_INTERESTS ? ok(distinct) : broken(RULE_MESSAGES.interests);
}

export function checkUsername(name: string): TChecked<string> {
  return USERNAME_PATTERN.test(name) ? ok(name) : broken(RULE_MESSAGES.username);
}

/** Taken as typed (no trimming: spaces are characters too). */
export function checkPassword(password: string): TChecked<string> {
  if (password.length < MIN_PASSWORD_LENGTH) return broken(RULE_MESSAGES.passwordShort);
  if (password.length > MAX_PASSWORD_LENGTH) return broken(RULE_MESSAGES.passwordLong);
  return ok(password);
}

/** What a login may try: a non-empty username and password within the limits. */
export function isLoginUsername(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_LOGIN_USERNAME_LENGTH && noNul(name);
}

export function isLoginPassword(password: string): boolean {
  return password.length >= 1 && password.length <= MAX_PASSWORD_LENGTH;
}

function checkText(text: string, max: number, empty: string, long: string): TChecked<string> {
  if (!noNul(text)) return broken(RULE_MESSAGES.nul);
  const trimmed = text.trim();
  if (trimmed.length < 1) return broken(empty);
  if (trimmed.length > max) return broken(long);
  return ok(trimmed);
}

/** 1–2000 characters after trimming; the trimmed text is what is sent. */
export function checkMessageText(text: string): TChecked<string> {
  return checkText(text, MAX_MESSAGE_LENGTH, RULE_MESSAGES.messageEmpty, RULE_MESSAGES.messageLong);
}

/** Why someone reports, blocks or suspends: 1–500 characters after trimming. */
export function checkReason(text: string): TChecked<string> {
  return checkText(text, MAX_REASON_LENGTH, RULE_MESSAGES.reasonEmpty, RULE_MESSAGES.reasonLong);
}
