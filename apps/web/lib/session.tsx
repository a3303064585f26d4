'use client';

import { createContext, useContext, useEffect, useRef, type ReactNode } from 'react';
import { describeError } from './errors.ts';
import { SocketProvider } from './realtime.tsx';
import { trpc } from './trpc.ts';

type SessionStatus = { state: 'pending' } | { state: 'ready' } | { state: 'error'; message: string; retry: () => void };

const SessionContext = createContext<SessionStatus>({ state: 'pending' });

/**
 * Makes sure the browser has a session (the psession cookie) before anything
 * that needs one runs: `session.create` returns the current session when the
 * cookie is already there, so calling it on every first load is safe.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const utils = trpc.useUtils();
  const create = trpc.session.create.useMutation({
    onSuccess: (session) => utils.session.get.setData({}, session),
  });
  const started = useRef(false);
  const { mutate } = create;
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    mutate({});
  }, [mutate]);

  const status: SessionStatus = create.isSuccess
    ? { state: 'ready' }
    : create.isError
      ? { state: 'error', message: describeError(create.error), retry: () => mutate({}) }
      : { state: 'pending' };

  return (
    <SessionContext value={status}>
      <SocketProvider enabled={create.isSuccess}>{children}</SocketProvider>
    </SessionContext>
  );
}

export function useSessionReady(): boolean {
  return useContext(SessionContext).state === 'ready';
}

/** Renders its children once the session exists; until then a short status line. */
export function RequireSession({ children }: { children: ReactNode }) {
  const status = useContext(SessionContext);
  if (status.state === 'ready') return children;
  if (status.state === 'error') {
    return (
      <div role="alert" className="callout callout-error">
        <p>Could not start your session. {status.message}</p>
        <button type="button" className="button" onClick={status.retry}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <p role="status" className="muted">
      Starting your session…
    </p>
  );
}
