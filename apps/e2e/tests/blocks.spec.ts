import { expect, expectAccessible, matchPair, person, startSearch, test, uniqueTag } from './fixtures.ts';

test('block from the chat: the two are never matched again, and the block can be lifted', async ({
  alice,
  bob,
  browser,
}) => {
  await matchPair(alice, bob);
  await alice.getByRole('button', { name: 'Block', exact: true }).click();
  const dialog = alice.getByRole('dialog', { name: 'Block Stranger?' });
  await expect(dialog).toBeVisible();
  // Cancel has the focus: Enter alone never blocks anyone.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectAccessible(alice);
  await dialog.getByRole('button', { name: 'Block and end chat' }).click();
  await expect(dialog).toBeHidden();
  await expect(alice.getByTestId('chat-notice')).toContainText('You blocked Stranger; the chat has ended.');
  // The blocked person sees an ordinary end.
  await expect(bob.getByTestId('chat-notice')).toContainText('Stranger left the chat.');
  await expect(bob.getByRole('button', { name: 'Send' })).toBeDisabled();

  // Both search on one tag again: they stay apart, and the next person on it takes Alice.
  const tag = uniqueTag('again');
  await startSearch(alice, [tag]);
  await expect(alice.getByTestId('searching')).toBeVisible();
  await startSearch(bob, [tag]);
  await expect(bob.getByTestId('searching')).toBeVisible();
  const carol = await person(browser);
  await startSearch(carol, [tag]);
  await expect(carol).toHaveURL(/\/chat\/[A-Za-z0-9_-]{22}$/);
  await expect(alice).toHaveURL(carol.url());
  await expect(bob.getByTestId('searching')).toBeVisible();

  await alice.goto('/blocks');
  const item = alice.getByTestId('block-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('Stranger');
  await expectAccessible(alice);
  await item.getByRole('button', { name: /^Unblock/ }).click();
  await expect(alice.getByTestId('no-blocks')).toBeVisible();
});
