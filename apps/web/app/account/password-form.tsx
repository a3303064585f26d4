'use client';

import { checkPassword } from '@portal/contracts/browser';
import { useId, useRef, useState, type FormEvent } from 'react';
import { appCodeOf, describeError } from '../../lib/errors.ts';
import { trpc } from '../../lib/trpc.ts';
import { PasswordField } from '../_components/password-field.tsx';

/** Current and new password; on success every other session is signed out (the server does it). */
export function PasswordForm({ username }: { username: string }) {
  const id = useId();
  const utils = trpc.useUtils();
  const change = trpc.auth.changePassword.useMutation();
  const currentRef = useRef<HTMLInputElement>(null);
  const nextRef = useRef<HTMLInputElement>(null);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [show, setShow] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [status, setStatus] = useState('');

  const currentIssue = current === '' ? 'Enter your current password.' : null;
  const parsed = checkPassword(next);
  const nextIssue = next === '' ? 'Enter a new password.' : parsed.ok ? null : parsed.message;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (change.isPending) return;
    setSubmitted(true);
    setStatus('');
    setFailure(null);
    if (currentIssue) {
      currentRef.current?.focus();
      return;
    }
    if (nextIssue) {
      nextRef.current?.focus();
      return;
    }
    try {
      await change.mutateAsync({ current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setSubmitted(false);
      setStatus('Your password was changed. Every other session was signed out.');
      await utils.auth.sessions.invalidate();
    } catch (error) {
      if (appCodeOf(error) === 'ERR_INVALID_CREDENTIALS') {
        setFailure('The current password is wrong.');
        currentRef.current?.focus();
        currentRef.current?.select();
      } else {
        setFailure(describeError(error));
      }
    }
  }

  return (
    <form className="auth-form" onSubmit={(event) => void submit(event)} noValidate aria-label="Change password">
      {/* For password managers: which account the new password belongs to. */}
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <div className="field">
        <PasswordField
          id={`${id}-current`}
          label="Current password"
          name="current-password"
          autoComplete="current-password"
          inputRef={currentRef}
          value={current}
          onChange={setCurrent}
          show={show}
          issue={submitted ? currentIssue : null}
        />
      </div>
      <div className="field">
        <PasswordField
          id={`${id}-new`}
          label="New password"
          name="new-password"
          autoComplete="new-password"
          inputRef={nextRef}
          value={next}
          onChange={setNext}
          show={show}
          issue={submitted ? nextIssue : null}
          help="10–200 characters. Changing it signs out every other device."
        />
        <label className="checkbox">
          <input type="checkbox" checked={show} onChange={(event) => setShow(event.target.checked)} />
          Show passwords
        </label>
      </div>
      {failure && (
        <div role="alert" className="callout callout-error" data-testid="password-error">
          <p>{failure}</p>
        </div>
      )}
      <p role="status" className="mod-status" data-testid="password-status">
        {status}
      </p>
      <button type="submit" className="button button-primary" disabled={change.isPending}>
        {change.isPending ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
