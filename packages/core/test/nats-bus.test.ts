// The NATS bus against the machine's NATS server: fan-out to every instance (the
// publisher included) in each publisher's order, a drained close, and the split with
// PostgreSQL that keeps the principal cache's invalidations and fence on LISTEN.
// Losing the connection and getting it back is tested end to end, through a server
// (apps/web/test/outage.test.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgClientConfig } from '@portal/db';
import { createTestDatabase, natsAvailable, natsTestUrl, type TestDatabase } from '@portal/db/testing';
import { createNatsBus, createPostgresBus, createSplitBus, type EventBus, type PortalEvent } from '../src/index.ts';
import { skipProvider } from './factories.ts';

const natsSkip = !(await natsAvailable());

/** Polls until `done` holds (state, not time, is what a test waits for). */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A bus and everything it delivered, in order. */
function listen(bus: EventBus): { bus: EventBus; heard: PortalEvent[] } {
  const heard: PortalEvent[] = [];
  bus.subscribe((event) => heard.push(event));
  return { bus, heard };
}

const typing = (chat: string, sender: string): PortalEvent => ({ type: 'typing', chat, sender });
const senders = (heard: PortalEvent[], chat: string) =>
  heard.flatMap((event) => (event.type === 'typing' && event.chat === chat ? [event.sender] : []));

