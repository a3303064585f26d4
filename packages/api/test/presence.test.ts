import { describe, expect, it } from 'vitest';
import { PresenceBook } from '../src/socket/presence.ts';

// Presence over instances (SPEC §12), as the socket server keeps it from bus events.
// The end-to-end cases (an instance killed, one restarted) are in apps/web/test/cluster.test.ts.

describe('the presence book', () => {
  it('says when a person comes online and goes offline over every instance', () => {
    const book = new PresenceBook();
    expect(book.apply('a', 'chat', 'p', 1, 1, 0)).toBe('joined');
    expect(book.apply('b', 'chat', 'p', 1, 1, 0)).toBeUndefined();
    expect(book.count('chat', 'p')).toBe(2);
    expect(book.apply('a', 'chat', 'p', 0, 2, 0)).toBeUndefined();
    expect(book.apply('b', 'chat', 'p', 0, 2, 0)).toBe('left');
    expect(book.count('chat', 'p')).toBe(0);
  });

  it('ignores an instance’s event that arrives after a later one of the same instance', () => {
    const book = new PresenceBook();
    // Joined (seq 1) then left (seq 2), delivered left first: offline stays offline.
    expect(book.apply('a', 'chat', 'p', 0, 2, 0)).toBeUndefined();
    expect(book.apply('a', 'chat', 'p', 1, 1, 0)).toBeUndefined();
    expect(book.count('chat', 'p')).toBe(0);
    // Sequences are per instance: another instance's seq 1 counts.
    expect(book.apply('b', 'chat', 'p', 1, 1, 0)).toBe('joined');
  });

  it('forgets an instance that stopped beating, and says who went offline with it', () => {
    const book = new PresenceBook();
    book.apply('dead', 'one', 'p', 1, 1, 0);
    book.apply('dead', 'two', 'q', 2, 2, 0);
    book.apply('alive', 'two', 'q', 1, 1, 0);
    book.beat('alive', 900);
    expect(book.sweep(500, 1000)).toEqual([{ chat: 'one', person: 'p' }]);
    expect(book.count('one', 'p')).toBe(0);
    expect(book.count('two', 'q')).toBe(1);
    // A restarted instance is a new one; the old name, if it speaks again, starts over.
    expect(book.apply('dead', 'one', 'p', 1, 1, 2000)).toBe('joined');
  });

  it('keeps what an instance said last at 0 sockets for a while, then drops it', () => {
    const book = new PresenceBook();
    book.apply('a', 'chat', 'p', 1, 1, 0);
    book.apply('a', 'chat', 'p', 0, 2, 0);
    book.sweep(-1, 30_000);
    // Still known as seq 2: the late seq-1 event is ignored.
    expect(book.apply('a', 'chat', 'p', 1, 1, 30_000)).toBeUndefined();
    book.sweep(-1, 61_000);
    expect(book.apply('a', 'chat', 'p', 1, 3, 61_000)).toBe('joined');
  });
});
