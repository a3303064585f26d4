'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { authHref } from '../../lib/next-path.ts';
import { useSignedOutNotice } from '../../lib/session.tsx';

/**
 * Says so when this tab's session was signed out from elsewhere (another device, a
 * password change, a deletion, expiry): the tab carries on as a new stranger, and
 * without this the only sign would be the name in the header.
 */
export function SignedOutNotice() {
  const { signedOut, dismiss } = useSignedOutNotice();
  const pathname = usePathname();
  if (!signedOut) return null;
  return (
    <div role="alert" className="callout callout-warn signed-out" data-testid="signed-out">
      <p>
        <strong>You were signed out.</strong> This device&apos;s session was ended elsewhere (from another device, by a
        password change, or because it expired). You are now a new stranger here.
      </p>
      <p className="signed-out-actions">
        <Link href={authHref('/login', pathname.startsWith('/chat/') ? '/' : pathname)} className="button button-small">
          Log in again
        </Link>
        <button type="button" className="button button-small button-quiet" onClick={dismiss}>
          Dismiss
        </button>
      </p>
    </div>
  );
}
