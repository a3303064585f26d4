'use client';

import type { TSessionSummary } from '@portal/contracts';
import { useState } from 'react';
import { describeError } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/time.ts';
import { LocalTime } from '../_components/local-time.tsx';
import { trpc } from '../../lib/trpc.ts';
import { QueryStatus } from '../_components/query-status.tsx';

/** The person's live sessions, this device first, each other one with its own "Sign out". */
export function SessionList({ registered }: { registered: boolean }) {
  const utils = trpc.useUtils();
  const list = trpc.auth.sessions.useQuery({});
  const revokeOthers = trpc.auth.revokeOtherSessions.useMutation();
  const [status, setStatus] = useState('');
  const [failure, setFailure] = useState<string | null>(null);

  async function signOutOthers() {
    setFailure(null);
    setStatus('');
    try {
      await revokeOthers.mutateAsync({});
      setStatus('Every other session was signed out.');
    } catch (error) {
      setFailure(`Could not sign out the other sessions. ${describeError(error)}`);
    }
    await utils.auth.sessions.invalidate();
  }

  if (list.isPending || list.isError) return <QueryStatus query={list} what="your sessions" />;

  const others = list.data.sessions.filter((session) => !session.current);
  return (
    <>
      <p className="muted">
        {registered
          ? 'Every browser or app signed in to your account. Sign out any you do not recognise, or a lost phone.'
          : 'A stranger is one session: this browser. Register to use your identity on other devices too.'}
      </p>
      <ul className="chat-list" data-testid="session-list">
        {list.data.sessions.map((session) => (
          <SessionItem key={session.id} session={session} onSignedOut={setStatus} />
        ))}
      </ul>
      {others.length > 0 && (
        <p className="account-actions-row">
          <button
            type="button"
            className="button"
            onClick={() => void signOutOthers()}
            disabled={revokeOthers.isPending}
          >
            Sign out everywhere else
          </button>
        </p>
      )}
      <p role="status" className="mod-status" data-testid="sessions-status">
        {status}
      </p>
      {failure && (
        <p role="alert" className="field-message">
          {failure}
        </p>
      )}
    </>
  );
}

function SessionItem({ session, onSignedOut }: { session: TSessionSummary; onSignedOut: (status: string) => void }) {
  const utils = trpc.useUtils();
  const revoke = trpc.auth.revokeSession.useMutation();
  const [failure, setFailure] = useState<string | null>(null);

  async function signOut() {
    setFailure(null);
    try {
      await revoke.mutateAsync({ id: session.id });
      onSignedOut(`${session.device} (last seen ${formatDateTime(session.last_seen_at)}) was signed out.`);
    } catch (error) {
      setFailure(describeError(error));
    }
    // Gone either way: signed out now, or already (404).
    await utils.auth.sessions.invalidate();
  }

  return (
    <li className="chat-card" data-testid={session.current ? 'session-current' : 'session-other'}>
      <h3 className="chat-card-title">
        {session.device}
        {session.current && (
          <>
            {' '}
            <span className="tag">This device</span>
          </>
        )}
      </h3>
      <p className="chat-card-meta">
        Last seen <LocalTime iso={session.last_seen_at} />, started <LocalTime iso={session.created_at} />
      </p>
      {!session.current && (
        <button
          type="button"
          className="button button-small"
          onClick={() => void signOut()}
          disabled={revoke.isPending}
        >
          Sign out
          <span className="sr-only">
            {' '}
            {session.device}, last seen <LocalTime iso={session.last_seen_at} />
          </span>
        </button>
      )}
      {failure && (
        <p role="alert" className="field-message">
          {failure}
        </p>
      )}
    </li>
  );
}
