import type { Metadata } from 'next';
import { RequireSession } from '../../lib/session.tsx';
import { ModerationConsole } from './moderation-console.tsx';

export const metadata: Metadata = { title: 'Moderation' };

export default function ModerationPage() {
  return (
    <div className="moderation">
      <h1>Moderation</h1>
      <RequireSession>
        <ModerationConsole />
      </RequireSession>
    </div>
  );
}
