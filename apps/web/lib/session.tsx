'use client';

import type { TSession } from '@portal/contracts';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { describeError } from './errors.ts';
import { SocketProvider } from './realtime.tsx';
import { trpc } from './trpc.ts';

type SessionStatus = { state: 'pending' } | { state: 'ready' } | { state: 'error'; message: string; retry: () => void };

interface SessionControl {
  /** Runs a register or login call; afterwards everything (queries, socket) follows the new cookie. */
  signIn: (change: () => Promise<TSession>) => Promise<TSession>;
  /** Runs a logout call; afterwards the tab starts over as a new stranger, as on a first visit. */
  signOut: (change: () => Promise<void>) => Promise<void>;
}

const SessionContext = createContext<SessionStatus>({ state: 'pending' });
const SessionControlContext = createContext<SessionControl | null>(null);

/**
 * Makes sure the browser has a session (the psession cookie) before anything
 * that needs one runs: `session.create` returns the current session when the
 * cookie is already there, so calling it on every first load is safe. When the
 * cookie changes (register, login, logout, or a socket closed because the
 * session was signed out elsewhere) every query is refetched and a new socket
 * opens with the new cookie.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const utils = trpc.useUtils();
  const { mutateAsync: create } = trpc.session.create.useMutation();
  const [status, setStatus] = useState<SessionStatus>({ state: 'pending' });
  /** Bumped for every new cookie: the socket is re-opened with it. */
  const [epoch, setEpoch] = useState(0);
  const renewing = useRef<Promise<void> | null>(null);
  /** Register, login or logout calls in flight: the server closes our socket meanwhile, on purpose. */
  const changing = useRef(0);
  const signedOutMeanwhile = useRef(false);
  const adopted = useRef(false);

  const adopt = useCallback(
    (session: TSession) => {
      // Everything cached so far belonged to the previous session (on the first visit nothing is cached yet).
      if (adopted.current) void utils.invalidate();
      adopted.current = true;
      utils.session.get.setData({}, session);
      setStatus({ state: 'ready' });
      setEpoch((value) => value + 1);
    },
    [utils],
  );

  const renew = useCallback((): Promise<void> => {
    renewing.current ??= create({})
      .then(adopt, (error: unknown) => {
        setStatus({ state: 'error', message: describeError(error), retry: () => void renew() });
      })
      .finally(() => {
        renewing.current = null;
      });
    return renewing.current;
  }, [adopt, create]);

  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void renew();
  }, [renew]);

  const onSignedOut = useCallback(() => {
    if (changing.current > 0) signedOutMeanwhile.current = true;
    else void renew();
  }, [renew]);

  const control = useMemo<SessionControl>(() => {
    async function change<T>(run: () => Promise<T>, after: (result: T) => Promise<void> | void): Promise<T> {
      changing.current += 1;
      let result: T;
      try {
        result = await run();
      } catch (error) {
        changing.current -= 1;
        // The call failed, yet the server had already closed our socket: catch up with whatever the cookie is now.
        if (changing.current === 0 && signedOutMeanwhile.current) {
          signedOutMeanwhile.current = false;
          void renew();
        }
        throw error;
      }
      changing.current -= 1;
      signedOutMeanwhile.current = false;
      await after(result);
      return result;
    }
    return {
      signIn: (run) => change(run, adopt),
      signOut: (run) => change(run, renew),
    };
  }, [adopt, renew]);

  return (
    <SessionContext value={status}>
      <SessionControlContext value={control}>
        <SocketProvider epoch={status.state === 'ready' ? epoch : 0} onSignedOut={onSignedOut}>
          {children}
        </SocketProvider>
      </SessionControlContext>
    </SessionContext>
  );
}

export function useSessionReady(): boolean {
  return useContext(SessionContext).state === 'ready';
}

export function useSessionControl(): SessionControl {
  const control = useContext(SessionControlContext);
  if (!control) throw new Error('useSessionControl needs a SessionProvider');
  return control;
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
