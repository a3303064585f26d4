import { expect, expectAccessible, person, test, uniqueTag } from './fixtures.ts';
import type { Page } from '@playwright/test';

/** A search through the API from the page's own browser context (its cookie); `stay` keeps it in the queue. */
async function searchVia(page: Page, tag: string, stay = false): Promise<void> {
  expect((await page.request.post('/v1/portal/session')).ok()).toBe(true);
  const searching = await page.request.post('/v1/portal/match', { data: { interests: [tag] } });
  expect(await searching.json()).toMatchObject({ state: 'searching' });
  if (!stay) expect((await page.request.delete('/v1/portal/match')).ok()).toBe(true);
}

test('a tag three people searched shows under Popular now, and a person waiting on it means an instant match', async ({
  alice,
  bob,
  browser,
}) => {
  // An axe scan costs seconds of CPU per page: on two busy cores this test needs more than the default.
  test.slow();
  const tag = uniqueTag('pop');
  const carol = await person(browser);
  await searchVia(alice, tag);
  await searchVia(bob, tag);
  await searchVia(carol, tag, true);

  const dave = await person(browser);
  await dave.goto('/');
  const popular = dave.getByRole('list', { name: 'Popular now' });
  // The numbers are at most 5 s old, and the picker asks again every 5 s.
  // (Chromium puts a space before each screen-reader-only comma.)
  const chip = popular.getByRole('button', { name: new RegExp(`^Add ${tag} ?, 1 waiting ?, Instant match$`) });
  await expect(chip).toBeVisible({ timeout: 15_000 });
  await expect(chip).toContainText('Instant match');
  await expectAccessible(dave);

  await chip.click();
  await expect(dave.getByRole('list', { name: 'Your interests' })).toContainText(tag);
  await expect(popular.getByRole('button', { name: new RegExp(`^Add ${tag},`) })).toHaveCount(0);
  await dave.getByRole('button', { name: 'Start' }).click();
  await expect(dave).toHaveURL(/\/chat\/[A-Za-z0-9_-]{22}$/);
});
