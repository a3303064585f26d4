import { z } from 'zod';
import { ZChatSummary, ZClientMessageId, ZEndReason, ZMessage, ZMessageId, ZMessageText } from './chat.ts';
import { ZChatToken } from './ids.ts';
import { ZMatchState, type TMatchState } from './match.ts';

/** Tokens the server sends (always well-formed). */
const token = z.string();

/** What a client may send over /v1/portal/socket. A malformed token is ERR_CHAT_NOT_FOUND, like an unknown one. */
export const ZClientEvent = z.discriminatedUnion('type', [
  /** Start receiving a chat's events. `after`: the last message id the client has; it gets every later one. */
  z.object({ type: z.literal('join'), token: ZChatToken, after: z.union([z.literal(0), ZMessageId]).optional() }),
  z.object({
    type: z.literal('message'),
    token: ZChatToken,
    text: ZMessageText,
    client_id: ZClientMessageId.optional(),
  }),
  z.object({ type: z.literal('typing'), token: ZChatToken }),
  z.object({ type: z.literal('leave'), token: ZChatToken }),
]);
export type TClientEvent = z.infer<typeof ZClientEvent>;
export type TClientEventInput = z.input<typeof ZClientEvent>;

/** What the server sends. */
export const ZServerEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('joined'),
    token,
    chat: ZChatSummary,
    /** Recent messages, or the messages after the client's cursor (the newest 100 at most). */
    messages: z.array(ZMessage),
    /**
     * Older messages exist before the first one here that this answer does not
     * hold and the client may lack: without `after`, as in GET /chats/{token}; with
     * `after`, more than 100 came since the cursor. Page them with GET .../messages?before=.
     */
    has_more: z.boolean(),
    partner_online: z.boolean(),
  }),
  z.object({ type: z.literal('message'), token, message: ZMessage }),
  z.object({ type: z.literal('typing'), token }),
  z.object({ type: z.literal('partner_left'), token }),
  z.object({ type: z.literal('partner_joined'), token }),
  z.object({
    type: z.literal('ended'),
    token,
    reason: ZEndReason,
    by: z.enum(['me', 'partner']).optional(),
  }),
  /**
   * Every message one side sent in this chat was erased (that person deleted their
   * account): show each as removed (`deleted: true`, `text: ""`), as a reload would.
   */
  z.object({ type: z.literal('messages_removed'), token, from: z.enum(['me', 'partner']) }),
  z.object({ type: z.literal('matched'), match: ZMatchState }),
  z.object({ type: z.literal('error'), error: z.string(), message: z.string(), token: z.string().optional() }),
]);
/** As parsed, with the `matched` event's state as TMatchState (readable without narrowing). */
export type TServerEvent =
  Exclude<z.infer<typeof ZServerEvent>, { type: 'matched' }> | { type: 'matched'; match: TMatchState };
