import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { MatchAnnouncer } from '../lib/match-alerts.tsx';
import { prefetchForPage } from '../lib/page-data.ts';
import { SignedOutNotice } from './_components/signed-out-notice.tsx';
import { SiteHeader } from './_components/site-header.tsx';
import { Providers } from './providers.tsx';
import './globals.css';

/**
 * Every page renders per request: its scripts carry that response's CSP nonce
 * (server/csp.ts), which a page prerendered at build time could not know.
 */
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Portal — talk to someone who likes what you like', template: '%s · Portal' },
  description: 'Pick up to three interests and get paired with a stranger who shares one.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#f7f7f4' },
    { media: '(prefers-color-scheme: dark)', color: '#14161a' },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The session, from the page request's cookie: the header and RequireSession render with it at once.
  const state = await prefetchForPage((trpc) => trpc.session.get.fetch({}));
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <Providers state={state}>
          <SiteHeader />
          <main id="main" tabIndex={-1}>
            <SignedOutNotice />
            <MatchAnnouncer />
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}
