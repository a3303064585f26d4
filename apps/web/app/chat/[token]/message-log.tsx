'use client';

import type { TMessage } from '@portal/contracts';
import { memo, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { LocalTime } from '../../_components/local-time.tsx';
import type { PendingMessage } from './chat-state.ts';

/** Within this many pixels of the bottom, new messages keep the view pinned to the bottom. */
const STICK_PX = 80;
/** The latest announced messages kept in the live region (older ones leave it silently). */
const SPOKEN_KEPT = 5;

interface Props {
  messages: TMessage[];
  pending: PendingMessage[];
  partner: string;
}

/**
 * Memoised: the room re-renders every second for its countdown, the log only when messages change.
 *
 * The list is a `log` for what it is, but not itself a live region: a live log
 * would also read out older messages as "Load older" puts them in, and a catch-up
 * after a reconnect. Screen readers hear the partner's new messages, each once,
 * through the polite region below it; what the person sent, and the history
 * present when the chat opened, are not read out.
 */
export const MessageLog = memo(function MessageLog({ messages, pending, partner }: Props) {
  const logRef = useRef<HTMLDivElement>(null);
  const spoken = useNewPartnerMessages(messages);
  const stick = useRef(true);
  const previous = useRef<{ first?: number; last?: number; height: number }>({ height: 0 });
  const first = messages[0]?.id;
  const last = messages[messages.length - 1];

  useLayoutEffect(() => {
    const log = logRef.current;
    if (!log) return;
    const before = previous.current;
    if (before.first !== undefined && first !== undefined && first < before.first && last?.id === before.last) {
      // Older messages went in above: keep what the reader was looking at in place.
      log.scrollTop += log.scrollHeight - before.height;
    } else if (stick.current || last?.from === 'me' || pending.length > 0) {
      log.scrollTop = log.scrollHeight;
    }
    previous.current = { first, last: last?.id, height: log.scrollHeight };
  }, [first, last, pending.length]);

  return (
    <>
      <div
        ref={logRef}
        className="log"
        role="log"
        aria-label="Messages"
        aria-live="off"
        tabIndex={0}
        onScroll={(event) => {
          const log = event.currentTarget;
          stick.current = log.scrollHeight - log.scrollTop - log.clientHeight < STICK_PX;
        }}
      >
        {messages.length === 0 && pending.length === 0 ? (
          <p className="log-empty">No messages yet. Say hello!</p>
        ) : (
          <ol className="messages">
            {messages.map((message) => (
              <li
                key={message.id}
                className={`msg msg-${message.from}${message.deleted ? ' msg-removed' : ''}`}
                data-testid="message"
                data-from={message.from}
              >
                {message.deleted ? (
                  <p className="msg-text">
                    <em>message removed</em>
                  </p>
                ) : (
                  <p className="msg-text">{message.text}</p>
                )}
                <p className="msg-meta">
                  <span className="sr-only">{message.from === 'me' ? 'You' : partner}, </span>
                  <LocalTime iso={message.created_at} show="time" />
                </p>
              </li>
            ))}
            {pending.map((item) => (
              <li key={`pending-${item.key}`} className="msg msg-me msg-pending" aria-hidden="true">
                <p className="msg-text">{item.text}</p>
                <p className="msg-meta">Sending…</p>
              </li>
            ))}
          </ol>
        )}
      </div>
      <div className="sr-only" aria-live="polite" data-testid="message-announcer">
        {spoken.map((message) => (
          <p key={message.id}>
            {partner}: {message.text}
          </p>
        ))}
      </div>
    </>
  );
});

/** The partner's messages that arrived after the log first showed, newest last (the latest few). */
function useNewPartnerMessages(messages: TMessage[]): TMessage[] {
  const seen = useRef<number | null>(null);
  const [spoken, setSpoken] = useState<TMessage[]>([]);
  useEffect(() => {
    const newest = messages.reduce((max, message) => Math.max(max, message.id), 0);
    const before = seen.current;
    seen.current = Math.max(before ?? 0, newest);
    if (before === null) return;
    const fresh = messages.filter((message) => message.id > before && message.from === 'partner' && !message.deleted);
    if (fresh.length > 0) setSpoken((current) => [...current, ...fresh].slice(-SPOKEN_KEPT));
  }, [messages]);
  return spoken;
}
