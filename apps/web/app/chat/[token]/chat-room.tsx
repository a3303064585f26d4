'use client';

import type { TErrorCode } from '@portal/contracts';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useEffectEvent, useReducer, useState } from 'react';
import { appCodeOf, describeCode, describeError } from '../../../lib/errors.ts';
import { useConnectionState, useSocket, useSocketEvent } from '../../../lib/realtime.tsx';
import type { TConnectionState } from '../../../lib/socket.ts';
import { formatHours, useNow } from '../../../lib/time.ts';
import { trpc } from '../../../lib/trpc.ts';
import { ConfirmDialog } from '../../_components/confirm-dialog.tsx';
import { MatchedOn } from '../../_components/matched-on.tsx';
import { ReasonDialog } from '../../_components/reason-dialog.tsx';
import {
  chatReducer,
  initialChatState,
  lastMessageId,
  lostInTransit,
  newClientId,
  type EndedInfo,
} from './chat-state.ts';
import { Composer } from './composer.tsx';
import { MessageLog } from './message-log.tsx';

/** The typing indicator goes away after this long without another typing event. */
const TYPING_SHOWN_MS = 3_000;

/** Answers meaning "there is no such chat for you" (a malformed token included). */
const MISSING: readonly TErrorCode[] = ['ERR_CHAT_NOT_FOUND', 'ERR_NOT_FOUND', 'ERR_BAD_REQUEST'];

const CONNECTION_TEXT: Record<TConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  restricted: 'Disconnected',
};

let nextPendingKey = 1;