describe.skipIf(natsSkip)('the NATS bus', () => {
  const subject = `portal.test.${randomUUID()}`;
  const errors: unknown[] = [];
  const open = () => createNatsBus({ url: natsTestUrl(), subject, onError: (error) => errors.push(error) });
  let a: ReturnType<typeof listen>;
  let b: ReturnType<typeof listen>;
  beforeAll(async () => {
    a = listen(await open());
    b = listen(await open());
  });
  afterAll(async () => {
    await a?.bus.close();
    await b?.bus.close();
  });

  it('delivers every event to every instance, its own too, each publisher’s in the order published', async () => {
    const chat = randomUUID();
    const sent = Array.from({ length: 500 }, (_, i) => String(i));
    await Promise.all([
      (async () => {
        for (const i of sent) await a.bus.publish(typing(chat, `a${i}`));
      })(),
      (async () => {
        for (const i of sent) await b.bus.publish(typing(chat, `b${i}`));
      })(),
    ]);
    for (const { heard } of [a, b]) {
      await waitFor(() => senders(heard, chat).length === 1000, 'a thousand events');
      const got = senders(heard, chat);
      expect(got.filter((s) => s.startsWith('a'))).toEqual(sent.map((i) => `a${i}`));
      expect(got.filter((s) => s.startsWith('b'))).toEqual(sent.map((i) => `b${i}`));
    }
    expect(a.bus.listening() && b.bus.listening()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('refuses an event over the server’s max_payload and says so; the next ones go through', async () => {
    const chat = randomUUID();
    const huge: PortalEvent = {
      type: 'message',
      chat,
      message: { id: 1, sender: 'x', text: 'x'.repeat(2 * 1024 * 1024), created_at: new Date().toISOString() },
    };
    await a.bus.publish(huge);
    expect(errors).toHaveLength(1);
    errors.length = 0;
    await a.bus.publish(typing(chat, 'after'));
    await waitFor(() => senders(b.heard, chat).length === 1, 'the next event');
    expect(b.heard.some((event) => event.type === 'message' && event.chat === chat)).toBe(false);
  });

  it('drains on close: what was published before reaches the others', async () => {
    const chat = randomUUID();
    const leaving = await open();
    for (let i = 0; i < 200; i++) await leaving.publish(typing(chat, String(i)));
    await leaving.close();
    await waitFor(() => senders(b.heard, chat).length === 200, 'two hundred events');
    expect(leaving.listening()).toBe(false);
  });

  it('is no fence on its own: caughtUp says false', async () => {
    expect(await a.bus.caughtUp()).toBe(false);
  });
});

describe.skipIf(natsSkip || (await skipProvider('postgresql')))('PostgreSQL with NATS beside it', () => {
  const subject = `portal.test.${randomUUID()}`;
  let test: TestDatabase;
  /** An instance with both. */
  let split: ReturnType<typeof listen>;
  /** What crosses PostgreSQL, and what crosses NATS, seen from outside. */
  let database: ReturnType<typeof listen>;
  let nats: ReturnType<typeof listen>;
  const postgresBus = () => {
    if (test.db.provider !== 'postgresql') throw new Error('a PostgreSQL database was asked for');
    return createPostgresBus({
      connection: pgClientConfig(test.url),
      pool: test.db.pool,
      loadMessage: () => Promise.resolve(null),
      onError: () => undefined,
    });
  };
  const natsBus = () => createNatsBus({ url: natsTestUrl(), subject, onError: () => undefined });
  beforeAll(async () => {
    test = await createTestDatabase('postgresql');
    split = listen(createSplitBus(await natsBus(), await postgresBus()));
    database = listen(await postgresBus());
    nats = listen(await natsBus());
  });
  afterAll(async () => {
    await split?.bus.close();
    await database?.bus.close();
    await nats?.bus.close();
    await test?.destroy();
  });

  it('sends principal_changed through PostgreSQL (behind the fence) and everything else through NATS', async () => {
    const chat = randomUUID();
    const session = randomUUID();
    const events: PortalEvent[] = [
      { type: 'message', chat, message: { id: 1, sender: 'p', text: 'hi', created_at: new Date().toISOString() } },
      typing(chat, 'p'),
      { type: 'presence', chat, person: 'p', instance: 'i', count: 1, seq: 1 },
      { type: 'beat', instance: 'i' },
      { type: 'messages_removed', chat, sender: 'p' },
      { type: 'ended', chat, by: 'p', reason: 'ended' },
      { type: 'matched', session, match: { state: 'idle' } },
      { type: 'search_ended', sessions: [session] },
      { type: 'disconnect', sessions: [session], error: 'ERR_UNAUTHENTICATED' },
      { type: 'principal_changed', sessions: [session] },
    ];
    for (const event of events) await split.bus.publish(event);
    // The fence: whatever PostgreSQL carried has arrived, here and at the other listener.
    expect(await split.bus.caughtUp()).toBe(true);
    expect(await database.bus.caughtUp()).toBe(true);
    const fanOut = events.slice(0, -1);
    expect(database.heard).toEqual([events.at(-1)]);
    await waitFor(() => nats.heard.length === fanOut.length, 'the fan-out events');
    expect(nats.heard).toEqual(fanOut);
    // Back at the instance too, from both: each source in its order, no order between the two.
    await waitFor(() => split.heard.length === events.length, 'every event back at the instance');
    expect(split.heard.filter((event) => event.type !== 'principal_changed')).toEqual(fanOut);
    expect(split.bus.listening()).toBe(true);
  });

  it('still hears what others publish on PostgreSQL: the triggers, the operator’s command line', async () => {
    const session = randomUUID();
    const from = split.heard.length;
    await database.bus.publish({ type: 'disconnect', sessions: [session], error: 'ERR_UNAUTHENTICATED' });
    if (test.db.provider !== 'postgresql') throw new Error('a PostgreSQL database was asked for');
    // A write behind Portal's back: the trigger announces it.
    const id = randomUUID();
    await test.db.pool.query(
      `INSERT INTO sessions (id, token_hash, created_at, last_seen_at) VALUES ($1, $2, now(), now())`,
      [id, randomUUID()],
    );
    await test.db.pool.query('UPDATE sessions SET blocked_at = now() WHERE id = $1', [id]);
    expect(await split.bus.caughtUp()).toBe(true);
    expect(split.heard.slice(from)).toEqual([
      { type: 'disconnect', sessions: [session], error: 'ERR_UNAUTHENTICATED' },
      { type: 'principal_changed', sessions: [id] },
    ]);
  });
});
