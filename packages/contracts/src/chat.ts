import { z } from 'zod';
import { ZChatToken } from './ids.ts';
import { MAX_MESSAGE_LENGTH, noNul, RULE_MESSAGES } from './rules.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
/** Message ids are 32-bit in the database. */
export const ZMessageId = z.number().int().positive().max(2_147_483_647);

/** 1–2000 characters after trimming; stored and returned as plain text. */
export const ZMessageText = z
  .string()
  .refine(noNul, RULE_MESSAGES.nul)
  .transform((text) => text.trim())
  .pipe(z.string().min(1, RULE_MESSAGES.messageEmpty).max(MAX_MESSAGE_LENGTH, RULE_MESSAGES.messageLong));

export const ZChatState = z.enum(['active', 'ended', 'expired']);

/** Why a chat ended: a participant ended it, it ran out, a participant reported it, or a moderator acted. */
export const ZEndReason = z.enum(['ended', 'expired', 'reported', 'moderated']);
export type TEndReason = z.infer<typeof ZEndReason>;
export type TChatState = z.infer<typeof ZChatState>;

/** The sender's own id for a message (e.g. a UUID): sending it again stores nothing new. */
export const ZClientMessageId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'Use 1-64 letters, digits, "-" or "_".');

export const ZMessage = z
  .object({
    id: z.number().int(),
    /** From the reader's point of view. */
    from: z.enum(['me', 'partner']),
    text: z.string(),
    created_at: z.string(),
    /** Echoed to the sender only, when they gave one. */
    client_id: z.string().optional(),
    /** Present (true) when the sender deleted their account: the text is erased (""), the place stays. */
    deleted: z.literal(true).optional(),
  })
  .meta({ id: 'Message' });
export type TMessage = z.infer<typeof ZMessage>;

/** A chat as lists show it (named `Chat` in the OpenAPI document). */
const chatFields = {
  token: z.string(),
  /** "Stranger", or the partner's username. */
  partner: z.string(),
  matched_interest: z.string().nullable(),
  common_interests: z.array(z.string()),
  created_at: z.string(),
  expires_at: z.string(),
  state: ZChatState,
  ended_at: z.string().optional(),
};
export const ZChatSummary = z.object(chatFields).meta({ id: 'Chat' });
export type TChatSummary = z.infer<typeof ZChatSummary>;

export const ZChatList = z
  .object({
    chats: z.array(ZChatSummary),
    active_chats: z.number().int(),
    chat_limit: z.number().int(),
  })
  .meta({ id: 'ChatList' });
export type TChatList = z.infer<typeof ZChatList>;

export const ZMessagePage = z
  .object({
    messages: z.array(ZMessage),
    /** Older messages exist before the first one here. */
    has_more: z.boolean(),
  })
  .meta({ id: 'MessagePage' });
export type TMessagePage = z.infer<typeof ZMessagePage>;

export const ZChatDetail = z
  .object({
    ...chatFields,
    messages: z.array(ZMessage),
    has_more: z.boolean(),
  })
  .meta({ id: 'ChatDetail' });
export type TChatDetail = z.infer<typeof ZChatDetail>;

/** Path parameter; anything that is not a live token of yours, malformed ones included, is ERR_CHAT_NOT_FOUND. */
export const ZChatTokenInput = z.object({ token: ZChatToken });

export const ZPageInput = ZChatTokenInput.extend({
  before: z.coerce.number().pipe(ZMessageId).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
});

export const ZPostMessageInput = ZChatTokenInput.extend({ text: ZMessageText, client_id: ZClientMessageId.optional() });
