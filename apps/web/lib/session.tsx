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

/** The session was signed out from elsewhere (another device, a password change, expiry) while this tab was open. */
interface SignedOutNotice {
  signedOut: boolean;
  dismiss: () => void;
}

const SessionContext = createContext<SessionStatus>({ state: 'pending' });
const SessionControlContext = createContext<SessionControl | null>(null);
const SignedOutContext = createContext<SignedOutNotice>({ signedOut: false, dismiss: () => undefined });

/**
 * Makes sure the browser has a session (the psession cookie) before anything
 * that needs one runs: `session.create` returns the current session when the
 * cookie is already there, so calling it on every first load is safe. When the
 * server rendered the page with the cookie's session, the tab starts with it and
 * makes no call. When the cookie changes (register, login, logout, or a socket
 * closed because the session was signed out elsewhere) every query is refetched
 * and a new socket opens with the new cookie.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const utils = trpc.useUtils();
  const { mutateAsync: create } = trpc.session.create.useMutation();
  // The server rendered the page with the cookie's session (lib/page-data.ts): nothing to wait for.
  const [rendered] = useState(() => utils.session.get.getData({}) !== undefined);
  const [status, setStatus] = useState<SessionStatus>({ state: rendered ? 'ready' : 'pending' });
  const [signedOut, setSignedOut] = useState(false);
  /** Bumped for every new cookie: the socket is re-opened with it. */
  const [epoch, setEpoch] = useState(rendered ? 1 : 0);
  const renewing = useRef<Promise<void> | null>(null);
  /** Register, login or logout calls in flight: the server closes our socket meanwhile, on purpose. */
  const changing = useRef(0);
  const signedOutMeanwhile = useRef(false);
  const adopted = useRef(rendered);

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
      .then(
        (session) => {
          setSignedOut(false);
          adopt(session);
        },
        (error: unknown) => {
          setStatus({ state: 'error', message: describeError(error), retry: () => void renew() });
        },
      )
      .finally(() => {
        renewing.current = null;
      });
    return renewing.current;
  }, [adopt, create]);

  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    // A session the server read is the cookie's own: `session.create` would return it unchanged.
    if (!rendered) void renew();
  }, [renew, rendered]);

  /** The server closed our socket (4401) without this tab asking: the cookie may be signed out. */
  const onSignedOut = useCallback(() => {
    if (changing.current > 0) {
      signedOutMeanwhile.current = true;
      return;
    }
    const before = utils.session.get.getData({});
    void renew().then(() => {
      const after = utils.session.get.getData({});
      // A fresh stranger where someone was: signed out from another device, by a password change
      // or a deletion, or expired. (Another tab of this browser logging in is no sign-out: no notice.)
      if (before && after && after.kind === 'stranger' && after.id !== before.id) setSignedOut(true);
    });
  }, [renew, utils]);

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
      // Still ours until the new session is adopted: the old socket's 4401 may arrive after the answer.
      try {
        await after(result);
      } finally {
        changing.current -= 1;
        signedOutMeanwhile.current = false;
      }
      return result;
    }
    return {
      signIn: (run) =>
        change(run, (session) => {
          setSignedOut(false);
          adopt(session);
        }),
      signOut: (run) => change(run, renew),
    };
  }, [adopt, renew]);

  const notice = useMemo<SignedOutNotice>(() => ({ signedOut, dismiss: () => setSignedOut(false) }), [signedOut]);

  return (
    <SessionContext value={status}>
      <SessionControlContext value={control}>
        <SignedOutContext value={notice}>
          <SocketProvider epoch={status.state === 'ready' ? epoch : 0} onSignedOut={onSignedOut}>
            {children}
          </SocketProvider>
        </SignedOutContext>
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

/** Whether this tab was signed out from elsewhere and has not dismissed the notice yet. */
export function useSignedOutNotice(): SignedOutNotice {
  return useContext(SignedOutContext);
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
