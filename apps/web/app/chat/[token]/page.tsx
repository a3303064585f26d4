import { HydrationBoundary } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { prefetchForPage } from '../../../lib/page-data.ts';
import { RequireSession } from '../../../lib/session.tsx';
import { ChatRoom } from './chat-room.tsx';

export const metadata: Metadata = { title: 'Chat' };

export default async function ChatPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const state = await prefetchForPage((trpc) => trpc.chat.get.fetch({ token }));
  return (
    <HydrationBoundary state={state}>
      <RequireSession>
        {/* A fresh room per token: nothing of one conversation leaks into the next. */}
        <ChatRoom key={token} token={token} />
      </RequireSession>
    </HydrationBoundary>
  );
}
