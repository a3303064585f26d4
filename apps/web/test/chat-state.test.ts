import { describe, expect, it } from 'vitest';
import type { TChatSummary, TMessage } from '@portal/contracts';
import { chatReducer, initialChatState, type ChatState } from '../app/chat/[token]/chat-state.ts';

const summary = { token: 't', state: 'active' } as TChatSummary;
const message = (id: number): TMessage => ({ id, from: 'partner', text: `m${id}`, created_at: '2026-01-01T00:00:00Z' });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));

function loaded(ids: [number, number], hasMore = false): ChatState {
  return chatReducer(initialChatState, {
    type: 'loaded',
    detail: { ...summary, messages: range(...ids), has_more: hasMore },
  });
}

describe('a socket catch-up in the chat log', () => {
  it('appends what was missed when it all came', () => {
    const state = chatReducer(loaded([1, 10]), {
      type: 'joined',
      chat: summary,
      messages: range(11, 15),
      hasMore: false,
    });
    expect(state.messages.map((m) => m.id)).toEqual(range(1, 15).map((m) => m.id));
    expect(state.hasMore).toBe(false);
  });

  it('starts over from the newest when the server left some out, so the log never skips any', () => {
    // 10 known, then 150 missed: the server sends the newest 100 (61..160) with has_more.
    const state = chatReducer(loaded([1, 10]), {
      type: 'joined',
      chat: summary,
      messages: range(61, 160),
      hasMore: true,
    });
    expect(state.messages.map((m) => m.id)).toEqual(range(61, 160).map((m) => m.id));
    expect(state.hasMore).toBe(true);
  });

  it('merges an overlapping answer whatever has_more says (it is about older messages we already have)', () => {
    const state = chatReducer(loaded([1, 50], false), {
      type: 'joined',
      chat: summary,
      messages: range(30, 60),
      hasMore: true,
    });
    expect(state.messages).toHaveLength(60);
    expect(state.hasMore).toBe(false);
  });
});

describe('a partner who deleted their account', () => {
  it('turns every partner message into a removed one and leaves ours alone', () => {
    const mine: TMessage = { id: 3, from: 'me', text: 'mine', created_at: '2026-01-01T00:00:00Z' };
    const state = chatReducer(chatReducer(loaded([1, 2]), { type: 'message', message: mine }), {
      type: 'messages_removed',
      from: 'partner',
    });
    expect(state.messages.map((m) => [m.id, m.text, m.deleted ?? false])).toEqual([
      [1, '', true],
      [2, '', true],
      [3, 'mine', false],
    ]);
  });
});
