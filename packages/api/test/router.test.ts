import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@portal/db/testing';
import { createCore, type Core } from '@portal/core';
import { createCaller, toErrorBody, UNLIMITED } from '../src/index.ts';

function callerFor(core: Core, token: string | null = null) {
  const seen = { token, status: 200 };
  const caller = createCaller({
    core,
    clientIp: '127.0.0.1',
    limiters: UNLIMITED,
    token,
    setSessionToken: (cookie) => (seen.token = cookie?.token ?? null),
    setStatus: (s) => (seen.status = s),
    setHeader: () => undefined,
  });
  return { caller, seen };
}

async function failure(promise: Promise<unknown>): Promise<{ trpc: string; body: ReturnType<typeof toErrorBody> }> {
  const error = await promise.then(
    () => expect.fail('expected a failure'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return { trpc: (error as TRPCError).code, body: toErrorBody(error) };
}

for (const provider of ['sqlite', 'postgresql'] as const) {
  const skip = provider === 'postgresql' && !(await postgresAvailable());
  describe.skipIf(skip)(`router through createCaller on ${provider}`, () => {
    let test: TestDatabase;
    let core: Core;
    beforeAll(async () => {
      test = await createTestDatabase(provider);
      core = createCore(test.db);
    });
    afterAll(() => test?.destroy());

    async function stranger() {
      const { caller, seen } = callerFor(core);
      await caller.session.create({});
      return callerFor(core, seen.token).caller;
    }

    it('creates a stranger session once, then returns it', async () => {
      const { caller, seen } = callerFor(core);
      const created = await caller.session.create({});
      expect(seen.status).toBe(201);
      expect(seen.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(created).toEqual({
        id: created.id,
        kind: 'stranger',
        plan: 'free',
        role: 'user',
        active_chats: 0,
        chat_limit: 1,
      });

      const again = callerFor(core, seen.token);
      expect(await again.caller.session.create({})).toEqual(created);
      expect(again.seen.status).toBe(200);
      expect(await again.caller.session.get({})).toEqual(created);
      const stored = await test.db.prisma.session.findUniqueOrThrow({ where: { id: created.id } });
      expect(stored.tokenHash).not.toContain(seen.token!);
    });

    it('answers 401 before validating input', async () => {
      const { caller } = callerFor(core, 'not-a-token');
      expect(await failure(caller.match.enqueue({ interests: ['BAD'] }))).toEqual({
        trpc: 'UNAUTHORIZED',
        body: { error: 'ERR_UNAUTHENTICATED', message: expect.any(String) },
      });
      expect((await failure(caller.session.get({}))).body.error).toBe('ERR_UNAUTHENTICATED');
      expect((await failure(caller.match.status({}))).body.error).toBe('ERR_UNAUTHENTICATED');
      expect((await failure(caller.match.cancel({}))).body.error).toBe('ERR_UNAUTHENTICATED');
    });

    it('maps domain errors to tRPC codes and keeps the ERR_ code', async () => {
      const me = await stranger();
      expect(await failure(me.match.enqueue({ interests: ['x'] }))).toMatchObject({
        trpc: 'BAD_REQUEST',
        body: { error: 'ERR_MATCH_UNSUPPORTED_INTEREST' },
      });
      expect(await failure(me.match.enqueue({ interests: 'music' as never }))).toMatchObject({
        trpc: 'BAD_REQUEST',
        body: { error: 'ERR_BAD_REQUEST' },
      });
      expect((await failure(me.match.enqueue({ interests: ['music'], extra: 1 } as never))).body.error).toBe(
        'ERR_BAD_REQUEST',
      );
      await me.match.enqueue({ interests: ['rpcone'] });
      expect(await failure(me.match.enqueue({ interests: ['rpctwo'] }))).toMatchObject({
        trpc: 'CONFLICT',
        body: { error: 'ERR_MATCH_ALREADY_SEARCHING' },
      });
    });

    it('matches two callers and reports it to both', async () => {
      const a = await stranger();
      const b = await stranger();
      expect(await a.match.enqueue({ interests: ['viarpc'] })).toMatchObject({ state: 'searching' });
      const matched = await b.match.enqueue({ interests: ['viarpc'] });
      expect(matched).toMatchObject({ state: 'matched', matched_interest: 'viarpc' });
      expect(await a.match.status({})).toEqual(matched);
      expect((await failure(a.match.enqueue({ interests: ['other'] }))).body.error).toBe('ERR_MATCH_SLOT_LIMIT');
      expect(await a.match.cancel({})).toEqual({ state: 'idle' });
    });

    it('signs up, in and out through tRPC, with the same ERR_ codes', async () => {
      const anon = callerFor(core);
      const username = `trpc_${provider.slice(0, 2)}`;
      const created = await anon.caller.auth.register({ username, password: 'long enough pw' });
      expect(anon.seen.status).toBe(201);
      expect(created).toMatchObject({ kind: 'registered', username });
      expect(await failure(callerFor(core).caller.auth.register({ username, password: 'long enough pw' }))).toEqual({
        trpc: 'CONFLICT',
        body: { error: 'ERR_USERNAME_TAKEN', message: expect.any(String) },
      });
      expect(await failure(callerFor(core).caller.auth.login({ username, password: 'wrong password' }))).toEqual({
        trpc: 'UNAUTHORIZED',
        body: { error: 'ERR_INVALID_CREDENTIALS', message: expect.any(String) },
      });
      const member = callerFor(core, anon.seen.token).caller;
      expect(await failure(member.moderation.reports({}))).toEqual({
        trpc: 'FORBIDDEN',
        body: { error: 'ERR_FORBIDDEN', message: expect.any(String) },
      });
      await member.auth.logout({});
      expect((await failure(member.session.get({}))).body.error).toBe('ERR_UNAUTHENTICATED');
    });

    it('refuses a blocked stranger before validating the interests', async () => {
      const { caller, seen } = callerFor(core);
      const { id } = await caller.session.create({});
      await test.db.prisma.session.update({ where: { id }, data: { blockedAt: new Date() } });
      const blocked = callerFor(core, seen.token).caller;
      expect((await failure(blocked.match.enqueue({ interests: ['NOT OK'] }))).body.error).toBe('ERR_STRANGER_BLOCKED');
    });

    it('reports health', async () => {
      const { caller, seen } = callerFor(core);
      expect(await caller.system.health({})).toEqual({ status: 'ok', db: 'ok', bus: 'ok' });
      expect(seen.status).toBe(200);
    });
  });
}
