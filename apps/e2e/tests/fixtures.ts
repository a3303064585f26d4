import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

/** Set per project in playwright.config.ts. */
export interface PortalOptions {
  /** The DATABASE_URL of the project's server, for the operator's command line. */
  databaseUrl: string;
}

/** Two people, each in a browser context of their own (own cookies, own socket). */
export const test = base.extend<{ alice: Page; bob: Page; closeContexts: void }, PortalOptions>({
  databaseUrl: ['', { option: true, scope: 'worker' }],
  alice: async ({ browser }, use) => use(await person(browser)),
  bob: async ({ browser }, use) => use(await person(browser)),
  // The browser lives for the whole run: every person's context (and its socket,
  // timers and polling) must go with the test that made it, or they pile up and
  // slow every later test down.
  closeContexts: [
    async ({ browser }, use) => {
      await use();
      await Promise.all(browser.contexts().map((context) => context.close()));
      // Every page of every test ran under the CSP: none of it may have been refused.
      const seen = cspViolations.splice(0);
      expect(seen, 'Content-Security-Policy violations').toEqual([]);
      // And every server-rendered page hydrated as it was sent, in a time zone not the server's.
      expect(hydrationErrors.splice(0), 'hydration errors').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** CSP violations any page reported during the current test (checked when it ends). */
const cspViolations: string[] = [];

/**
 * Collects CSP violations two ways: Chromium's console report ("Refused to …
 * Content Security Policy"), and the page's own `securitypolicyviolation` event,
 * which an init script (injected by Playwright, outside the page's CSP) turns
 * into a console line.
 */
async function watchCsp(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  context.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|CSP violation/i.test(text)) cspViolations.push(`${message.page()?.url()}: ${text}`);
  });
}

/** Hydration errors any page reported during the current test (React reports them as uncaught errors). */
const hydrationErrors: string[] = [];

/**
 * Each person lives in a time zone the server is not in (it runs in UTC), so that a page
 * whose server HTML depends on the clock's zone fails to hydrate here as it would for them.
 */
const PERSON_TIME_ZONE = 'Pacific/Auckland';

/** One more person: a browser context of their own (closed at the end of the test). */
export async function person(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ timezoneId: PERSON_TIME_ZONE });
  await watchCsp(context);
  context.on('weberror', (error) => {
    const text = String(error.error());
    // React's production codes for a server/client mismatch (418, 423, 425) and its own wording.
    if (/error #4(18|23|25)\b|hydrat/i.test(text)) hydrationErrors.push(`${error.page()?.url()}: ${text}`);
  });
  return context.newPage();
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the operator's command line (apps/web/dist/cli.mjs) against the project's database. */
export function portalCli(databaseUrl: string, ...args: string[]): string {
  if (!databaseUrl) throw new Error('databaseUrl is not set for this project (playwright.config.ts)');
  return execFileSync(process.execPath, ['apps/web/dist/cli.mjs', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/** A username no other test or run uses (the PostgreSQL database may outlive a run); 3–20 of [a-z0-9_]. */
export const uniqueName = (base: string) =>
  `${base.slice(0, 6)}_${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 8)}`;

export const PASSWORD = 'correct horse battery';

/** Registers through the /register page and waits until the header shows the new account. */
export async function registerAs(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('account-name')).toHaveText(username);
}

let counter = 0;
/** A tag no other test uses, so tests never pair across each other. */
export const uniqueTag = (base = 'tag') => `${base}${Date.now().toString(36).slice(-5)}${counter++}`.slice(0, 12);

export async function pickInterests(page: Page, tags: string[]): Promise<void> {
  await page.goto('/');
  const input = page.getByLabel('Add an interest');
  for (const tag of tags) {
    await input.fill(tag);
    await input.press('Enter');
  }
}

export async function startSearch(page: Page, tags: string[]): Promise<void> {
  await pickInterests(page, tags);
  await page.getByRole('button', { name: 'Start' }).click();
}

/** Alice waits on a fresh tag, Bob joins it: both end up in the same chat. Returns the chat URL. */
export async function matchPair(alice: Page, bob: Page, tag = uniqueTag()): Promise<string> {
  await startSearch(alice, [tag]);
  await expect(alice.getByTestId('searching')).toBeVisible();
  await startSearch(bob, [tag]);
  await expect(bob).toHaveURL(/\/chat\/[A-Za-z0-9_-]{22}$/);
  await expect(alice).toHaveURL(bob.url());
  await expectConnected(alice);
  await expectConnected(bob);
  return bob.url();
}

export async function expectConnected(page: Page): Promise<void> {
  await expect(page.getByTestId('connection-state')).toHaveText(/connected/i);
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

export const messages = (page: Page) => page.getByRole('log', { name: 'Messages' });

/** No serious or critical accessibility violations on what the page shows now. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}
