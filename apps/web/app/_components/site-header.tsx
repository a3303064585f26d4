'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useSessionReady } from '../../lib/session.tsx';
import { trpc } from '../../lib/trpc.ts';

const NAV = [
  { href: '/', label: 'Find a partner' },
  { href: '/chats', label: 'My chats' },
  { href: '/docs', label: 'API docs' },
] as const;

export function SiteHeader() {
  const pathname = usePathname();
  return (
    <header className="site-header">
      <div className="site-header-inner">
        <Link href="/" className="brand">
          Portal
        </Link>
        <nav aria-label="Main">
          <ul className="nav-list">
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={pathname === item.href ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <PlanBadge />
      </div>
    </header>
  );
}

function PlanBadge() {
  const ready = useSessionReady();
  const session = trpc.session.get.useQuery({}, { enabled: ready });
  if (!session.data) return <p className="plan" aria-hidden="true" />;
  const { plan, active_chats, chat_limit, username } = session.data;
  return (
    <p className="plan" data-testid="plan">
      {username ? `${username} · ` : ''}
      {plan === 'premium' ? 'Premium' : 'Free'} · {active_chats}/{chat_limit} chats
    </p>
  );
}
