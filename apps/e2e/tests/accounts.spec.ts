import type { Page } from '@playwright/test';
import {
  expect,
  expectAccessible,
  matchPair,
  messages,
  PASSWORD,
  person,
  portalCli,
  registerAs,
  send,
  startSearch,
  test,
  uniqueName,
  uniqueTag,
} from './fixtures.ts';

/** The picker pre-fills the tab's last search; a person who searches again and again starts from no tags. */
async function forgetLastInterests(page: Page): Promise<void> {
  await page.context().addInitScript(() => sessionStorage.removeItem('portal:last-interests'));
}

/** Opens the Report dialog in the chat, gives a reason and confirms. */
async function report(page: Page, reason: string): Promise<void> {
  await page.getByRole('button', { name: 'Report', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /^Report / });
  await dialog.getByLabel('Reason').fill(reason);
  await dialog.getByRole('button', { name: 'Report and end chat' }).click();
  await expect(dialog).toBeHidden();
}

/** The id of the session a page's browser context holds (what a moderator sees in a report). */
async function sessionIdOf(page: Page): Promise<string> {
  const response = await page.request.get('/v1/portal/session');
  expect(response.ok()).toBe(true);
  return ((await response.json()) as { id: string }).id;
}

async function registerModerator(page: Page, databaseUrl: string): Promise<string> {
  const name = uniqueName('mod');
  await registerAs(page, name);
  portalCli(databaseUrl, 'role', 'set', name, 'moderator');
  return name;
}

test('register with live validation, log out, and log back in', async ({ alice, bob }) => {
  const name = uniqueName('acct');
  await alice.goto('/register');
  const username = alice.getByLabel('Username');
  const password = alice.getByLabel('Password', { exact: true });
  await username.fill('Not Valid');
  await expect(alice.getByTestId('username-message')).toContainText('lowercase');
  await expect(username).toHaveAttribute('aria-invalid', 'true');
  await username.fill(name);
  await expect(alice.getByTestId('username-message')).toBeEmpty();
  await password.fill('short');
  await password.blur();
  await expect(alice.getByTestId('password-message')).toHaveText('At least 10 characters.');
  await password.fill(PASSWORD);
  await expect(alice.getByTestId('password-message')).toBeEmpty();
  await alice.getByRole('button', { name: 'Create account' }).click();

  await expect(alice).toHaveURL(/\/$/);
  await expect(alice.getByTestId('account-name')).toHaveText(name);
  await expect(alice.getByTestId('account-plan')).toHaveText('Free');
  await expect(alice.getByTestId('account-slots')).toHaveText('0/1');

  // The same name again, from someone else: the API's refusal lands on the field.
  await bob.goto('/register');
  await bob.getByLabel('Username').fill(name);
  await bob.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await bob.getByRole('button', { name: 'Create account' }).click();
  await expect(bob.getByTestId('username-message')).toHaveText(/taken/);

  await alice.getByRole('button', { name: 'Log out' }).click();
  await expect(alice.getByTestId('account-name')).toHaveText('Stranger');
  await expect(alice.getByRole('link', { name: 'Log in' })).toBeVisible();

  // As a stranger again, in a chat: the login page warns that logging in ends it.
  await matchPair(alice, bob);
  await alice.getByRole('link', { name: 'Log in' }).click();
  await expect(alice.getByTestId('auth-note')).toContainText('Logging in ends it');
  await alice.getByLabel('Username').fill(name);
  await alice.getByLabel('Password', { exact: true }).fill('not the password');
  await alice.getByRole('button', { name: 'Log in' }).click();
  await expect(alice.getByTestId('auth-error')).toHaveText('Wrong username or password.');
  await alice.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await alice.getByRole('button', { name: 'Log in' }).click();
  await expect(alice.getByTestId('account-name')).toHaveText(name);
  await expect(bob.getByTestId('chat-notice')).toContainText(/left|ended/);

  // The socket follows the new cookie: a new chat works live both ways without a reload.
  await bob.getByRole('button', { name: 'Find a new partner' }).click();
  await expect(bob.getByLabel('Add an interest')).toBeVisible();
  await matchPair(alice, bob);
  await expect(bob.getByRole('heading', { name: `Chat with ${name}` })).toBeVisible();
  await send(bob, 'Hello again');
  await expect(messages(alice)).toContainText('Hello again');
  await send(alice, 'Now with a name');
  await expect(messages(bob)).toContainText('Now with a name');
});

