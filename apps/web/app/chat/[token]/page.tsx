import type { Metadata } from 'next';
import { RequireSession } from '../../../lib/session.tsx';
import { ChatRoom } from './chat-room.tsx';

export const metadata: Metadata = { title: 'Chat' };

export default async function ChatPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <RequireSession>
      {/* A fresh room per token: nothing of one conversation leaks into the next. */}
      <ChatRoom key={token} token={token} />
    </RequireSession>
  );
}
