import type { TChatDetail, TChatSummary, TEndReason, TMessage, TMessagePage } from '@portal/contracts';

/** A message of ours on its way: shown greyed out until the server confirms it. */
export interface PendingMessage {
  key: number;
  /** Sent with the message, so that the server stores a resend only once and the echo names it. */
  clientId: string;
  text: string;
  via: 'socket' | 'api';
  /** Sent over a socket that closed before the echo came back: the next `joined` tells whether it arrived. */
  unconfirmed: boolean;
}

export interface EndedInfo {
  /** `reported`: one of the two reported the other; `moderated`: a moderator's block or suspension. */
  reason: TEndReason;
  by?: 'me' | 'partner';
}

export interface ChatState {
  summary: TChatSummary | null;
  /** Oldest → newest, unique by id. */
  messages: TMessage[];
  hasMore: boolean;
  loaded: boolean;
  pending: PendingMessage[];
  /** The partner's last socket left the chat (they may come back). */
  partnerLeft: boolean;
  ended: EndedInfo | null;
}

export type ChatAction =
  | { type: 'loaded'; detail: TChatDetail }
  | { type: 'joined'; chat: TChatSummary; messages: TMessage[]; hasMore: boolean }
  | { type: 'message'; message: TMessage }
  /** Every message one side sent was erased (that person deleted their account). */
  | { type: 'messages_removed'; from: 'me' | 'partner' }
  | { type: 'older'; page: TMessagePage }
  | { type: 'partner_left' }
  | { type: 'partner_joined' }
  | { type: 'ended'; ended: EndedInfo; summary?: TChatSummary }
  | { type: 'pending'; item: PendingMessage }
  | { type: 'resend'; keys: number[] }
  | { type: 'settled'; key: number; message?: TMessage }
  | { type: 'socket_lost' }
  | { type: 'drop_socket_pending' };

export const initialChatState: ChatState = {
  summary: null,
  messages: [],
  hasMore: false,
  loaded: false,
  pending: [],
  partnerLeft: false,
  ended: null,
};

function merge(messages: TMessage[], incoming: readonly TMessage[]): TMessage[] {
  if (incoming.length === 0) return messages;
  const byId = new Map(messages.map((message) => [message.id, message]));
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Our own messages that just arrived settle the pending copies with the same client id. */
function settleEchoes(state: ChatState, incoming: readonly TMessage[]): PendingMessage[] {
  if (state.pending.length === 0) return state.pending;
  const arrived = new Set(incoming.filter((m) => m.from === 'me' && m.client_id).map((m) => m.client_id));
  return arrived.size === 0 ? state.pending : state.pending.filter((item) => !arrived.has(item.clientId));
}

function receive(state: ChatState, incoming: readonly TMessage[]): ChatState {
  return { ...state, pending: settleEchoes(state, incoming), messages: merge(state.messages, incoming) };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'loaded': {
      const { messages, has_more, ...summary } = action.detail;
      const next = receive(state, messages);
      // `has_more` is about what precedes the first message of this answer; older pages already loaded win.
      const hasMore =
        state.loaded && (state.messages[0]?.id ?? Infinity) < (messages[0]?.id ?? Infinity) ? state.hasMore : has_more;
      return { ...next, summary, hasMore, loaded: true };
    }
    case 'joined': {
      const first = action.messages[0]?.id;
      const last = state.messages.at(-1)?.id;
      // A catch-up that could not hold everything missed (the server sends the newest 100)
      // leaves a hole after what we have: start the log again from this answer, and
      // let "older messages" page back over the API, so the log never skips any.
      if (action.hasMore && first !== undefined && (last === undefined || last < first)) {
        return {
          ...state,
          pending: settleEchoes(state, action.messages),
          messages: [...action.messages],
          hasMore: true,
          summary: action.chat,
        };
      }
      return { ...receive(state, action.messages), summary: action.chat };
    }
    case 'message':
      return receive(state, [action.message]);
    case 'messages_removed':
      return {
        ...state,
        messages: state.messages.map((m) => (m.from === action.from ? { ...m, text: '', deleted: true as const } : m)),
      };
    case 'older':
      return { ...receive(state, action.page.messages), hasMore: action.page.has_more };
    case 'partner_left':
      return { ...state, partnerLeft: true };
    case 'partner_joined':
      return { ...state, partnerLeft: false };
    case 'ended':
      return {
        ...state,
        // The first word on how it ended stays (an `end` answer after the partner's `ended` event knows less).
        ended: state.ended ?? action.ended,
        summary:
          action.summary ??
          (state.summary && { ...state.summary, state: action.ended.reason === 'expired' ? 'expired' : 'ended' }),
      };
    case 'pending':
      return { ...state, pending: [...state.pending, action.item] };
    case 'resend':
      return {
        ...state,
        pending: state.pending.map((item) =>
          action.keys.includes(item.key) ? { ...item, via: 'api', unconfirmed: false } : item,
        ),
      };
    case 'settled': {
      const pending = state.pending.filter((item) => item.key !== action.key);
      return { ...state, pending, messages: action.message ? merge(state.messages, [action.message]) : state.messages };
    }
    case 'socket_lost':
      if (!state.pending.some((item) => item.via === 'socket' && !item.unconfirmed)) return state;
      return {
        ...state,
        pending: state.pending.map((item) => (item.via === 'socket' ? { ...item, unconfirmed: true } : item)),
      };
    case 'drop_socket_pending':
      return { ...state, pending: state.pending.filter((item) => item.via !== 'socket') };
  }
}

/**
 * Which unconfirmed socket messages a `joined` catch-up does not contain. They are
 * sent again over the API with the same client id, so one that did reach the
 * server after all is not stored twice.
 */
export function lostInTransit(state: ChatState, caughtUp: readonly TMessage[]): PendingMessage[] {
  const arrived = new Set(caughtUp.filter((m) => m.from === 'me').map((m) => m.client_id));
  return state.pending.filter((item) => item.via === 'socket' && item.unconfirmed && !arrived.has(item.clientId));
}

export function lastMessageId(state: ChatState): number | undefined {
  return state.messages[state.messages.length - 1]?.id;
}

/** 128 random bits for a message's client id (crypto.randomUUID needs a secure context; this does not). */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