test('a premium member holds three chats at once; the fourth search hits the slot limit', async ({
  browser,
  databaseUrl,
}) => {
  // Several browser contexts and the command line: on two busy cores this needs more than the default.
  test.slow();
  const member = await person(browser);
  await forgetLastInterests(member);
  const name = uniqueName('prem');
  await registerAs(member, name);
  await expect(member.getByTestId('account-slots')).toHaveText('0/1');
  expect(portalCli(databaseUrl, 'plan', 'set', name, 'premium')).toContain('premium');
  await member.reload();
  await expect(member.getByTestId('account-plan')).toHaveText('Premium');
  await expect(member.getByTestId('account-slots')).toHaveText('0/3');

  const partners = [await person(browser), await person(browser), await person(browser)];
  for (const [index, partner] of partners.entries()) {
    const tag = uniqueTag('prem');
    await startSearch(partner, [tag]);
    await expect(partner.getByTestId('searching')).toBeVisible();
    await startSearch(member, [tag]);
    await expect(member).toHaveURL(/\/chat\/[A-Za-z0-9_-]{22}$/);
    await expect(partner).toHaveURL(member.url());
    await expect(member.getByTestId('account-slots')).toHaveText(`${index + 1}/3`);
  }

  // All three are live at once.
  await member.goto('/chats');
  await expect(member.getByTestId('chat-item')).toHaveCount(3);
  await expect(member.getByTestId('slots')).toHaveText(/3\/3/);
  await expect(member.getByTestId('account-slots')).toHaveText('3/3');

  await startSearch(member, [uniqueTag('fourth')]);
  await expect(member.getByTestId('match-error')).toContainText('You have reached your chat limit.');
  await expect(member.getByTestId('searching')).toBeHidden();
  await expect(member.getByTestId('account-slots')).toHaveText('3/3');
});

test('the Report button ends the chat for both', async ({ alice, bob }) => {
  await matchPair(alice, bob);
  await alice.getByRole('button', { name: 'Report', exact: true }).click();
  const dialog = alice.getByRole('dialog', { name: 'Report Stranger' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Reason')).toBeFocused();
  // A reason is required.
  await dialog.getByRole('button', { name: 'Report and end chat' }).click();
  await expect(dialog.getByText('Give a reason.')).toBeVisible();
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Reason').fill('Insulted me');
  await dialog.getByRole('button', { name: 'Report and end chat' }).click();
  await expect(dialog).toBeHidden();

  await expect(alice.getByTestId('chat-notice')).toContainText('You reported this chat; it has ended.');
  await expect(bob.getByTestId('chat-notice')).toContainText('Stranger ended the chat.');
  for (const page of [alice, bob]) {
    await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'End chat' })).toBeHidden();
  }
  await expect(alice.getByRole('button', { name: 'Report', exact: true })).toBeHidden();
});

