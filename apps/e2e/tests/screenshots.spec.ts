import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, matchPair, messages, send, startSearch, test } from './fixtures.ts';

// The README's pictures of the main pages, taken from a real run. They are
// written to docs/screenshots only with UPDATE_SCREENSHOTS=1 (npm run screenshots
// in apps/e2e), so ordinary test runs leave the working tree clean.
const DIR = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const shoot = process.env.UPDATE_SCREENSHOTS === '1';

test('screenshots of the main pages', async ({ alice, bob }) => {
  // Skipped on ordinary runs on purpose: it rewrites committed PNGs (see the comment at the top).
  test.skip(!shoot, 'set UPDATE_SCREENSHOTS=1 to refresh docs/screenshots');
  mkdirSync(DIR, { recursive: true });
  for (const page of [alice, bob]) await page.setViewportSize({ width: 390, height: 720 });
  await alice.goto('/');
  await alice.getByLabel('Add an interest').fill('music');
  await alice.getByLabel('Add an interest').press('Enter');
  await alice.screenshot({ path: `${DIR}home.png` });
  // Real-looking tags: this spec runs alone, on the fresh database of its own run.
  await startSearch(bob, ['films', 'travel']);
  await expect(bob.getByTestId('searching')).toBeVisible();
  await bob.screenshot({ path: `${DIR}searching.png` });
  await bob.getByRole('button', { name: 'Cancel' }).click();
  await matchPair(alice, bob, 'jazz');
  await send(alice, 'Hi! What are you listening to lately?');
  await expect(messages(bob)).toContainText('listening');
  await send(bob, 'Mostly old jazz records. You?');
  await expect(messages(alice)).toContainText('jazz');
  await alice.screenshot({ path: `${DIR}chat.png`, fullPage: true });
  await alice.goto('/chats');
  await expect(alice.getByTestId('slots')).toBeVisible();
  await alice.screenshot({ path: `${DIR}chats.png` });
});
