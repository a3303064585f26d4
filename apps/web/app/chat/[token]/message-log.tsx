'use client';

import type { TMessage } from '@portal/contracts';
import { memo, useLayoutEffect, useRef } from 'react';
import type { PendingMessage } from './chat-state.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** Within this many pixels of the bottom, new messages keep the view pinned to the bottom. */
const STICK_PX = 80;

interface Props {
  messages: TMessage[];
  pending: PendingMessage[];
  partner: string;
}

/** Memoised: the room re-renders every second for its countdown, the log only when messages change. */
export const MessageLog = memo(function MessageLog({ messages, pending, partner }: Props) {
  const logRef = useRef<HTMLDivElement>(null);
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
    <div
      ref={logRef}
      className="log"
      role="log"
      aria-label="Messages"
      aria-live="polite"
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
                <time dateTime={message.created_at}>{timeFormat.format(new Date(message.created_at))}</time>
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
  );
});
