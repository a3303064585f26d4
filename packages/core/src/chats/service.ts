import type { Database, PortalTransaction } from '@portal/db';
import {
  AppError,
  DEFAULT_PAGE_SIZE,
  isChatToken,
  type TChatDetail,
  type TChatList,
  type TChatState,
  type TChatSummary,
  type TMessage,
  type TMessagePage,
} from '@portal/contracts';
import { chatLimitOf, type Principal } from '../principal.ts';
import { splitTags } from '../matching/rules.ts';
import type { BusMessage, EventBus } from '../realtime/events.ts';

/** Most messages a socket `join` returns (SPEC §11); older ones are paged over REST. */
export const MAX_CATCH_UP = 100;

/** A chat as one participant sees it, after the access check. */
export interface ChatView {
  id: string;
  token: string;
  me: string;
  partner: string;
  /** The session the partner was matched from (moderators block sessions). */
  partnerSessionId: string;
  summary: TChatSummary;
}

export interface ChatService {
  list(principal: Principal): Promise<TChatList>;
  /**
   * The chat and its latest messages, or with `after`, the messages after that id
   * (for a reconnect; the newest MAX_CATCH_UP, `has_more` when some were left out).
   */
  open(principal: Principal, token: string, options?: { after?: number }): Promise<TChatDetail>;
  /** `open` for a chat whose access was already checked with `view`. */
  detail(chat: ChatView, options?: { after?: number }): Promise<TChatDetail>;
  page(principal: Principal, token: string, before?: number, limit?: number): Promise<TMessagePage>;
  /** With a `clientId` it is idempotent: the same id again returns the stored message. */
  send(principal: Principal, token: string, text: string, clientId?: string): Promise<TMessage>;
  end(principal: Principal, token: string): Promise<TChatSummary>;
  typing(principal: Principal, token: string): Promise<void>;
  /** Access check: ERR_CHAT_NOT_FOUND unless the caller is a participant. */
  view(principal: Principal, token: string): Promise<ChatView>;
  /** Marks chats past their expiry as ended and tells their sockets; returns how many. */
  expire(): Promise<number>;
  loadMessage(id: number): Promise<BusMessage | null>;
}

const iso = (date: Date): string => date.toISOString();

/**
 * Ends a chat inside the caller's transaction, if it still runs: the chat and both
 * slots together. True when this call ended it (and so must announce it).
 */
export async function endChatIn(tx: PortalTransaction, chatId: string, by: string, at: Date): Promise<boolean> {
  const { count } = await tx.chat.updateMany({
    where: { id: chatId, endedAt: null, expiresAt: { gt: at } },
    data: { endedAt: at, endedBy: by },
  });
  if (count === 1) await tx.chatParticipant.updateMany({ where: { chatId }, data: { activeUntil: at } });
  return count === 1;
}

export const toMessage = (message: BusMessage, reader: string): TMessage => {
  const mine = message.sender === reader;
  return {
    id: message.id,
    from: mine ? 'me' : 'partner',
    text: message.text,
    created_at: message.created_at,
    ...(mine && message.client_id ? { client_id: message.client_id } : {}),
    ...(message.deleted ? { deleted: true as const } : {}),
  };
};

const CHAT_SELECT = {
  id: true,
  token: true,
  matchedInterest: true,
  commonInterests: true,
  createdAt: true,
  expiresAt: true,
  endedAt: true,
  endedBy: true,
  participants: { select: { personKey: true, accountId: true, sessionId: true } },
} as const;

const MESSAGE_SELECT = {
  id: true,
  senderKey: true,
  text: true,
  createdAt: true,
  clientId: true,
  deletedAt: true,
} as const;

