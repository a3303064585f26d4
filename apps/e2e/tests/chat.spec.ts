import {
  expect,
  expectAccessible,
  expectConnected,
  matchPair,
  messages,
  send,
  startSearch,
  test,
  uniqueTag,
} from './fixtures.ts';

test('two strangers match on a shared tag and chat live both ways', async ({ alice, bob }) => {
  await matchPair(alice, bob);
  await send(alice, 'Hi Bob, from Alice');
  await expect(messages(bob)).toContainText('Hi Bob, from Alice');
  await send(bob, 'Hello Alice!');
  await expect(messages(alice)).toContainText('Hello Alice!');
  await expect(messages(alice)).toContainText('Hi Bob, from Alice');
});

test('the partner sees a typing indicator', async ({ alice, bob }) => {
  await matchPair(alice, bob);
  await expect(bob.getByTestId('typing')).toBeHidden();
  await alice.getByLabel('Message', { exact: true }).pressSequentially('typing away', { delay: 20 });
  await expect(bob.getByTestId('typing')).toBeVisible();
  await expect(bob.getByTestId('typing')).toContainText(/typing/i);
});

test('ending the chat shows the partner that it ended', async ({ alice, bob }) => {
  await matchPair(alice, bob);
  await bob.getByRole('button', { name: 'End chat' }).click();
  await expect(alice.getByTestId('chat-notice')).toContainText(/left|ended/i);
  await expect(bob.getByTestId('chat-notice')).toContainText(/ended/i);
  await expect(alice.getByRole('button', { name: 'Find a new partner' })).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Send' })).toBeDisabled();
});

test('a free person with an active chat who searches again sees the slot limit', async ({ alice, bob }) => {
  await matchPair(alice, bob);
  await startSearch(alice, [uniqueTag('again')]);
  await expect(alice.getByText(/chat limit/i)).toBeVisible();
  await expect(alice.getByRole('link', { name: /chats/i }).first()).toBeVisible();
});

test('reloading the chat page keeps the conversation', async ({ alice, bob }) => {
  await matchPair(alice, bob);
  await send(alice, 'Remember me after a reload');
  await expect(messages(bob)).toContainText('Remember me after a reload');
  await bob.reload();
  await expect(messages(bob)).toContainText('Remember me after a reload');
  await expectConnected(bob);
  await send(bob, 'Still here');
  await expect(messages(alice)).toContainText('Still here');
});

test('a dropped connection comes back with the messages missed meanwhile', async ({ alice, bob }) => {
  await matchPair(alice, bob);
  await bob.context().setOffline(true);
  await expect(bob.getByTestId('connection-state')).not.toHaveText(/^connected$/i);
  await send(alice, 'Sent while Bob was offline');
  await send(alice, 'And another one');
  await expect(messages(alice)).toContainText('And another one');
  await bob.context().setOffline(false);
  await expectConnected(bob);
  await expect(messages(bob)).toContainText('Sent while Bob was offline');
  await expect(messages(bob)).toContainText('And another one');
});

test('markup in a message is shown as literal text', async ({ alice, bob }) => {
  const attack = '<img src=x onerror=alert(1)>';
  let dialogs = 0;
  for (const page of [alice, bob]) page.on('dialog', (dialog) => (dialogs++, dialog.dismiss()));
  await matchPair(alice, bob);
  await send(alice, attack);
  await expect(messages(bob)).toContainText(attack);
  await expect(messages(bob).locator('img')).toHaveCount(0);
  expect(dialogs).toBe(0);
});

test('every page passes axe without serious or critical violations', async ({ alice, bob }) => {
  // An axe scan costs seconds of CPU per page: on two busy cores this test needs more than the default.
  test.slow();
  await alice.goto('/');
  await expect(alice.getByLabel('Add an interest')).toBeVisible();
  await expectAccessible(alice);
  await startSearch(alice, [uniqueTag('axe')]);
  await expect(alice.getByTestId('searching')).toBeVisible();
  await expectAccessible(alice);
  await alice.getByRole('button', { name: 'Cancel' }).click();
  await matchPair(alice, bob);
  await send(alice, 'for the audit');
  await expect(messages(alice)).toContainText('for the audit');
  await expectAccessible(alice);
  await alice.goto('/chats');
  await expect(alice.getByTestId('slots')).toHaveText(/1\/1/);
  await expectAccessible(alice);
  await alice.goto('/docs');
  await expect(alice.getByText(/Portal API/).first()).toBeVisible();
  await expectAccessible(alice);
  // The interactive explorer (Swagger UI) loads on demand: it is scanned too, once open.
  await alice.getByRole('button', { name: 'Try it out in the interactive explorer' }).click();
  await expect(alice.locator('.swagger-ui .opblock').first()).toBeVisible();
  await expectAccessible(alice);
});

test('a phone-sized screen fits without horizontal scrolling', async ({ alice, bob }) => {
  for (const page of [alice, bob]) await page.setViewportSize({ width: 375, height: 740 });
  await matchPair(alice, bob);
  for (const page of [alice, bob]) {
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
  }
});
