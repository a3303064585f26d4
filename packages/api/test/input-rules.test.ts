import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  checkInterest,
  checkInterests,
  checkMessageText,
  checkPassword,
  checkReason,
  checkUsername,
  isLoginPassword,
  isLoginUsername,
  MAX_LOGIN_USERNAME_LENGTH,
  MAX_MESSAGE_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_REASON_LENGTH,
  ZInterest,
  ZInterests,
  ZLoginInput,
  ZMessageText,
  ZPassword,
  ZReason,
  ZUsername,
  type TChecked,
} from '@portal/contracts';

// The web app checks forms with the zod-free rules (`@portal/contracts/browser`), the server
// with the zod schemas: on every input below the two must give the same answer, the same
// value and the same message, or a person would be told one thing and the server do another.

const around = (n: number, fill = 'a'): string[] => [fill.repeat(n - 1), fill.repeat(n), fill.repeat(n + 1)];

const TEXTS = [
  '',
  ' ',
  '\n\t ',
  'hi',
  '  hello  ',
  'a\u0000b',
  '\u0000',
  'ünïcödé 🙂',
  ...around(MAX_REASON_LENGTH),
  ...around(MAX_MESSAGE_LENGTH),
  ` ${'a'.repeat(MAX_MESSAGE_LENGTH)} `,
];

const TAGS = ['', 'ab', 'abc', 'music', 'Music', 'mus ic', 'abcdefghijkl', 'abcdefghijklm', 'a_b_c', 'tag1', '１２３'];

const NAMES = ['', 'ab', 'abc', 'alice_01', 'Alice', 'al ice', 'a'.repeat(20), 'a'.repeat(21), 'ümlaut', 'a\u0000b'];

const PASSWORDS = ['', 'short', ...around(10, 'x'), ...around(MAX_PASSWORD_LENGTH, 'x'), '          '];

function sameAnswer<T>(check: TChecked<T>, schema: z.ZodType, input: unknown): void {
  const parsed = schema.safeParse(input);
  expect({ ok: check.ok, value: check.ok ? check.value : undefined }).toEqual({
    ok: parsed.success,
    value: parsed.success ? parsed.data : undefined,
  });
  if (!check.ok && !parsed.success) expect(check.message).toBe(parsed.error.issues[0]?.message);
}

describe('the browser checks give the schemas’ answers', () => {
  it.each(TEXTS)('message text %j', (text) => sameAnswer(checkMessageText(text), ZMessageText, text));
  it.each(TEXTS)('reason %j', (text) => sameAnswer(checkReason(text), ZReason, text));
  it.each(TAGS)('interest %j', (tag) => sameAnswer(checkInterest(tag), ZInterest, tag));
  it.each([
    [[]],
    [['music']],
    [['music', 'music']],
    [['music', 'books', 'music', 'films']],
    [['music', 'books', 'films']],
    [['music', 'books', 'films', 'games']],
    [['music', 'No']],
    [['bad tag']],
  ])('interests %j', (tags) => sameAnswer(checkInterests(tags), ZInterests, tags));
  it.each(NAMES)('username %j', (name) => sameAnswer(checkUsername(name), ZUsername, name));
  it.each(PASSWORDS)('password %j', (password) => sameAnswer(checkPassword(password), ZPassword, password));
  it.each([...NAMES, ...around(MAX_LOGIN_USERNAME_LENGTH)])('login username %j', (name) =>
    expect(isLoginUsername(name)).toBe(ZLoginInput.shape.username.safeParse(name).success),
  );
  it.each(PASSWORDS)('login password %j', (password) =>
    expect(isLoginPassword(password)).toBe(ZLoginInput.shape.password.safeParse(password).success),
  );
});