export function createChatService(db: Database, now: () => number, bus: EventBus): ChatService {
  const { prisma } = db;

  function stateOf(chat: { expiresAt: Date; endedAt: Date | null; endedBy: string | null }, at: number): TChatState {
    if (chat.endedAt) return chat.endedBy === 'expiry' ? 'expired' : 'ended';
    return chat.expiresAt.getTime() <= at ? 'expired' : 'active';
  }

  async function partnerLabel(accountId: string | null): Promise<string> {
    if (!accountId) return 'Stranger';
    const account = await prisma.account.findUnique({ where: { id: accountId }, select: { username: true } });
    return account?.username ?? 'Stranger';
  }

  async function view(principal: Principal, token: string): Promise<ChatView> {
    // The transports check the format already; a token that cannot exist never costs a query.
    if (!isChatToken(token)) throw new AppError('ERR_CHAT_NOT_FOUND');
    const chat = await prisma.chat.findUnique({ where: { token }, select: CHAT_SELECT });
    const partner = chat?.participants.find((p) => p.personKey !== principal.personKey);
    if (!chat || !partner || !chat.participants.some((p) => p.personKey === principal.personKey)) {
      throw new AppError('ERR_CHAT_NOT_FOUND');
    }
    const state = stateOf(chat, now());
    return {
      id: chat.id,
      token: chat.token,
      me: principal.personKey,
      partner: partner.personKey,
      partnerSessionId: partner.sessionId,
      summary: {
        token: chat.token,
        partner: await partnerLabel(partner.accountId),
        matched_interest: chat.matchedInterest,
        common_interests: splitTags(chat.commonInterests),
        created_at: iso(chat.createdAt),
        expires_at: iso(chat.expiresAt),
        state,
        ...(chat.endedAt
          ? { ended_at: iso(chat.endedAt) }
          : state === 'expired'
            ? { ended_at: iso(chat.expiresAt) }
            : {}),
      },
    };
  }

  const toBus = (row: {
    id: number;
    senderKey: string;
    text: string;
    createdAt: Date;
    clientId: string | null;
    deletedAt: Date | null;
  }): BusMessage => ({
    id: row.id,
    sender: row.senderKey,
    text: row.text,
    created_at: iso(row.createdAt),
    ...(row.clientId ? { client_id: row.clientId } : {}),
    ...(row.deletedAt ? { deleted: true as const } : {}),
  });

  async function latest(
    chatId: string,
    reader: string,
    before: number | undefined,
    limit: number,
  ): Promise<TMessagePage> {
    const rows = await prisma.message.findMany({
      where: { chatId, ...(before ? { id: { lt: before } } : {}) },
      orderBy: { id: 'desc' },
      take: limit + 1,
      select: MESSAGE_SELECT,
    });
    const page = rows.slice(0, limit).reverse();
    return { messages: page.map((row) => toMessage(toBus(row), reader)), has_more: rows.length > limit };
  }

  async function activeView(principal: Principal, token: string): Promise<ChatView> {
    const chat = await view(principal, token);
    if (chat.summary.state !== 'active') throw new AppError('ERR_CHAT_ENDED');
    return chat;
  }

  async function detail(chat: ChatView, options: { after?: number } = {}): Promise<TChatDetail> {
    if (options.after === undefined) {
      return { ...chat.summary, ...(await latest(chat.id, chat.me, undefined, DEFAULT_PAGE_SIZE)) };
    }
    // The newest ones: what a reader wants first. `has_more` says that some between the
    // cursor and these were left out (the client pages them, or starts over from here).
    const rows = await prisma.message.findMany({
      where: { chatId: chat.id, id: { gt: options.after } },
      orderBy: { id: 'desc' },
      take: MAX_CATCH_UP + 1,
      select: MESSAGE_SELECT,
    });
    const kept = rows.slice(0, MAX_CATCH_UP).reverse();
    return {
      ...chat.summary,
      messages: kept.map((row) => toMessage(toBus(row), chat.me)),
      has_more: rows.length > MAX_CATCH_UP,
    };
  }

  return {
    view,

    async list(principal) {
      const at = new Date(now());
      const rows = await prisma.chatParticipant.findMany({
        where: { personKey: principal.personKey, activeUntil: { gt: at } },
        select: { chat: { select: { token: true } } },
        orderBy: { activeUntil: 'asc' },
      });
      const chats = await Promise.all(rows.map((row) => view(principal, row.chat.token).then((v) => v.summary)));
      return { chats, active_chats: chats.length, chat_limit: chatLimitOf(principal) };
    },

    open: async (principal, token, options = {}) => detail(await view(principal, token), options),
    detail,

    async page(principal, token, before, limit = DEFAULT_PAGE_SIZE) {
      const chat = await view(principal, token);
      return latest(chat.id, chat.me, before, limit);
    },

    async send(principal, token, text, clientId) {
      const chat = await activeView(principal, token);
      const at = new Date(now());
      // Stored only while the chat is still active: an `end` that commits between the
      // check above and this insert turns the send into ERR_CHAT_ENDED, never a late message.
      // A client id already stored (a resend after a dropped socket) inserts nothing.
      // On PostgreSQL the guard also takes a share lock on the chat row: an `end` or an
      // account deletion holding it (it updates the chat first) makes the insert wait,
      // and READ COMMITTED then re-checks the guard against the committed row, so a
      // deletion never misses a message that was being inserted as it erased the rest.
      const [row] =
        db.provider === 'postgresql'
          ? await prisma.$queryRaw<{ id: number | bigint }[]>`
            INSERT INTO messages (chat_id, sender_key, text, created_at, client_id)
            SELECT ${chat.id}, ${chat.me}, ${text}, ${at}, ${clientId ?? null}
            WHERE EXISTS (SELECT 1 FROM chats WHERE id = ${chat.id} AND ended_at IS NULL AND expires_at > ${at}
                          FOR SHARE)
            ON CONFLICT (chat_id, sender_key, client_id) DO NOTHING
            RETURNING id`
          : await prisma.$queryRaw<{ id: number | bigint }[]>`
            INSERT INTO messages (chat_id, sender_key, text, created_at, client_id)
            SELECT ${chat.id}, ${chat.me}, ${text}, ${at}, ${clientId ?? null}
            WHERE EXISTS (SELECT 1 FROM chats WHERE id = ${chat.id} AND ended_at IS NULL AND expires_at > ${at})
            ON CONFLICT (chat_id, sender_key, client_id) DO NOTHING
            RETURNING id`;
      if (!row) {
        const stored = clientId
          ? await prisma.message.findUnique({
              where: { chatId_senderKey_clientId: { chatId: chat.id, senderKey: chat.me, clientId } },
              select: MESSAGE_SELECT,
            })
          : null;
        if (!stored) throw new AppError('ERR_CHAT_ENDED');
        return toMessage(toBus(stored), chat.me);
      }
      const message: BusMessage = {
        id: Number(row.id),
        sender: chat.me,
        text,
        created_at: iso(at),
        ...(clientId ? { client_id: clientId } : {}),
      };
      await bus.publish({ type: 'message', chat: token, message });
      return toMessage(message, chat.me);
    },

    async typing(principal, token) {
      const chat = await activeView(principal, token);
      await bus.publish({ type: 'typing', chat: token, sender: chat.me });
    },

    async end(principal, token) {
      const chat = await view(principal, token);
      if (chat.summary.state !== 'active') return chat.summary;
      const at = new Date(now());
      const ended = await prisma.$transaction((tx) => endChatIn(tx, chat.id, chat.me, at));
      if (!ended) return (await view(principal, token)).summary; // the partner ended it a moment before
      await bus.publish({ type: 'ended', chat: token, by: chat.me, reason: 'ended' });
      return { ...chat.summary, state: 'ended', ended_at: iso(at) };
    },

    async expire() {
      const at = new Date(now());
      const due = await prisma.chat.findMany({
        where: { endedAt: null, expiresAt: { lte: at } },
        select: { id: true, token: true, expiresAt: true },
        take: 500,
      });
      let count = 0;
      for (const chat of due) {
        // Several instances may reap at once: only the one whose update lands announces it.
        const { count: updated } = await prisma.chat.updateMany({
          where: { id: chat.id, endedAt: null },
          data: { endedAt: chat.expiresAt, endedBy: 'expiry' },
        });
        if (updated === 1) {
          count += 1;
          await bus.publish({ type: 'ended', chat: chat.token, by: null, reason: 'expired' });
        }
      }
      return count;
    },

    async loadMessage(id) {
      const row = await prisma.message.findUnique({ where: { id }, select: MESSAGE_SELECT });
      return row ? toBus(row) : null;
    },
  };
}
