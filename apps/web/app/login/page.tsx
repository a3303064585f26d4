import type { Metadata } from 'next';
import { safeNextPath } from '../../lib/next-path.ts';
import { RequireSession } from '../../lib/session.tsx';
import { CredentialsForm } from '../_components/credentials-form.tsx';

export const metadata: Metadata = { title: 'Log in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  return (
    <div className="auth">
      <h1>Log in</h1>
      <p className="lede">Log in to chat under your username, with your plan&apos;s chat slots.</p>
      {/* After the session exists: a login racing the first visit's session cookie could lose to it. */}
      <RequireSession>
        <CredentialsForm mode="login" next={next} />
      </RequireSession>
    </div>
  );
}
