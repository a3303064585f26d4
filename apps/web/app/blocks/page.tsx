import type { Metadata } from 'next';
import { RequireSession } from '../../lib/session.tsx';
import { BlockList } from './block-list.tsx';

export const metadata: Metadata = { title: 'Blocks' };

export default function BlocksPage() {
  return (
    <div className="blocks">
      <h1>Blocks</h1>
      <p className="muted">
        People you blocked or reported are never matched with you again. Lift a block here to allow it again.
      </p>
      <RequireSession>
        <BlockList />
      </RequireSession>
    </div>
  );
}
