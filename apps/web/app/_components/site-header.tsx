'use client';

import type { TSession } from '@portal/contracts';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useState } from 'react';
import { describeError } from '../../lib/errors.ts';
import { authHref } from '../../lib/next-path.ts';
import { useSessionControl, useSessionReady } from '../../lib/session.tsx';
import { trpc } from '../../lib/trpc.ts';

const NAV = [
  { href: '/', label: 'Find a partner' },
  { href: '/chats', label: 'My chats' },
  { href: '/account', label: 'Account' },
  { href: '/docs', label: 'API docs' },
] as const;

const MODERATION = { href: '/moderation', label: 'Moderation' } as const;

// The header's links are on every page and every page renders per request: prefetching them
// as they scroll into view would cost each visit a server render of every page linked (two
// requests each) and the parsing of those answers, during the page's own start. A click fetches.

export function SiteHeader() {
  const pathname = usePathname();
  const ready = useSessionReady();
  const session = trpc.session.get.useQuery({}, { enabled: ready });
  const nav = session.data?.role === 'moderator' ? [...NAV, MODERATION] : NAV;
  return (
    <header className="site-header">
      <div className="site-header-inner">
        <Link href="/" className="brand" prefetch={false}>
          Portal
        </Link>
        <nav aria-label="Main">
          <ul className="nav-list">
            {nav.map((item) => (
              <li key={item.href}>
                <Link href={item.href} prefetch={false} aria-current={pathname === item.href ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {session.data ? <Account session={session.data} pathname={pathname} /> : <div className="account" />}
      </div>
    </header>
  );
}

/** Who this tab is, the plan and the slots in use, and the way in or out. */
function Account({ session, pathname }: { session: TSession; pathname: string }) {
  const router = useRouter();
  const control = useSessionControl();
  const logout = trpc.auth.logout.useMutation();
  const [failure, setFailure] = useState<string | null>(null);
  // Back to this page afterwards, except from the pages that log in, and from a chat when logging in:
  // a stranger's chats end when they log in to an existing account (registering keeps them).
  const back = pathname === '/login' || pathname === '/register' ? '/' : pathname;
  const afterLogin = pathname.startsWith('/chat/') ? '/' : back;

  async function logOut() {
    setFailure(null);
    try {
      await control.signOut(() => logout.mutateAsync({}));
      router.push('/');
    } catch (error) {
      setFailure(`Could not log out. ${describeError(error)}`);
    }
  }

  return (
    <div className="account" data-testid="account">
      <p className="identity">
        <span className="identity-name" data-testid="account-name">
          {session.username ?? 'Stranger'}
        </span>
        <span aria-hidden="true"> · </span>
        <span className="sr-only">, plan: </span>
        <span data-testid="account-plan">{session.plan === 'premium' ? 'Premium' : 'Free'}</span>
        <span aria-hidden="true"> · </span>
        <span className="sr-only">, chats in use: </span>
        <span data-testid="account-slots">
          {session.active_chats}/{session.chat_limit}
        </span>
        <span aria-hidden="true"> chats</span>
      </p>
      {session.kind === 'stranger' ? (
        <ul className="account-actions">
          <li>
            <Link
              href={authHref('/login', afterLogin)}
              prefetch={false}
              aria-current={pathname === '/login' ? 'page' : undefined}
            >
              Log in
            </Link>
          </li>
          <li>
            <Link
              href={authHref('/register', back)}
              prefetch={false}
              className="button button-small"
              aria-current={pathname === '/register' ? 'page' : undefined}
            >
              Register
            </Link>
          </li>
        </ul>
      ) : (
        <button type="button" className="button button-small" onClick={() => void logOut()} disabled={logout.isPending}>
          Log out
        </button>
      )}
      {failure && (
        <p role="alert" className="account-error">
          {failure}
        </p>
      )}
    </div>
  );
}
