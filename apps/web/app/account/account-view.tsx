'use client';

import type { TSession } from '@portal/contracts';
import Link from 'next/link';
import { authHref } from '../../lib/next-path.ts';
import { trpc } from '../../lib/trpc.ts';
import { BlockList } from '../blocks/block-list.tsx';
import { DeleteAccount } from './delete-account.tsx';
import { PasswordForm } from './password-form.tsx';
import { SessionList } from './session-list.tsx';
import { QueryStatus } from '../_components/query-status.tsx';

/** The export is served as an attachment: a plain link downloads it (no script, nothing for the CSP to refuse). */
const EXPORT_PATH = '/v1/portal/account/export';

/** Who you are, where you are signed in, your password, your data, your blocks, and the way out. */
export function AccountView() {
  const session = trpc.session.get.useQuery({});

  if (session.isPending || session.isError) return <QueryStatus query={session} what="your account" />;
  const me = session.data;
  const registered = me.kind === 'registered';

  return (
    <>
      <Identity session={me} />

      <section className="account-section" aria-labelledby="account-sessions">
        <h2 id="account-sessions">Where you are signed in</h2>
        <SessionList registered={registered} />
      </section>

      {registered && (
        <section className="account-section" aria-labelledby="account-password">
          <h2 id="account-password">Change password</h2>
          <PasswordForm username={me.username ?? ''} />
        </section>
      )}

      <section className="account-section" aria-labelledby="blocks">
        <h2 id="blocks">Your blocks</h2>
        <p className="muted">
          People you blocked or reported are never matched with you again. Lift a block here to allow it again.
        </p>
        <BlockList headingLevel={3} />
      </section>

      <section className="account-section" aria-labelledby="account-data">
        <h2 id="account-data">Your data</h2>
        <p className="muted">
          Everything Portal holds that is yours, as one JSON file: your {registered ? 'account' : 'session'}, where you
          are signed in, your chats with the messages you sent (never your partners&apos;), and your blocks.
        </p>
        <a href={EXPORT_PATH} download className="button" data-testid="export-link">
          Download my data
        </a>
      </section>

      <section className="account-section" aria-labelledby="account-delete">
        <h2 id="account-delete">Delete {registered ? 'my account' : 'me'}</h2>
        <DeleteAccount session={me} />
      </section>
    </>
  );
}

function Identity({ session }: { session: TSession }) {
  const plan = session.plan === 'premium' ? 'Premium' : 'Free';
  return (
    <section className="account-section" aria-labelledby="account-who">
      <h2 id="account-who">You</h2>
      <dl className="facts">
        <div>
          <dt>Name</dt>
          <dd data-testid="me-name">{session.kind === 'registered' ? session.username : 'Stranger'}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{session.kind === 'registered' ? 'Registered account' : 'Stranger (no account)'}</dd>
        </div>
        <div>
          <dt>Plan</dt>
          <dd data-testid="me-plan">
            {plan}: up to {session.chat_limit} {session.chat_limit === 1 ? 'chat' : 'chats'} at once
          </dd>
        </div>
        {session.role === 'moderator' && (
          <div>
            <dt>Role</dt>
            <dd>Moderator</dd>
          </div>
        )}
      </dl>
      {session.kind === 'stranger' && (
        <div className="callout" data-testid="register-invite">
          <p>
            <strong>Keep your identity.</strong> As a stranger you exist only in this browser: clear its cookies and
            you, your chats and your blocks are gone. Register to keep them, with a name of your choosing; your active
            chats stay yours.
          </p>
          <p>
            <Link href={authHref('/register', '/account')} className="button button-primary">
              Register
            </Link>
          </p>
        </div>
      )}
    </section>
  );
}
