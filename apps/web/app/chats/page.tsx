import { HydrationBoundary } from '@tanstack/react-query';
import type { Metadata } from 'next';
import { prefetchForPage } from '../../lib/page-data.ts';
import { RequireSession } from '../../lib/session.tsx';
import { ChatList } from './chat-list.tsx';

export const metadata: Metadata = { title: 'My chats' };

export default async function ChatsPage() {
  const state = await prefetchForPage((trpc) => trpc.chat.list.fetch({}));
  return (
    <div className="chats">
      <h1>My chats</h1>
      <HydrationBoundary state={state}>
        <RequireSession>
          <ChatList />
        </RequireSession>
      </HydrationBoundary>
    </div>
  );
}
