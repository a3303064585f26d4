import type { Metadata } from 'next';
import { safeNextPath } from '../../lib/next-path.ts';
import { RequireSession } from '../../lib/session.tsx';
import { CredentialsForm } from '../_components/credentials-form.tsx';

export const metadata: Metadata = { title: 'Register' };

export default async function RegisterPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  return (
    <div className="auth">
      <h1>Register</h1>
      <p className="lede">
        Pick a username and password. Your partners see your username instead of &ldquo;Stranger&rdquo;, and any chats
        you have now stay yours.
      </p>
      {/* After the session exists: the stranger session is what becomes the account. */}
      <RequireSession>
        <CredentialsForm mode="register" next={next} />
      </RequireSession>
    </div>
  );
}
