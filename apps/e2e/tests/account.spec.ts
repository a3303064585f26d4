import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import {
  expect,
  expectAccessible,
  matchPair,
  messages,
  PASSWORD,
  person,
  registerAs,
  send,
  test,
  uniqueName,
} from './fixtures.ts';

const NEW_PASSWORD = 'a brand new passphrase';

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('account-name')).toHaveText(username);
}

/** Resolves once a socket this page opened from now on is closed (by the server, here). */
function socketClosed(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (ws) => ws.on('close', () => resolve()));
  });
}

test('the account page: sessions, password, export and deletion', async ({ alice, bob, browser }) => {
  test.slow();
  const name = uniqueName('acct');
  await registerAs(alice, name);
  await matchPair(alice, bob);
  await send(alice, 'mine to erase');
  await send(bob, 'the partner says this');
  await expect(messages(alice)).toContainText('the partner says this');
  await expect(messages(bob)).toContainText('mine to erase');

  // Alice on a second device, with the account page open there.
  const other = await person(browser);
  await logIn(other, name, PASSWORD);
  const otherSocketClosed = socketClosed(other);
  await other.goto('/account');
  await expect(other.getByTestId('session-current')).toBeVisible();

  await alice.getByRole('link', { name: 'Account' }).click();
  await expect(alice).toHaveURL(/\/account$/);
  await expect(alice.getByTestId('me-name')).toHaveText(name);
  await expect(alice.getByTestId('me-plan')).toContainText('Free');
  await expect(alice.getByTestId('session-current')).toContainText('This device');
  await expect(alice.getByTestId('session-other')).toHaveCount(1);
  await expectAccessible(alice);

  // 1. Sign out the other device: its socket closes and its page says so.
  await alice
    .getByTestId('session-other')
    .getByRole('button', { name: /^Sign out/ })
    .click();
  await expect(alice.getByTestId('session-other')).toHaveCount(0);
  await expect(alice.getByTestId('sessions-status')).toContainText('was signed out');
  await otherSocketClosed;
  await expect(other.getByTestId('signed-out')).toContainText('You were signed out');
  await expect(other.getByTestId('account-name')).toHaveText('Stranger');
  await expect(other.getByTestId('me-name')).toHaveText('Stranger');

  // 2. Change the password: the old one no longer logs in, the new one does.
  await alice.getByLabel('Current password').fill('not the password');
  await alice.getByLabel('New password').fill(NEW_PASSWORD);
  await alice.getByRole('button', { name: 'Change password' }).click();
  await expect(alice.getByTestId('password-error')).toHaveText('The current password is wrong.');
  await alice.getByLabel('Current password').fill(PASSWORD);
  await alice.getByRole('button', { name: 'Change password' }).click();
  await expect(alice.getByTestId('password-status')).toContainText('Your password was changed');
  await other.goto('/login');
  await other.getByLabel('Username').fill(name);
  await other.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await other.getByRole('button', { name: 'Log in' }).click();
  await expect(other.getByTestId('auth-error')).toHaveText('Wrong username or password.');
  await logIn(other, name, NEW_PASSWORD);
  await expect(other.getByTestId('signed-out')).toBeHidden();

  // "Sign out everywhere else" reaches the new login too.
  await alice.reload();
  await expect(alice.getByTestId('session-other')).toHaveCount(1);
  await alice.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await expect(alice.getByTestId('session-other')).toHaveCount(0);
  await expect(other.getByTestId('signed-out')).toBeVisible();
  await expect(other.getByTestId('account-name')).toHaveText('Stranger');

  // 3. Download the data: a JSON file about Alice, with her messages and never her partner's.
  const [download] = await Promise.all([
    alice.waitForEvent('download'),
    alice.getByRole('link', { name: 'Download my data' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^portal-export-\d{4}-\d{2}-\d{2}\.json$/);
  const text = await readFile(await download.path(), 'utf8');
  const data = JSON.parse(text) as { person: { kind: string; username?: string }; chats: unknown[] };
  expect(data.person).toMatchObject({ kind: 'registered', username: name });
  expect(data.chats).toHaveLength(1);
  expect(text).toContain('mine to erase');
  expect(text).not.toContain('the partner says this');

  // On a phone the page fits the width.
  await alice.setViewportSize({ width: 375, height: 740 });
  const overflow = await alice.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);

  // 4. Delete the account, confirmed by typing the username and the password.
  await alice.getByRole('button', { name: 'Delete my account…' }).click();
  const dialog = alice.getByRole('dialog', { name: 'Delete your account?' });
  await expect(dialog).toBeVisible();
  const confirm = dialog.getByRole('button', { name: 'Delete forever' });
  await dialog.getByLabel('Type your username').fill(name);
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Password').fill(NEW_PASSWORD);
  await expect(confirm).toBeEnabled();
  await expectAccessible(alice);
  await confirm.click();
  await expect(alice).toHaveURL(/\/$/);
  await expect(alice.getByTestId('account-name')).toHaveText('Stranger');

  // The partner's open chat: ended, and Alice's message removed (their own stays).
  await expect(bob.getByTestId('chat-notice')).toContainText(/ended|left/);
  await expect(bob.getByRole('button', { name: 'Send' })).toBeDisabled();
  await expect(messages(bob)).toContainText('message removed');
  await expect(messages(bob)).not.toContainText('mine to erase');
  await expect(messages(bob)).toContainText('the partner says this');

  // The name is free again.
  await registerAs(other, name);
});

test('a stranger sees what applies to strangers and can delete themselves', async ({ alice }) => {
  await alice.goto('/account');
  await expect(alice.getByTestId('me-name')).toHaveText('Stranger');
  await expect(alice.getByTestId('register-invite')).toBeVisible();
  await expect(alice.getByTestId('session-current')).toContainText('This device');
  await expect(alice.getByRole('link', { name: 'Download my data' })).toBeVisible();
  await expect(alice.getByTestId('no-blocks')).toBeVisible();
  await expect(alice.getByRole('heading', { name: 'Change password' })).toHaveCount(0);
  await expectAccessible(alice);
  const before = await alice.request.get('/v1/portal/session');
  const id = ((await before.json()) as { id: string }).id;

  await alice.getByRole('button', { name: 'Delete me…' }).click();
  const dialog = alice.getByRole('dialog', { name: 'Delete you?' });
  await dialog.getByLabel('Type DELETE').fill('DELETE');
  await dialog.getByRole('button', { name: 'Delete forever' }).click();
  await expect(alice).toHaveURL(/\/$/);
  await expect(alice.getByTestId('account-name')).toHaveText('Stranger');
  await expect(alice.getByTestId('signed-out')).toHaveCount(0);
  const after = await alice.request.get('/v1/portal/session');
  expect(((await after.json()) as { id: string }).id).not.toBe(id);
});
