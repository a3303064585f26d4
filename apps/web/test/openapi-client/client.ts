// A consumer of Portal's REST API written as an outside client would write it: types that
// openapi-typescript generates from /v1/openapi.json, calls through openapi-fetch, the
// psession cookie carried by hand (as docs/api.md shows). openapi-client.test.ts generates
// ./generated/portal-api.ts from the served document, type-checks this file with tsc (so a
// weaker document fails it), then runs it against the same server.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './generated/portal-api.ts';

// Named component schemas: each line fails to compile if the document stops naming it.
type MatchState = components['schemas']['MatchState'];
type Session = components['schemas']['Session'];
type Chat = components['schemas']['Chat'];
type Message = components['schemas']['Message'];
type ErrorBody = components['schemas']['Error'];

/** One person: a client with its own one-cookie jar, fed by Set-Cookie and sent as Cookie. */
export function person(baseUrl: string) {
  let cookie: string | undefined;
  const jar: Middleware = {
    onRequest({ request }) {
      if (cookie) request.headers.set('Cookie', cookie);
      return request;
    },
    onResponse({ response }) {
      for (const line of response.headers.getSetCookie()) {
        const pair = line.split(';', 1)[0]!;
        if (!pair.startsWith('psession=')) continue;
        cookie = /;\s*Max-Age=0(;|$)/i.test(line) ? undefined : pair;
      }
      return response;
    },
  };
  const client = createClient<paths>({ baseUrl });
  client.use(jar);
  return { client, cookie: () => cookie };
}

/** The chat token of a state, which exists only once matched. */
export function tokenOf(state: MatchState): string | undefined {
  // @ts-expect-error Before narrowing on `state`, `token` is not known to be there (idle and searching have none).
  const unnarrowed: string = state.token;
  void unnarrowed;
  if (state.state === 'matched') {
    const token: string = state.token;
    return token;
  }
  return undefined;
}

export interface Outcome {
  created: number;
  setCookie: boolean;
  session: Session;
  waiting: MatchState['state'];
  token: string;
  polled: MatchState['state'];
  chat: Chat;
  message: Message;
  missing: { status: number; body: ErrorBody };
  tooMany: number;
  signedOut: number;
  afterSignOut: ErrorBody['error'];
}

export async function scenario(baseUrl: string, tag: string): Promise<Outcome> {
  const alice = person(baseUrl);
  const bob = person(baseUrl);

  // An operation without input: no body at all, and no init argument either.
  const created = await alice.client.POST('/v1/portal/session');
  if (!created.data) throw new Error(`session: ${created.response.status}`);
  const setCookie = alice.cookie() !== undefined;
  await bob.client.POST('/v1/portal/session');

  const first = await alice.client.POST('/v1/portal/match', { body: { interests: [tag] } });
  if (!first.data) throw new Error(`enqueue: ${first.error?.error}`);
  const second = await bob.client.POST('/v1/portal/match', { body: { interests: [tag, tag] } });
  if (!second.data) throw new Error(`enqueue: ${second.error?.error}`);
  const token = tokenOf(second.data);
  if (!token) throw new Error(`not matched: ${second.data.state}`);

  const status = await alice.client.GET('/v1/portal/match/status');
  if (!status.data) throw new Error(`status: ${status.response.status}`);
  if (status.data.state === 'matched' && status.data.token !== token) throw new Error('another chat');

  const sent = await alice.client.POST('/v1/portal/chats/{token}/messages', {
    params: { path: { token } },
    body: { text: 'hello from a typed client', client_id: 'typed-1' },
  });
  if (!sent.data) throw new Error(`send: ${sent.error?.error}`);
  const opened = await bob.client.GET('/v1/portal/chats/{token}', { params: { path: { token } } });
  if (!opened.data) throw new Error(`chat: ${opened.error?.error}`);
  const chat: Chat = opened.data;

  const missing = await bob.client.GET('/v1/portal/chats/{token}', {
    params: { path: { token: 'AAAAAAAAAAAAAAAAAAAAAA' } },
  });
  if (!missing.error) throw new Error('an unknown chat was found');

  // Four different tags: the document's maxItems is 3, and the server says why.
  const tooMany = await alice.client.POST('/v1/portal/match', { body: { interests: ['aaa', 'bbb', 'ccc', 'ddd'] } });

  const signedOut = await bob.client.POST('/v1/portal/auth/logout');
  const after = await bob.client.GET('/v1/portal/session');
  if (!after.error) throw new Error('still signed in');

  return {
    created: created.response.status,
    setCookie,
    session: created.data,
    waiting: first.data.state,
    token,
    polled: status.data.state,
    chat,
    message: sent.data,
    missing: { status: missing.response.status, body: missing.error },
    tooMany: tooMany.response.status,
    signedOut: signedOut.response.status,
    afterSignOut: after.error.error,
  };
}
