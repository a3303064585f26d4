import { expect } from 'vitest';
import { AppError, type TErrorCode, type TPlan } from '@portal/contracts';
import type { Database } from '@portal/db';
import { createTestDatabase, postgresAvailable, type Provider, type TestDatabase } from '@portal/db/testing';
import { createCore, type Core, type CoreOptions, type Principal } from '../src/index.ts';
import { hashToken, newId, newSessionToken } from '../src/tokens.ts';

export const PROVIDERS: Provider[] = ['sqlite', 'postgresql'];

/** Skip the PostgreSQL half only when it is unreachable outside CI (loudly). */
export const skipProvider = async (provider: Provider): Promise<boolean> =>
  provider === 'postgresql' && !(await postgresAvailable());

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2026, 10, 1, 12)) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export interface World {
  test: TestDatabase;
  core: Core;
  clock: ReturnType<typeof manualClock>;
  stranger(): Promise<Principal>;
  member(plan?: TPlan): Promise<{ principal: Principal; anotherSession(): Promise<Principal> }>;
  /** The same session read again from the database (after a block, a suspension...). */
  reload(principal: Principal): Promise<Principal>;
  close(): Promise<void>;
}

export async function createWorld(
  provider: Provider,
  options: { poolSize?: number; connectTimeoutMs?: number; realClock?: boolean; config?: CoreOptions['config'] } = {},
): Promise<World> {
  const test = await createTestDatabase(provider, {
    poolSize: options.poolSize ?? 10,
    ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
  });
  const clock = manualClock();
  const core = createCore(test.db, { config: options.config, ...(options.realClock ? {} : { now: clock.now }) });
  const tokens = new Map<string, string>();
  const remember = ({ principal, token }: { principal: Principal; token: string }) => {
    tokens.set(principal.sessionId, token);
    return principal;
  };
  return {
    test,
    core,
    clock,
    stranger: async () => remember(await core.sessions.create()),
    reload: (principal) => core.sessions.authenticate(tokens.get(principal.sessionId)),
    async member(plan = 'free') {
      const accountId = newId();
      await test.db.prisma.account.create({
        data: {
          id: accountId,
          username: `u${accountId.slice(0, 8)}`,
          passwordHash: 'x',
          plan,
          createdAt: new Date(clock.now()),
        },
      });
      const anotherSession = async () => remember(await sessionFor(core, test.db, accountId, clock.now()));
      return { principal: await anotherSession(), anotherSession };
    },
    close: () => test.destroy(),
  };
}

async function sessionFor(core: Core, db: Database, accountId: string, now: number) {
  const token = newSessionToken();
  await db.prisma.session.create({
    data: { id: newId(), tokenHash: hashToken(token), accountId, createdAt: new Date(now), lastSeenAt: new Date(now) },
  });
  return { principal: await core.sessions.authenticate(token), token };
}

/** Awaits a refusal and checks it is this domain error; returns it for further checks. */
export async function expectCode(promise: Promise<unknown>, code: TErrorCode): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}
