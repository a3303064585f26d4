import type { Metadata } from 'next';
import { RequireSession } from '../../lib/session.tsx';
import { ChatList } from './chat-list.tsx';

export const metadata: Metadata = { title: 'My chats' };

export default function ChatsPage() {
  return (
    <div className="chats">
      <h1>My chats</h1>
      <RequireSession>
        <ChatList />
      </RequireSession>
    </div>
  );
}
