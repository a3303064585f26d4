'use client';

import type { TSession } from '@portal/contracts';
import { checkPassword, checkUsername, isLoginPassword, isLoginUsername } from '@portal/contracts/browser';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { appCodeOf, describeError } from '../../lib/errors.ts';
import { authHref } from '../../lib/next-path.ts';
import { useSessionControl } from '../../lib/session.tsx';
import { trpc } from '../../lib/trpc.ts';
import { PasswordField } from './password-field.tsx';

type Mode = 'login' | 'register';

const COPY = {
  login: { submit: 'Log in', busy: 'Logging in…', passwordComplete: 'current-password' },
  register: { submit: 'Create account', busy: 'Creating your account…', passwordComplete: 'new-password' },
} as const;

/** Characters a username can never hold: said at once, not only after leaving the field. */
const NOT_USERNAME = /[^a-z0-9_]/;

function usernameIssue(mode: Mode, value: string): string | null {
  if (value === '') return 'Enter a username.';
  if (mode === 'login') return isLoginUsername(value) ? null : 'This is too long.';
  const result = checkUsername(value);
  return result.ok ? null : result.message;
}

function passwordIssue(mode: Mode, value: string): string | null {
  if (value === '') return 'Enter a password.';
  if (mode === 'login') return isLoginPassword(value) ? null : 'This is too long.';
  const result = checkPassword(value);
  return result.ok ? null : result.message;
}

/**
 * The login and register form: labelled fields checked live with the shared
 * rules (after a field is left, or at once for impossible characters),
 * the server's refusals next to the field they are about, then on to `next`.
 */
export function CredentialsForm({ mode, next }: { mode: Mode; next: string }) {
  const id = useId();
  const router = useRouter();
  const control = useSessionControl();
  const session = trpc.session.get.useQuery({});
  const register = trpc.auth.register.useMutation();
  const login = trpc.auth.login.useMutation();
  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const failureRef = useRef<HTMLDivElement>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [left, setLeft] = useState({ username: false, password: false });
  const [submitted, setSubmitted] = useState(false);
  const [taken, setTaken] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const copy = COPY[mode];

  const uIssue =
    taken !== null && taken === username ? 'That username is taken. Try another one.' : usernameIssue(mode, username);
  const pIssue = passwordIssue(mode, password);
  const shownU =
    submitted || left.username || taken === username || (mode === 'register' && NOT_USERNAME.test(username))
      ? uIssue
      : null;
  const shownP = submitted || left.password ? pIssue : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setSubmitted(true);
    if (uIssue) {
      usernameRef.current?.focus();
      return;
    }
    if (pIssue) {
      passwordRef.current?.focus();
      return;
    }
    setFailure(null);
    setBusy(true);
    try {
      const credentials = { username, password };
      await control.signIn((): Promise<TSession> => (mode === 'register' ? register : login).mutateAsync(credentials));
      router.replace(next);
    } catch (error) {
      setBusy(false);
      const code = appCodeOf(error);
      if (code === 'ERR_USERNAME_TAKEN') {
        setTaken(username);
        usernameRef.current?.focus();
        return;
      }
      setFailure(
        code === 'ERR_STRANGER_BLOCKED'
          ? 'You have been blocked by a moderator, so you cannot register.'
          : describeError(error),
      );
      // The alert is read out; focus goes back to where the fix usually is.
      if (code === 'ERR_INVALID_CREDENTIALS') {
        passwordRef.current?.focus();
        passwordRef.current?.select();
      }
    }
  }

  // On a phone the explanation can land below the fold.
  useEffect(() => {
    if (failure) failureRef.current?.scrollIntoView({ block: 'nearest' });
  }, [failure]);

  // Not while signing in: the answer updates the session before the page moves on.
  const current = busy ? undefined : session.data;
  let note: ReactNode = null;
  if (current?.kind === 'registered') {
    note = (
      <p>
        You are logged in as <strong>{current.username}</strong>. Continuing signs you out of that account first.
      </p>
    );
  } else if (current && current.active_chats > 0 && mode === 'login') {
    const chats = current.active_chats === 1 ? 'an active chat' : `${current.active_chats} active chats`;
    note = (
      <>
        <p>
          <strong>You have {chats} as a stranger.</strong> Logging in ends {current.active_chats === 1 ? 'it' : 'them'}:
          a stranger&apos;s chats do not move into an existing account.
        </p>
        <p>
          To keep them, <Link href={authHref('/register', next)}>register a new account</Link> instead.
        </p>
      </>
    );
  } else if (current && current.active_chats > 0) {
    note = <p>Your active chats stay yours when you register.</p>;
  }

  return (
    <form className="auth-form" onSubmit={(event) => void submit(event)} noValidate aria-label={copy.submit}>
      {note && (
        <div className="callout callout-warn" data-testid="auth-note">
          {note}
        </div>
      )}

      <div className="field">
        <label htmlFor={`${id}-username`} className="field-label">
          Username
        </label>
        <input
          ref={usernameRef}
          id={`${id}-username`}
          className="text-input"
          type="text"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          maxLength={64}
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          onBlur={() => setLeft((was) => ({ ...was, username: username !== '' || was.username }))}
          aria-invalid={shownU ? true : undefined}
          aria-describedby={`${mode === 'register' ? `${id}-username-help ` : ''}${id}-username-issue`}
        />
        {mode === 'register' && (
          <p id={`${id}-username-help`} className="field-help">
            3–20 lowercase letters, digits or _. Others see it instead of &ldquo;Stranger&rdquo;.
          </p>
        )}
        <p id={`${id}-username-issue`} className="field-message" aria-live="polite" data-testid="username-message">
          {shownU}
        </p>
      </div>

      <div className="field">
        <PasswordField
          id={`${id}-password`}
          label="Password"
          name="password"
          autoComplete={copy.passwordComplete}
          inputRef={passwordRef}
          value={password}
          onChange={setPassword}
          onBlur={() => setLeft((was) => ({ ...was, password: password !== '' || was.password }))}
          show={showPassword}
          issue={shownP}
          help={mode === 'register' ? '10–200 characters. A few unrelated words make a good one.' : undefined}
          issueTestId="password-message"
        />
        <label className="checkbox">
          <input type="checkbox" checked={showPassword} onChange={(event) => setShowPassword(event.target.checked)} />
          Show password
        </label>
      </div>

      {failure && (
        <div ref={failureRef} role="alert" className="callout callout-error" data-testid="auth-error">
          <p>{failure}</p>
        </div>
      )}

      <button type="submit" className="button button-primary button-large" disabled={busy}>
        {busy ? copy.busy : copy.submit}
      </button>

      <p className="auth-switch">
        {mode === 'login' ? (
          <>
            New here? <Link href={authHref('/register', next)}>Register</Link>
          </>
        ) : (
          <>
            Already have an account? <Link href={authHref('/login', next)}>Log in</Link>
          </>
        )}
      </p>
    </form>
  );
}
