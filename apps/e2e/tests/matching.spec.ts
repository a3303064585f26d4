import type { Page } from '@playwright/test';
import { expect, pickInterests, startSearch, test, uniqueTag } from './fixtures.ts';

const CHAT_URL = /\/chat\/[A-Za-z0-9_-]{22}$/;

/** Picks the tags, ticks "match me with anyone" and starts. */
async function startWithFallback(page: Page, tags: string[]): Promise<void> {
  await pickInterests(page, tags);
  await page.getByRole('checkbox', { name: /^If nobody shares my interests after 2 s, match me with anyone$/ }).check();
  await page.getByRole('button', { name: 'Start' }).click();
}

test('two people without a shared tag who both agreed are matched once their searches open', async ({ alice, bob }) => {
  // MATCH_FALLBACK_SECONDS is 2 for this suite (playwright.config.ts), which the choice's wording shows.
  await startWithFallback(alice, [uniqueTag('lone')]);
  await expect(alice.getByTestId('searching')).toBeVisible();
  await expect(alice.getByTestId('fallback-status')).toBeVisible();
  await startWithFallback(bob, [uniqueTag('other')]);
  // Within the fallback window plus the 2 s SPEC §9 allows, with no request from either of them.
  await expect(bob).toHaveURL(CHAT_URL, { timeout: 15_000 });
  await expect(alice).toHaveURL(bob.url());
  for (const page of [alice, bob]) {
    await expect(page.locator('.chat-meta')).toHaveText('Matched with someone new (no shared interests)');
  }
  await alice.goto('/chats');
  await expect(alice.getByTestId('chat-item')).toContainText('Matched with someone new (no shared interests)');
});

test('closing the searching page ends its search: the next person on that tag keeps searching', async ({
  alice,
  bob,
}) => {
  const tag = uniqueTag('gone');
  await startSearch(alice, [tag]);
  await expect(alice.getByTestId('searching')).toBeVisible();
  // Alice's cookie, without her page.
  const api = alice.context().request;
  const aliceState = async () => ((await (await api.get('/v1/portal/match/status')).json()) as { state: string }).state;
  expect(await aliceState()).toBe('searching');

  await alice.close();
  // The pagehide cancel, well before the presence grace (10 s by default) could have done it.
  await expect.poll(aliceState, { timeout: 3_000 }).toBe('idle');
  // Matching happens at enqueue: had Alice's entry been there, Bob's Start would have answered `matched`.
  await startSearch(bob, [tag]);
  await expect(bob.getByTestId('searching')).toBeVisible();
  // Two people searched this tag: too few for a number (SPEC §9 lists a tag from 3), and the page says why.
  await expect(bob.getByTestId('live-counts')).toContainText(`No live number for ${tag}`);
});

test('a match in a background tab shows in its title until the tab is seen, and is announced', async ({
  alice,
  bob,
}) => {
  // Headless Chromium reports every page as visible whatever is in front (another tab, a minimised window,
  // a frozen page: all tried), so the page's visibility is simulated, before any of its scripts run.
  await alice.addInitScript(() => {
    let hidden = false;
    Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(Document.prototype, 'hidden', { get: () => hidden });
    Object.assign(window, {
      setHidden: (value: boolean) => {
        hidden = value;
        document.dispatchEvent(new Event('visibilitychange'));
      },
    });
  });
  const hide = (page: Page, value: boolean) =>
    page.evaluate((next) => (window as unknown as { setHidden: (hidden: boolean) => void }).setHidden(next), value);

  const tag = uniqueTag('away');
  await startSearch(alice, [tag]);
  await expect(alice.getByTestId('searching')).toBeVisible();
  await hide(alice, true);
  await startSearch(bob, [tag]);
  await expect(bob).toHaveURL(CHAT_URL);
  await expect(alice).toHaveURL(bob.url());
  // The chat page has its own title; the alert stays over it while the tab is hidden.
  await expect(alice).toHaveTitle('Matched! — Portal');
  await expect(bob).toHaveTitle('Chat · Portal');
  await expect(alice.getByTestId('match-announcement')).toContainText('Matched!');

  // The partner's messages are announced to screen readers, one by one, not the whole log.
  await bob.getByLabel('Message', { exact: true }).fill('Hello from Bob');
  await bob.getByRole('button', { name: 'Send' }).click();
  await expect(alice.getByTestId('message-announcer')).toHaveText('Stranger: Hello from Bob');
  await expect(bob.getByTestId('message-announcer')).toHaveText('');

  await hide(alice, false);
  await expect(alice).toHaveTitle('Chat · Portal');
});