export function ChatRoom({ token }: { token: string }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const socket = useSocket();
  const connection = useConnectionState();
  const now = useNow();
  const detail = trpc.chat.get.useQuery({ token }, { staleTime: 0, refetchOnWindowFocus: false });
  const send = trpc.chat.send.useMutation();
  const end = trpc.chat.end.useMutation();
  const report = trpc.chat.report.useMutation();
  const [reporting, setReporting] = useState(false);
  const [reported, setReported] = useState(false);
  const block = trpc.chat.block.useMutation();
  const [blocking, setBlocking] = useState(false);
  const [blocked, setBlocked] = useState(false);
  // Loaded at once when the server read the chat for this page (lib/page-data.ts).
  const [state, dispatch] = useReducer(chatReducer, detail.data, (data) =>
    data ? chatReducer(initialChatState, { type: 'loaded', detail: data }) : initialChatState,
  );
  const [typingAt, setTypingAt] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);

  useEffect(() => {
    if (detail.data) dispatch({ type: 'loaded', detail: detail.data });
  }, [detail.data]);

  const summary = state.summary;
  const expiresAt = summary ? Date.parse(summary.expires_at) : NaN;
  const expiredByClock = now !== null && !Number.isNaN(expiresAt) && now >= expiresAt;
  const ended: EndedInfo | null =
    state.ended ??
    (summary && summary.state !== 'active'
      ? { reason: summary.state === 'expired' ? 'expired' : 'ended' }
      : expiredByClock
        ? { reason: 'expired' }
        : null);
  const live = state.loaded && summary?.state === 'active';

  const refreshCounts = useEffectEvent(() => {
    void utils.session.get.invalidate();
    void utils.chat.list.invalidate();
  });

  // Receive this chat's events while it is open; `after` makes the server send only what is missing.
  const join = useEffectEvent(() => socket?.join(token, lastMessageId(state)));
  useEffect(() => {
    if (!socket || !live) return;
    join();
    return () => socket.leave(token);
  }, [socket, token, live]);

  // Messages sent over a socket that then closed are unconfirmed until the next `joined` says otherwise.
  useEffect(() => {
    if (connection !== 'open') dispatch({ type: 'socket_lost' });
  }, [connection]);

  useEffect(() => {
    if (typingAt === null) return;
    const timer = setTimeout(() => setTypingAt(null), TYPING_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [typingAt]);

  function sendOverApi(key: number, text: string, clientId: string) {
    send.mutateAsync({ token, text, client_id: clientId }).then(
      (message) => dispatch({ type: 'settled', key, message }),
      (error: unknown) => {
        dispatch({ type: 'settled', key });
        setProblem(`Your message was not sent. ${describeError(error)}`);
        if (appCodeOf(error) === 'ERR_CHAT_ENDED') void detail.refetch();
      },
    );
  }

  function handleSend(text: string): boolean {
    if (ended) return false;
    setProblem(null);
    const key = nextPendingKey++;
    const clientId = newClientId();
    const viaSocket = socket?.sendMessage(token, text, clientId) ?? false;
    dispatch({ type: 'pending', item: { key, clientId, text, via: viaSocket ? 'socket' : 'api', unconfirmed: false } });
    if (!viaSocket) sendOverApi(key, text, clientId);
    return true;
  }

  useSocketEvent((event) => {
    if (!('token' in event) || event.token !== token) return;
    switch (event.type) {
      case 'joined': {
        const lost = lostInTransit(state, event.messages);
        dispatch({ type: 'joined', chat: event.chat, messages: event.messages, hasMore: event.has_more });
        if (lost.length > 0) {
          dispatch({ type: 'resend', keys: lost.map((item) => item.key) });
          for (const item of lost) sendOverApi(item.key, item.text, item.clientId);
        }
        if (event.chat.state !== 'active') refreshCounts();
        break;
      }
      case 'message':
        dispatch({ type: 'message', message: event.message });
        if (event.message.from === 'partner') setTypingAt(null);
        break;
      case 'messages_removed':
        dispatch({ type: 'messages_removed', from: event.from });
        break;
      case 'typing':
        setTypingAt(Date.now());
        break;
      case 'partner_left':
        setTypingAt(null);
        dispatch({ type: 'partner_left' });
        break;
      case 'partner_joined':
        dispatch({ type: 'partner_joined' });
        break;
      case 'ended':
        setTypingAt(null);
        dispatch({ type: 'ended', ended: { reason: event.reason, ...(event.by ? { by: event.by } : {}) } });
        refreshCounts();
        break;
      case 'error':
        if (state.pending.some((item) => item.via === 'socket')) {
          dispatch({ type: 'drop_socket_pending' });
          setProblem(`Your message was not sent. ${describeCode(event.error)}`);
        } else if (event.error !== 'ERR_RATE_LIMITED') {
          setProblem(describeCode(event.error));
        }
        if (event.error === 'ERR_CHAT_ENDED' || event.error === 'ERR_CHAT_NOT_FOUND') void detail.refetch();
        break;
    }
  });

  async function endChat() {
    try {
      const summary = await end.mutateAsync({ token });
      dispatch({
        type: 'ended',
        ended: { reason: summary.state === 'expired' ? 'expired' : 'ended', by: 'me' },
        summary,
      });
      refreshCounts();
    } catch (error) {
      setProblem(describeError(error));
    }
  }

  async function submitReport(reason: string | undefined) {
    await report.mutateAsync({ token, reason: reason ?? '' });
    setReported(true);
    setTypingAt(null);
    dispatch({ type: 'ended', ended: { reason: 'reported', by: 'me' } });
    refreshCounts();
  }

  async function confirmBlock() {
    await block.mutateAsync({ token });
    setBlocked(true);
    setTypingAt(null);
    if (!ended) dispatch({ type: 'ended', ended: { reason: 'ended', by: 'me' } });
    refreshCounts();
    void utils.blocks.list.invalidate();
  }

  async function findNewPartner() {
    // A partner who walked away still holds the chat (and a free person's only slot): end it first.
    if (!ended && summary?.state === 'active') {
      try {
        await end.mutateAsync({ token });
        refreshCounts();
      } catch (error) {
        if (appCodeOf(error) !== 'ERR_CHAT_ENDED') {
          setProblem(describeError(error));
          return;
        }
      }
    }
    router.push('/');
  }

  async function loadOlder() {
    const oldest = state.messages[0];
    if (!oldest) return;
    setLoadingOlder(true);
    try {
      dispatch({ type: 'older', page: await utils.chat.messages.fetch({ token, before: oldest.id }) });
    } catch (error) {
      setProblem(`Could not load earlier messages. ${describeError(error)}`);
    } finally {
      setLoadingOlder(false);
    }
  }

  const errorCode = appCodeOf(detail.error);
  if (!summary && errorCode && MISSING.includes(errorCode)) return <ChatMissing />;
  if (!summary) {
    return (
      <div className="chat">
        <h1>Chat</h1>
        {detail.isError ? (
          <div role="alert" className="callout callout-error">
            <p>Could not open this chat. {describeError(detail.error)}</p>
            <button type="button" className="button" onClick={() => void detail.refetch()}>
              Try again
            </button>
          </div>
        ) : (
          <p role="status" className="muted">
            Loading the conversation…
          </p>
        )}
      </div>
    );
  }

  const partner = summary.partner;
  const notice = noticeOf(ended, state.partnerLeft, partner, reported, blocked);
  const restriction = connection === 'restricted' ? (socket?.restriction ?? 'ERR_FORBIDDEN') : null;
  const others = summary.common_interests.filter((tag) => tag !== summary.matched_interest);

  return (
    <div className="chat">
      <div className="chat-head">
        <div className="chat-title">
          <h1>Chat with {partner}</h1>
          <p className="chat-meta">
            <MatchedOn interest={summary.matched_interest} />
            {others.length > 0 && <> (also {others.join(', ')})</>}
          </p>
        </div>
        <div className="chat-status">
          <p className="expiry">
            {ended ? (
              ended.reason === 'expired' ? (
                'Expired'
              ) : (
                'Ended'
              )
            ) : (
              <>
                Expires in{' '}
                <span role="timer" data-testid="expiry">
                  {now === null ? '--:--:--' : formatHours(expiresAt - now)}
                </span>
              </>
            )}
          </p>
          <p
            className={`connection connection-${connection}`}
            data-testid="connection-state"
            data-state={connection}
            role="status"
            aria-live="polite"
          >
            {CONNECTION_TEXT[connection]}
          </p>
        </div>
      </div>

      {notice && (
        <div className="callout chat-notice" data-testid="chat-notice" role="status">
          <p>{notice.text}</p>
          {notice.hint && <p className="muted">{notice.hint}</p>}
          <button type="button" className="button button-primary" onClick={() => void findNewPartner()}>
            Find a new partner
          </button>
        </div>
      )}

      {state.hasMore && (
        <button
          type="button"
          className="button button-quiet load-older"
          onClick={() => void loadOlder()}
          disabled={loadingOlder}
        >
          Load earlier messages
        </button>
      )}

      <MessageLog messages={state.messages} pending={state.pending} partner={partner} />

      <div className="typing-slot" aria-live="polite">
        {typingAt !== null && !ended && (
          <p className="typing" data-testid="typing">
            {partner} is typing…
          </p>
        )}
      </div>

      {problem && (
        <div role="alert" className="callout callout-error">
          <p>{problem}</p>
        </div>
      )}

      {restriction && (
        <div role="alert" className="callout callout-error" data-testid="restricted">
          <p>{describeCode(restriction)}</p>
        </div>
      )}

      <Composer disabled={ended !== null} onSend={handleSend} onTyping={() => socket?.sendTyping(token)} />

      {(!ended || !reported || !blocked) && (
        <div className="chat-actions">
          {/* An abuser who leaves at once stays reportable and blockable: the buttons outlive the chat. */}
          {!reported && (
            <button type="button" className="button button-quiet" onClick={() => setReporting(true)}>
              Report
            </button>
          )}
          {/* A report blocks too, so after one there is nothing left to block. */}
          {!reported && !blocked && (
            <button type="button" className="button button-quiet" onClick={() => setBlocking(true)}>
              Block
            </button>
          )}
          {!ended && (
            <button
              type="button"
              className="button button-danger"
              onClick={() => void endChat()}
              disabled={end.isPending}
            >
              End chat
            </button>
          )}
        </div>
      )}

      {blocking && (
        <ConfirmDialog
          title={`Block ${partner}?`}
          confirmLabel="Block and end chat"
          onConfirm={confirmBlock}
          onClose={() => setBlocking(false)}
        >
          <p>
            The chat ends for both of you, and you will never be matched with each other again. {partner} is not told
            that you blocked them. You can lift the block later on your <Link href="/account#blocks">Account</Link>{' '}
            page.
          </p>
        </ConfirmDialog>
      )}

      {reporting && (
        <ReasonDialog
          title={`Report ${partner}`}
          confirmLabel="Report and end chat"
          onConfirm={submitReport}
          onClose={() => setReporting(false)}
        >
          <p>
            Tell the moderators what went wrong. The chat ends for both of you, and the moderators see its last
            messages.
          </p>
        </ReasonDialog>
      )}
    </div>
  );
}

function noticeOf(
  ended: EndedInfo | null,
  partnerLeft: boolean,
  partner: string,
  reported: boolean,
  blocked: boolean,
): { text: string; hint?: string } | null {
  const sent = reported
    ? 'Your report was sent to the moderators, and you will not be matched with each other again.'
    : blocked
      ? `You blocked ${partner}: you will not be matched with each other again.`
      : undefined;
  if (ended?.reason === 'reported' && ended.by === 'me') {
    return {
      text: 'You reported this chat; it has ended.',
      hint: 'Thank you. A moderator will look at it. You will not be matched with each other again.',
    };
  }
  if (blocked && ended?.by === 'me') return { text: `You blocked ${partner}; the chat has ended.`, hint: sent };
  if (ended?.reason === 'reported') return { text: `${partner} ended the chat.` };
  if (ended?.reason === 'moderated') return { text: 'A moderator ended this chat.', hint: sent };
  if (ended?.reason === 'expired') return { text: 'This chat expired.', hint: sent };
  if (ended?.by === 'me') return { text: 'You ended this chat.', hint: sent };
  if (ended?.by === 'partner') return { text: `${partner} left the chat.`, hint: sent };
  if (ended) return { text: 'This chat has ended.', hint: sent };
  if (partnerLeft) {
    return {
      text: `${partner} left the chat.`,
      hint: 'They may come back while the chat lasts. Finding a new partner ends this chat.',
    };
  }
  return null;
}

function ChatMissing() {
  return (
    <div className="missing">
      <h1>This chat does not exist</h1>
      <p>It may have been mistyped, or it belongs to someone else.</p>
      <p>
        <Link href="/" className="button button-primary">
          Find a partner
        </Link>{' '}
        <Link href="/chats">See my chats</Link>
      </p>
    </div>
  );
}
