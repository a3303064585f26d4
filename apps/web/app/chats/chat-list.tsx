'use client';

import Link from 'next/link';
import { useSocketEvent } from '../../lib/realtime.tsx';
import { formatHours, useNow } from '../../lib/time.ts';
import { trpc } from '../../lib/trpc.ts';
import { MatchedOn, matchedText } from '../_components/matched-on.tsx';
import { QueryStatus } from '../_components/query-status.tsx';

export function ChatList() {
  const utils = trpc.useUtils();
  const list = trpc.chat.list.useQuery({}, { refetchInterval: 30_000 });
  const now = useNow();

  // A chat that ends or starts elsewhere changes this list and the slot count.
  useSocketEvent((event) => {
    if (event.type === 'ended' || event.type === 'matched') {
      void utils.chat.list.invalidate();
      void utils.session.get.invalidate();
    }
  });

  if (list.isPending || list.isError) return <QueryStatus query={list} what="your chats" />;

  const { chats, active_chats, chat_limit } = list.data;
  const active = chats.filter((chat) => chat.state === 'active' && (now === null || Date.parse(chat.expires_at) > now));
  const full = active_chats >= chat_limit;

  return (
    <>
      <p className="slots" data-testid="slots">
        Slots used: {active_chats}/{chat_limit}
      </p>
      {full && <p className="muted">All your chat slots are in use. End a chat to look for someone new.</p>}
      {active.length === 0 ? (
        <div className="callout">
          <p>You have no active chats.</p>
          <p>
            <Link href="/" className="button button-primary">
              Find a partner
            </Link>
          </p>
        </div>
      ) : (
        <ul className="chat-list">
          {active.map((chat) => (
            <li key={chat.token} className="chat-card" data-testid="chat-item">
              <h2 className="chat-card-title">
                <Link href={`/chat/${encodeURIComponent(chat.token)}`}>
                  {chat.partner}
                  <span className="sr-only">, {matchedText(chat.matched_interest)}</span>
                </Link>
              </h2>
              <p className="chat-card-meta">
                <MatchedOn interest={chat.matched_interest} />
              </p>
              <p className="chat-card-meta">
                Time left:{' '}
                <span data-testid="time-left">
                  {now === null ? '--:--:--' : formatHours(Date.parse(chat.expires_at) - now)}
                </span>
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
