// The pages that show a person's data (/chats, /account, a chat) render the session
// and their first data on the server from the psession cookie (lib/page-data.ts);
// without a usable cookie, or with the database gone, they render as the client
// would start them: 200, no data, and no session made on the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl, postgresAvailable, type TestDatabaseUrl } from '@portal/db/testing';
import { cookieOf, request, startServer, type Reply, type RunningServer } from './server.ts';
import { proxyFor, type TcpProxy } from './tcp-proxy.ts';

const PASSWORD = 'a long enough password';
/** What a page shows until the client has made or found the session. */
const NO_SESSION_YET = 'Starting your session…';

let people = 0;
/** A name that is also a valid interest (3-12 lowercase letters or digits), unique across runs. */
const uniqueName = () => `p${++people}${Date.now().toString(36).slice(-7)}`;

/** React separates adjacent text nodes with comments; the visible text is what a test reads. */
function textOf(reply: Reply): string {
  return reply.text.replaceAll('<!-- -->', '');
}

async function page(base: string, path: string, cookie: string | null = null): Promise<Reply> {
  const reply = await request(base, path, { cookie });
  expect(reply.status, path).toBe(200);
  expect(reply.text, path).not.toContain('Something went wrong');
  expect(reply.headers['set-cookie'], `${path}: no session is made while a page renders`).toBeUndefined();
  return reply;
}

/** A registered person (a name to look for in the HTML) matched with a stranger. */
async function personWithChat(base: string): Promise<{ name: string; me: string; partner: string; token: string }> {
  const name = uniqueName();
  const post = (path: string, cookie: string | null, body: unknown) =>
    request(base, path, { method: 'POST', cookie, body });
  const registered = await post('/v1/portal/auth/register', null, { username: name, password: PASSWORD });
  expect(registered.status).toBe(201);
  const partner = cookieOf(registered)!;
  const stranger = await post('/v1/portal/session', null, {});
  const me = cookieOf(stranger)!;
  expect((await post('/v1/portal/match', partner, { interests: [name] })).json.state).toBe('searching');
  const matched = await post('/v1/portal/match', me, { interests: [name] });
  expect(matched.json.state).toBe('matched');
  return { name, me, partner, token: matched.json.token as string };
}

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`pages rendered with the session's data on ${provider}`, () => {
    let target: TestDatabaseUrl;
    let server: RunningServer;
    beforeAll(async () => {
      target = await createTestDatabaseUrl(provider);
      server = await startServer({ DATABASE_URL: target.url });
    });
    afterAll(async () => {
      await server?.stop();
      await target?.destroy();
    });

    it('puts the chat list, the chat and the account in the HTML for the cookie they belong to', async () => {
      const { name, me, partner, token } = await personWithChat(server.url);

      const chats = textOf(await page(server.url, '/chats', me));
      expect(chats).toContain(`href="/chat/${token}"`);
      expect(chats).toContain(`>${name}<`);
      expect(chats).toContain('Slots used: 1/');
      expect(chats).not.toContain(NO_SESSION_YET);
      // The header knows who this is, too.
      expect(chats).toMatch(/data-testid="account-name">Stranger</);

      const chat = textOf(await page(server.url, `/chat/${token}`, me));
      expect(chat).toContain(`<h1>Chat with ${name}</h1>`);

      const account = textOf(await page(server.url, '/account', partner));
      expect(account).toContain(`data-testid="me-name">${name}<`);
      expect(account).toContain('data-testid="session-list"');
      expect(account).toContain('data-testid="no-blocks"');
      expect(account).not.toMatch(/Loading your (account|sessions|blocks)/);
    });

    it('renders the pages without data when there is no cookie, an unknown one, or a chat that is not yours', async () => {
      const { name, token } = await personWithChat(server.url);
      const outsider = cookieOf(await request(server.url, '/v1/portal/session', { method: 'POST' }))!;
      for (const cookie of [null, 'not-a-session-token']) {
        for (const path of ['/chats', '/account', `/chat/${token}`]) {
          const html = textOf(await page(server.url, path, cookie));
          expect(html, `${path} with ${cookie}`).toContain(NO_SESSION_YET);
          expect(html, `${path} with ${cookie}`).not.toContain(name);
          expect(html, `${path} with ${cookie}`).not.toContain('data-testid="account-name"');
        }
      }
      // The session is there, the chat is someone else's: the client asks, and says so, as before.
      const foreign = textOf(await page(server.url, `/chat/${token}`, outsider));
      expect(foreign).toContain('Loading the conversation…');
      expect(foreign).not.toContain(name);
    });
  });
}

describe.skipIf(!(await postgresAvailable()))('pages while the database is down on PostgreSQL', () => {
  let target: TestDatabaseUrl;
  let proxy: TcpProxy;
  let server: RunningServer;
  beforeAll(async () => {
    target = await createTestDatabaseUrl('postgresql');
    proxy = await proxyFor(target.url);
    server = await startServer({
      DATABASE_URL: proxy.through(target.url),
      DB_STATEMENT_TIMEOUT_MS: '1000',
      DB_CONNECT_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await target?.destroy();
  });

  it('renders them without the data, never an error page', async () => {
    const { name, me, token } = await personWithChat(server.url);
    await proxy.cut();
    try {
      for (const path of ['/chats', '/account', `/chat/${token}`]) {
        const html = textOf(await page(server.url, path, me));
        expect(html, path).not.toContain(name);
      }
    } finally {
      await proxy.restore();
    }
  });
});
