import { expect, matchPair, test } from './fixtures.ts';

// Every page under the Content-Security-Policy (SPEC §11): it is sent, the page's
// scripts run (the header shows the session, fetched by the app), and no
// violation is reported (the fixtures fail any test that saw one).
test('every page works under the CSP, with no violation', async ({ alice, bob }) => {
  const chat = new URL(await matchPair(alice, bob)).pathname;
  for (const path of [
    '/',
    chat,
    '/chats',
    '/account',
    '/login',
    '/register',
    '/moderation',
    '/docs',
    '/no/such/page',
  ]) {
    const response = await alice.goto(path);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(response?.headers()['x-content-type-options'], path).toBe('nosniff');
    expect(response?.headers()['referrer-policy'], path).toBe('no-referrer');
    await expect(alice.getByTestId('account-name'), path).toHaveText('Stranger');
    if (path === '/docs') {
      // The static reference is rendered on the server; Swagger UI's scripts run only once asked for.
      await expect(alice.getByRole('heading', { name: /Portal API/ })).toBeVisible();
      await expect(alice.locator('.swagger-ui')).toHaveCount(0);
      await alice.getByRole('button', { name: 'Try it out in the interactive explorer' }).click();
      await expect(alice.locator('.swagger-ui .opblock').first()).toBeVisible();
    }
    if (path === chat) await expect(alice.getByTestId('connection-state')).toHaveText(/connected/i);
  }
});
