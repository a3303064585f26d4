import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgClientConfig } from '@portal/db';
import { createTestDatabase, natsAvailable, natsTestUrl, type TestDatabase } from '@portal/db/testing';
import { createNatsBus, createPostgresBus, createSplitBus, type EventBus, type PortalEvent } from '../src/index.ts';
import { skipProvider } from './factories.ts';

const pgSkip = await skipProvider('postgresql');

/** The buses the principal cache can sit on with PostgreSQL: NOTIFY alone, or NATS beside it. */
const BUSES: { name: string; skip: boolean; open: (test: TestDatabase, pool: pg.Pool) => Promise<EventBus> }[] = [
  { name: 'the PostgreSQL bus', skip: pgSkip, open: (test, pool) => openPostgresBus(test, pool) },
  {
    name: 'the PostgreSQL + NATS bus',
    skip: pgSkip || !(await natsAvailable()),
    open: async (test, pool) =>
      createSplitBus(
        await createNatsBus({ url: natsTestUrl(), subject: `portal.test.${randomUUID()}`, onError: () => undefined }),
        await openPostgresBus(test, pool),
      ),
  },
];

function openPostgresBus(test: TestDatabase, pool: pg.Pool): Promise<EventBus> {
  return createPostgresBus({
    connection: pgClientConfig(test.url),
    pool,
    loadMessage: () => Promise.resolve(null),
    onError: () => undefined,
  });
}

// caughtUp(), the fence the principal cache trusts a kept row behind (docs/sessions.md):
// once it resolves, every notification acknowledged to its writer before the call has
// been delivered to this bus's subscribers, whichever connection or process wrote it.
// With NATS beside PostgreSQL the database's notifications and the fence stay on LISTEN.
for (const { name, skip, open } of BUSES) {
  describe.skipIf(skip)(`the fence of ${name}`, () => {
    let test: TestDatabase;
    let bus: EventBus;
    let writer: pg.Client;
    let pool: pg.Pool;
    const heard = new Set<string>();
    beforeAll(async () => {
      test = await createTestDatabase('postgresql');
      if (test.db.provider !== 'postgresql') throw new Error('a PostgreSQL database was asked for');
      pool = test.db.pool;
      bus = await open(test, pool);
      bus.subscribe((event: PortalEvent) => {
        if (event.type === 'principal_changed') for (const id of event.sessions ?? []) heard.add(id);
      });
      // Another process's connection, as the operator's command line or psql would be.
      writer = new pg.Client({ connectionString: test.url });
      await writer.connect();
    });
    afterAll(async () => {
      await writer?.end();
      await bus?.close();
      await test?.destroy();
    });

    const notify = (id: string) =>
      writer.query('SELECT pg_notify($1, $2)', [
        'portal_events',
        JSON.stringify({ type: 'principal_changed', sessions: [id] }),
      ]);

    it('has delivered every notification acknowledged before it was asked (300 in a row)', async () => {
      for (let i = 0; i < 300; i++) {
        await notify(`s${i}`);
        expect(await bus.caughtUp()).toBe(true);
        expect(heard.has(`s${i}`), `notification ${i}`).toBe(true);
      }
    });

    it('serves many callers of the same moment with one or two fences, each caught up with what preceded it', async () => {
      await notify('before');
      const answers = await Promise.all(Array.from({ length: 200 }, () => bus.caughtUp()));
      expect(answers.every(Boolean)).toBe(true);
      expect(heard.has('before')).toBe(true);
      // A caller that comes while a fence is on its way waits for the next one, sent after its own call.
      const first = bus.caughtUp();
      await notify('while');
      const second = bus.caughtUp();
      expect(await Promise.all([first, second])).toEqual([true, true]);
      expect(heard.has('while')).toBe(true);
    });

    it('answers false once closed: nothing can be trusted then', async () => {
      const other = await open(test, pool);
      expect(await other.caughtUp()).toBe(true);
      await other.close();
      expect(await other.caughtUp()).toBe(false);
    });
  });
}
