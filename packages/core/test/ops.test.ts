import { describe, expect, it } from 'vitest';
import { boundTags, createLogger, REDACTED, redactText } from '../src/index.ts';

describe('log redaction', () => {
  const chat = 'Qm9vbS1jaGF0LXRva2VuMQ'; // 22 base64url characters, like a chat token
  const session = 'c2Vzc2lvbi10b2tlbi1vZi00My1jaGFyYWN0ZXJzLi4'; // 43, like a session token

  it('takes tokens out of URLs, query strings and any text, and secrets out of named fields', () => {
    expect(redactText(`/v1/portal/chats/${chat}/messages`)).toBe(`/v1/portal/chats/${REDACTED}/messages`);
    expect(redactText(`/chat/${chat}`)).toBe(`/chat/${REDACTED}`);
    expect(redactText(`/chat/short?x=1`)).toBe(`/chat/${REDACTED}?${REDACTED}`);
    expect(redactText('/api/trpc/chat.get?input=%7B%22token%22%3A%22abc%22%7D')).toBe(`/api/trpc/chat.get?${REDACTED}`);
    expect(redactText(`Invalid query: where token = '${chat}'`)).toBe(`Invalid query: where token = '${REDACTED}'`);
    expect(redactText(`cookie psession=${session}; x`)).toBe(`cookie psession=${REDACTED}; x`);
    // Ids, hashes, names and ordinary words stay readable.
    expect(redactText('socket_send_queue_full')).toBe('socket_send_queue_full');
    const uuid = '123e4567-e89b-12d3-a456-426614174000';
    expect(redactText(`session ${uuid} at /v1/portal/chats`)).toBe(`session ${uuid} at /v1/portal/chats`);

    const lines: string[] = [];
    const logger = createLogger('info', (line) => lines.push(line));
    logger.info(`seen ${chat}`, {
      url: `/v1/portal/chats/${chat}`,
      password: 'hunter2 hunter2',
      nested: { token: 'x' },
    });
    logger.debug('not at info');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      msg: `seen ${REDACTED}`,
      url: `/v1/portal/chats/${REDACTED}`,
      password: REDACTED,
      nested: { token: REDACTED },
    });
    expect(lines[0]).not.toContain(chat);
    expect(logger.enabled?.('debug')).toBe(false);
    expect(logger.enabled?.('warn')).toBe(true);
  });
});

describe('per-tag metric series', () => {
  it('keeps the 50 busiest tags by name and sums the rest under "other"', () => {
    const counts = Array.from({ length: 60 }, (_, i) => [`tag${String(i).padStart(2, '0')}`, i + 1] as const);
    const series = boundTags([...counts, ['other', 7]]);
    expect(series.size).toBe(51);
    // The ten quietest (1..10 waiting) and the real tag named "other" are summed.
    expect(series.get('other')).toBe(55 + 7);
    expect(series.get('tag59')).toBe(60);
    expect(series.has('tag09')).toBe(false);
    expect(series.has('tag10')).toBe(true);
    // Ties go by name; a small set is kept whole, with no "other" series.
    expect([
      ...boundTags([
        ['b', 1],
        ['a', 1],
      ]).keys(),
    ]).toEqual(['a', 'b']);
    expect(boundTags([]).size).toBe(0);
  });
});
