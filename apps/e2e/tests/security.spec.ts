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
    if (path === '/docs') await expect(alice.locator('.swagger-ui .opblock').first()).toBeVisible();
    if (path === chat) await expect(alice.getByTestId('connection-state')).toHaveText(/connected/i);
  }
});