test('a moderator blocks a reported stranger, whose next search is refused', async ({
  alice,
  bob,
  browser,
  databaseUrl,
}) => {
  // Several browser contexts and the command line: on two busy cores this needs more than the default.
  test.slow();
  // Alice reports Bob; Bob's markup must reach the moderator as text.
  const markup = '<img src=x onerror=alert(1)>';
  let dialogs = 0;
  await matchPair(alice, bob);
  await send(bob, markup);
  await expect(messages(alice)).toContainText(markup);
  const bobSession = await sessionIdOf(bob);
  await report(alice, 'Spam and an odd picture');
  await expect(bob.getByTestId('chat-notice')).toContainText('Stranger ended the chat.');

  const moderator = await person(browser);
  moderator.on('dialog', (dialog) => (dialogs++, void dialog.dismiss()));
  await registerModerator(moderator, databaseUrl);
  await moderator.goto('/moderation');
  const card = moderator.getByTestId('report').filter({ hasText: bobSession });
  await expect(card).toBeVisible();
  await expect(card).toContainText('Spam and an odd picture');
  await expect(card).toContainText('none (stranger)');
  await expect(card).toContainText(markup);
  await expect(card.locator('img')).toHaveCount(0);

  await card.getByRole('button', { name: 'Block stranger' }).click();
  const confirm = moderator.getByRole('dialog', { name: 'Block this stranger' });
  await confirm.getByLabel('Reason').fill('Spamming people');
  await confirm.getByRole('button', { name: 'Block stranger' }).click();
  await expect(confirm).toBeHidden();
  await expect(moderator.getByTestId('moderation-status')).toContainText(
    `Blocked the stranger with session ${bobSession}`,
  );
  await expect(card).toHaveCount(0);
  await expect(moderator.getByTestId('audit')).toContainText('Spamming people');
  // Bob's socket was shut with the block's close code: no reconnecting, the reason shown instead.
  await expect(bob.getByTestId('connection-state')).toHaveText('Disconnected');
  await expect(bob.getByTestId('restricted')).toContainText('You have been blocked by a moderator');

  await startSearch(bob, [uniqueTag('after')]);
  await expect(bob.getByTestId('match-error')).toContainText('You have been blocked by a moderator');
  await expect(bob.getByTestId('searching')).toBeHidden();

  // Lifted from the same page: Bob can search again.
  await moderator.getByLabel('Session id').fill(bobSession);
  await moderator.getByRole('button', { name: 'Unblock', exact: true }).click();
  await expect(moderator.getByText(`Session ${bobSession} is no longer blocked.`)).toBeVisible();
  await bob.getByRole('button', { name: 'Start' }).click();
  await expect(bob.getByTestId('searching')).toBeVisible();
  expect(dialogs).toBe(0);
});

test('login, register and moderation pass axe; non-moderators are refused', async ({
  alice,
  bob,
  browser,
  databaseUrl,
}) => {
  // An axe scan costs seconds of CPU per page: on two busy cores this test needs more than the default.
  test.slow();
  await alice.goto('/login');
  await expect(alice.getByLabel('Username')).toBeVisible();
  await expectAccessible(alice);
  await alice.getByRole('button', { name: 'Log in' }).click();
  await expect(alice.getByTestId('username-message')).toHaveText('Enter a username.');
  await expect(alice.getByLabel('Username')).toBeFocused();
  await expectAccessible(alice);

  await alice.goto('/register');
  await expect(alice.getByLabel('Username')).toBeVisible();
  await expectAccessible(alice);

  await alice.goto('/moderation');
  await expect(alice.getByTestId('moderation-refused')).toContainText('Only moderators');
  await expectAccessible(alice);

  // Something to moderate, then the moderator's view with a report, and with a dialog open.
  await matchPair(alice, bob);
  await send(alice, 'hello there');
  await expect(messages(bob)).toContainText('hello there');
  await report(bob, 'Checking the moderation page');
  const moderator = await person(browser);
  await registerModerator(moderator, databaseUrl);
  await moderator.goto('/moderation');
  await expect(moderator.getByRole('link', { name: 'Moderation' })).toBeVisible();
  const card = moderator.getByTestId('report').filter({ hasText: 'Checking the moderation page' });
  await expect(card).toBeVisible();
  await expect(moderator.getByTestId('audit')).toBeVisible();
  await expectAccessible(moderator);
  await card.getByRole('button', { name: 'Dismiss' }).click();
  const dismiss = moderator.getByRole('dialog', { name: 'Dismiss this report' });
  await expect(dismiss).toBeVisible();
  await expectAccessible(moderator);
  await dismiss.getByRole('button', { name: 'Dismiss report' }).click();
  await expect(card).toHaveCount(0);

  // And on a phone: nothing wider than the screen.
  for (const [page, path] of [
    [moderator, '/moderation'],
    [alice, '/register'],
  ] as const) {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(path);
    await expect(page.getByTestId('account-name')).toBeVisible();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
  }
});
