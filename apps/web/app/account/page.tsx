import type { Metadata } from 'next';
import { RequireSession } from '../../lib/session.tsx';
import { AccountView } from './account-view.tsx';

export const metadata: Metadata = { title: 'Account' };

export default function AccountPage() {
  return (
    <div className="account-page">
      <h1>Account</h1>
      <RequireSession>
        <AccountView />
      </RequireSession>
    </div>
  );
}
